// Turning bytes of unknown or declared encoding into UTF-8, for the text formats (plain text,
// HTML, Markdown, CSV).
//
// Thread-safe; no state.
#pragma once

#include <string>
#include <string_view>

namespace ragd {

struct DecodedText {
  std::string text;      // UTF-8 without a byte order mark; invalid input bytes became U+FFFD
  std::string encoding;  // what the bytes were taken to be, e.g. "UTF-8", "windows-1252"
};

// Order of evidence: a byte order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE); then
// `declared_charset` (from a Content-Type or <meta charset>) when ICU knows it; then "the bytes
// are UTF-8" (valid, or damaged in at most 1 of 20 multi-byte sequences: bad ones become U+FFFD);
// then uchardet's guess; then windows-1252. ISO-8859-1 and US-ASCII are read as
// windows-1252, as browsers do (WHATWG Encoding).
DecodedText DecodeToUtf8(std::string_view bytes, std::string_view declared_charset = {});

}  // namespace ragd
