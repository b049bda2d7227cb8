// Text normalisation applied to everything a parser extracts, so that equal text compares equal
// whatever the source format, font encoding or producer.
//
// Every function here:
//   - accepts arbitrary bytes: invalid UTF-8 becomes U+FFFD, never a crash;
//   - applies Unicode NFKC (ligatures "ﬁ" -> "fi", Arabic presentation forms -> base letters,
//     full-width forms -> ASCII, NBSP -> space);
//   - removes soft hyphens, zero-width and bidi formatting characters (U+200B..U+200F,
//     U+202A..U+202E, U+2060..U+2064, U+2066..U+2069, U+FEFF) and control characters
//     (C0 except line breaks, DEL, C1);
//   - folds runs of spaces and tabs to one space and trims every line;
//   - joins words hyphenated across a line break ("exam-\nple" -> "example"), keeping the hyphen
//     when the word already contains one ("state-of-the-\nart" -> "state-of-the-art") and when
//     the next line does not start with a lower-case letter ("Jean-\nPaul" stays "Jean-Paul").
//
// They differ only in which line breaks survive. CR LF, CR, FF, VT, NEL and U+2028 count as line
// breaks; U+2029 counts as a paragraph break.
//
// Thread-safe; no state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ragd {

// One line: every line break becomes a space. For a block's text.
std::string NormalizeText(std::string_view text);

// Keeps paragraph breaks: paragraphs (separated by one or more blank lines) are joined with
// exactly "\n\n"; line breaks inside a paragraph become spaces. No leading/trailing breaks.
std::string NormalizeParagraphs(std::string_view text);

// Keeps every non-blank line, joined with "\n" (blank lines are dropped). For preformatted text
// such as code blocks, where line structure carries meaning. Does not join hyphenated lines.
std::string NormalizeLines(std::string_view text);

// The normalised, non-empty paragraphs of `text` (as NormalizeParagraphs, split).
std::vector<std::string> SplitParagraphs(std::string_view text);

// `text` with every invalid UTF-8 sequence replaced by U+FFFD (maximal-subpart rule, as in the
// WHATWG encoding standard). No other change.
std::string ToValidUtf8(std::string_view text);

// True if `text` is well-formed UTF-8 (no surrogates, no overlongs, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

struct Utf8Census {
  int64_t multibyte = 0;  // well-formed sequences of 2..4 bytes
  int64_t invalid = 0;    // ill-formed sequences (each would become one U+FFFD)
};
// Counts well-formed multi-byte and ill-formed sequences, to tell damaged UTF-8 from another
// encoding.
Utf8Census CountUtf8(std::string_view text);

// True if `text` has at least one letter or digit (any script).
bool HasAlphanumeric(std::string_view text);

}  // namespace ragd
