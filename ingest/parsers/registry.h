// Which parser reads which upload.
//
//   application/pdf                                               .pdf
//   text/html, application/xhtml+xml                              .html .htm .xhtml
//   text/markdown, text/x-markdown                                .md .markdown
//   text/plain                                                    .txt .text
//   application/vnd.openxmlformats-officedocument.wordprocessingml.document   .docx
//   text/csv, application/csv, text/tab-separated-values          .csv .tsv
//
// Parsers are stateless singletons, valid for the life of the process and safe to use from any
// number of threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ingest/document.h"

namespace ragd {

// The parser for an upload. The content type decides when it is one of the above (parameters
// such as "; charset=..." and letter case are ignored); otherwise (empty, octet-stream, anything
// else) the filename's extension does. Neither known: UnsupportedMediaTypeError whose message
// lists the supported types.
StatusOr<const DocumentParser*> ParserFor(std::string_view content_type, std::string_view filename);

// The supported content types, in the order above.
std::vector<std::string> SupportedContentTypes();

}  // namespace ragd
