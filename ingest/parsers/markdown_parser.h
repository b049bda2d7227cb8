// Markdown (CommonMark + GitHub tables, strikethrough, task lists, autolinks) with md4c.
//
// Blocks: headings -> kHeading (level; later blocks carry them in heading_path); paragraphs and
// block quotes -> kParagraph; list items -> kListItem (a nested list's items are blocks of their
// own); fenced/indented code -> kParagraph keeping its lines; table rows -> kTableRow (non-empty
// cells joined with " | "); raw HTML blocks -> their text without tags. Entities are decoded.
// A leading YAML front matter block ("---" ... "---") is not text; its `title:` is the title,
// else the first h1.
// Encoding as for plain text (text_encoding.h).
//
// Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>

#include "ingest/document.h"

namespace ragd {

class MarkdownParser final : public DocumentParser {
 public:
  StatusOr<ParsedDocument> Parse(const std::filesystem::path& file,
                                 const ParseOptions& options) const override;
  static StatusOr<ParsedDocument> ParseText(std::string_view utf8, const ParseOptions& options);
};

}  // namespace ragd
