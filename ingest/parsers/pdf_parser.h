// PDF text extraction with poppler-cpp.
//
// Text comes page by page in poppler's reading order (the algorithm of `pdftotext` without
// -layout: columns are read one after another, right-to-left scripts in logical order, words
// hyphenated at line ends rejoined). Each page is split into paragraph blocks (kParagraph,
// 1-based `page`): at the blank lines poppler puts between text flows, and after a short line
// that ends a sentence; paragraphs without a letter or digit (lone bullets, rules) are dropped.
// Title: the document information Title (without a "Microsoft Word - " prefix), else the first
// line(s) of page 1 (pdf_layout.h).
//
// Failures (status code: message):
//   encrypted, no password given      FailedPrecondition: "password required"
//   encrypted, password does not open FailedPrecondition: "wrong password"
//     (ParseOptions::password is tried as both the user and the owner password)
//   no text on any page               FailedPrecondition:
//                                       "no text layer (scanned document; OCR not supported)"
//   not a PDF / beyond repair         DataLoss: "cannot open PDF: <reasons>", e.g.
//                                       "Document stream is empty" (0 bytes), "file is too short
//                                       to be a PDF (5 bytes)", poppler's "Couldn't find trailer
//                                       dictionary; Couldn't read xref table"
//   more pages than max_pages         ResourceExhausted: "document has N pages; the limit is M"
//   text beyond max_text_bytes        ResourceExhausted
//   deadline passed (checked per page) DeadlineExceeded
// A damaged file poppler can repair (bad xref, missing startxref, corrupt streams) is parsed.
// progress(pages done, page count) is called after every page.
//
// Thread-safe. poppler keeps process-wide state (GlobalParams, the error callback); the parser
// installs its error hook once and keeps GlobalParams alive for the life of the process, and
// poppler serialises its own initialisation. Separate documents are then parsed in parallel:
// nothing else is shared.
#pragma once

#include "ingest/document.h"

namespace ragd {

class PdfParser final : public DocumentParser {
 public:
  StatusOr<ParsedDocument> Parse(const std::filesystem::path& file,
                                 const ParseOptions& options) const override;
};

}  // namespace ragd
