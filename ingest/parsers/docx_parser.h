// Word documents (Office Open XML .docx) with libzip + pugixml.
//
// Reads the main document part (found through _rels/.rels, else word/document.xml), its
// styles.xml and docProps/core.xml. Blocks in body order: paragraphs -> kParagraph; paragraphs
// styled as headings -> kHeading with their level (style name "heading N" or "Title" (level 1),
// the style's outline level, or a style it is based on; the style *names* in styles.xml are
// English even when Word localises the style ids, e.g. "berschrift1"); numbered/bulleted
// paragraphs and "List ..." styles -> kListItem; table rows -> kTableRow (non-empty cells joined
// with " | "). Deleted text (tracked changes) and field codes are left out. Title: dc:title, else
// the first heading.
// Limits: parts are read through ZipReader (zip_reader.h) with options.max_uncompressed_bytes as
// the budget (zip-bomb guard). Errors: DataLoss for a corrupt or non-ZIP file or a missing
// document part; FailedPrecondition for encrypted documents; ResourceExhausted for limits.
//
// Thread-safe (no shared state).
#pragma once

#include "ingest/document.h"

namespace ragd {

class DocxParser final : public DocumentParser {
 public:
  StatusOr<ParsedDocument> Parse(const std::filesystem::path& file,
                                 const ParseOptions& options) const override;
};

}  // namespace ragd
