// HTML text extraction with gumbo (an HTML5-conformant parser: tag soup is repaired the way
// browsers repair it, entities are decoded).
//
// Blocks: h1..h6 -> kHeading (level; later blocks carry them in heading_path); p, div and the
// other block elements -> kParagraph; li/dt/dd -> kListItem; tr -> kTableRow (non-empty cells
// joined with " | "); pre -> kParagraph keeping its lines. Not text: script, style, nav, header,
// footer, noscript, template, head (apart from <title>), svg, math, iframe, object, canvas,
// select, button. Title: <title>, else the first h1.
// Encoding: byte order mark, else <meta charset> / <meta http-equiv content="...; charset=">,
// else UTF-8 when valid, else uchardet's guess (see text_encoding.h).
// Elements nested deeper than 512 levels are ignored (pathological input; keeps recursion bounded).
//
// Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>

#include "ingest/document.h"

namespace ragd {

class HtmlParser final : public DocumentParser {
 public:
  StatusOr<ParsedDocument> Parse(const std::filesystem::path& file,
                                 const ParseOptions& options) const override;
  // Parses HTML already in memory (any encoding, as for a file).
  static StatusOr<ParsedDocument> ParseBytes(std::string_view bytes, const ParseOptions& options);
};

// The charset an HTML document declares in a <meta> tag within its first 4096 bytes ("" if none).
std::string SniffHtmlCharset(std::string_view bytes);

}  // namespace ragd
