// CSV / TSV (RFC 4180): quoted fields with embedded delimiters, line breaks and doubled quotes;
// CRLF or LF; lenient about stray quotes inside unquoted fields. The delimiter is sniffed from the
// first records (',', ';', tab or '|': the one giving the most consistent field count above one).
// The first record is the header; it becomes ParsedDocument::csv_header (names joined with
// " | "), and every later record one kRecord block "name: value; name: value" (empty values
// left out; a column without a name is "column N"). Blank lines are skipped. No title.
// Encoding as for plain text (text_encoding.h).
//
// Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ingest/document.h"

namespace ragd {

class CsvParser final : public DocumentParser {
 public:
  StatusOr<ParsedDocument> Parse(const std::filesystem::path& file,
                                 const ParseOptions& options) const override;
  static StatusOr<ParsedDocument> ParseText(std::string_view utf8, const ParseOptions& options);
};

// The delimiter CsvParser would use for `text`.
char SniffCsvDelimiter(std::string_view text);

// Reads one record starting at *pos (advanced past its line break). Returns false at the end.
bool ReadCsvRecord(std::string_view text, char delimiter, size_t* pos,
                   std::vector<std::string>* fields);

}  // namespace ragd
