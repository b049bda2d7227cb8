// Plain text: any encoding (text_encoding.h: UTF-8, UTF-16/32 with a byte order mark,
// Latin-1/Windows-1252, Shift_JIS and what else uchardet recognises). Paragraphs (kParagraph)
// are separated by blank lines; line breaks inside a paragraph become spaces. No title.
//
// Thread-safe (no shared state).
#pragma once

#include "ingest/document.h"

namespace ragd {

class TextParser final : public DocumentParser {
 public:
  StatusOr<ParsedDocument> Parse(const std::filesystem::path& file,
                                 const ParseOptions& options) const override;
};

}  // namespace ragd
