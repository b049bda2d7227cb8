#include "ingest/parsers/pdf_layout.h"

#include <algorithm>
#include <vector>

namespace ragd {
namespace {

// When a flow's typical line is shorter than this (code points), it is not prose (table cells,
// a list of names) and line length says nothing.
constexpr size_t kMinProseLine = 24;
// A sentence-final line this much shorter than the flow's typical line ends a paragraph.
constexpr double kShortLine = 0.8;
// Any line this much shorter than the flow's typical line ends a paragraph.
constexpr double kVeryShortLine = 0.5;

size_t CodePoints(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string_view Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\f");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\f");
  return s.substr(first, last - first + 1);
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool EndsSentence(std::string_view line) {
  // Closing brackets and quotes may follow the sentence's final mark.
  for (bool stripped = true; stripped && !line.empty();) {
    stripped = false;
    for (std::string_view closer : {")", "]", "\"", "'", "\xE2\x80\x9D", "\xE2\x80\x99"}) {
      if (EndsWith(line, closer)) {
        line.remove_suffix(closer.size());
        stripped = true;
      }
    }
  }
  if (line.empty()) return false;
  const char last = line.back();
  if (last == '.' || last == '!' || last == '?' || last == ':') return true;
  for (std::string_view mark : {"\xE3\x80\x82", "\xEF\xBC\x81", "\xEF\xBC\x9F", "\xEF\xBC\x8E"}) {
    if (EndsWith(line, mark)) return true;  // 。！？．
  }
  return false;
}

bool StartsWithBullet(std::string_view line) {
  for (std::string_view bullet : {"\xE2\x80\xA2", "\xE2\x97\x8F", "\xE2\x97\x8B", "\xE2\x97\xA6",
                                  "\xE2\x96\xAA", "\xE2\x96\xA0", "- ", "* "}) {
    if (line.substr(0, bullet.size()) == bullet) return true;
  }
  return false;
}

// The flows of a page: runs of non-blank lines, trimmed.
std::vector<std::vector<std::string_view>> Flows(std::string_view text) {
  std::vector<std::vector<std::string_view>> flows(1);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find_first_of("\n\f", pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = Trim(text.substr(pos, end - pos));
    if (line.empty()) {
      if (!flows.back().empty()) flows.emplace_back();
    } else {
      flows.back().push_back(line);
    }
    pos = end + 1;
  }
  if (flows.back().empty()) flows.pop_back();
  return flows;
}

bool IsPageNumber(std::string_view line) {
  return line.find_first_not_of("0123456789 -.ivxlcIVXLC") == std::string_view::npos;
}

}  // namespace

std::vector<std::string> SplitPdfPageText(std::string_view page_text) {
  std::vector<std::string> paragraphs;
  for (const auto& flow : Flows(page_text)) {
    // The typical full line: the upper median of the line lengths. Not the longest line: poppler
    // joins a line ending in a hyphen with the next, so a flow has lines of twice the width.
    std::vector<size_t> lengths;
    for (std::string_view line : flow) lengths.push_back(CodePoints(line));
    std::nth_element(lengths.begin(), lengths.begin() + lengths.size() / 2, lengths.end());
    const size_t typical = lengths[lengths.size() / 2];
    const bool prose = typical >= kMinProseLine;
    std::string current;
    for (size_t i = 0; i < flow.size(); ++i) {
      const std::string_view line = flow[i];
      if (!current.empty() && StartsWithBullet(line)) {
        paragraphs.push_back(std::move(current));
        current.clear();
      }
      if (!current.empty()) current.push_back('\n');
      current.append(line);
      // Outside prose (tables, lists, headings) every line stands alone. In prose a paragraph
      // ends with a short line that ends a sentence, or with a very short line (a heading, a
      // title's last line, a paragraph ending without a mark).
      const double length = static_cast<double>(CodePoints(line));
      const bool ends =
          !prose || (length < kShortLine * static_cast<double>(typical) && EndsSentence(line)) ||
          length < kVeryShortLine * static_cast<double>(typical);
      if (ends) {
        paragraphs.push_back(std::move(current));
        current.clear();
      }
    }
    if (!current.empty()) paragraphs.push_back(std::move(current));
  }
  return paragraphs;
}

std::string GuessPdfTitle(std::string_view first_page_text) {
  for (const auto& flow : Flows(first_page_text)) {
    for (size_t i = 0; i < flow.size(); ++i) {
      if (IsPageNumber(flow[i])) continue;
      std::string title(flow[i]);
      if (i + 1 < flow.size() && !EndsSentence(flow[i])) {
        // Only a single word: a second line of several words is as often the authors.
        const std::string_view next = flow[i + 1];
        if (next.find_first_of(" ,@0123456789") == std::string_view::npos) {
          title.push_back(' ');
          title.append(next);
        }
      }
      return title;
    }
  }
  return {};
}

}  // namespace ragd
