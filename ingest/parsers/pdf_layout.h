// Paragraphs and a title from the text poppler extracts from a PDF page (reading order, lines
// separated by "\n", text flows by a blank line). Pure functions, split out for testing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ragd {

// The page's paragraphs, raw (lines joined with "\n"; normalise before use). A paragraph ends at
// a blank line (poppler's flow boundary), after a line that ends a sentence and is clearly
// shorter than the typical (median) line of its flow, after a line less than half as long as
// that, and before a line that starts with a bullet. In a flow of short lines (a table column, a
// list of names) every line is a paragraph.
std::vector<std::string> SplitPdfPageText(std::string_view page_text);

// A title guessed from the text of the first page: its first line that is not just a page
// number, extended by the next line when that is a single word (a wrapped title's tail; a longer
// second line is as often the authors). Raw; "" if the page has no such line.
std::string GuessPdfTitle(std::string_view first_page_text);

}  // namespace ragd
