// What a parser produces and what a chunker consumes: a document as an ordered list of text blocks.
//
// Parsers (ingest/parsers/) turn a file into a ParsedDocument; chunkers (ingest/chunking/) turn a
// ParsedDocument into chunks. Neither knows about indexes, bots or HTTP.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace ragd {

// One unit of text in reading order: a paragraph, a heading, a list item, a table row, a CSV
// record.
struct TextBlock {
  enum class Kind { kParagraph, kHeading, kListItem, kTableRow, kRecord };
  Kind kind = Kind::kParagraph;
  std::string text;       // normalised UTF-8 (see ingest/normalize.h), never empty
  int page = 0;           // 1-based page number; 0 for formats without pages
  int heading_level = 0;  // 1..6 for kHeading, else 0
  std::vector<std::string>
      heading_path;  // enclosing headings, outermost first (not including itself)
};

struct ParsedDocument {
  std::string title;   // from metadata or the first heading; may be empty (callers fall back to the
                       // filename)
  int page_count = 0;  // pages for paged formats, else 0
  std::vector<TextBlock> blocks;
  // CSV only: the header row, column names joined with " | " (the records, kRecord blocks, do not
  // include it). Chunkers repeat it at the top of every chunk of records. Empty for other formats.
  std::string csv_header;
};

// Limits and per-document options. Exceeding a limit fails the parse with ResourceExhausted and a
// message a user understands ("document has 6000 pages; the limit is 5000").
struct ParseOptions {
  std::string password;  // for encrypted PDFs; empty = none
  int64_t max_pages = 5000;
  int64_t max_text_bytes = 64LL << 20;  // extracted text
  int64_t max_uncompressed_bytes = 256LL
                                   << 20;  // DOCX zip-bomb guard: total inflated size of parts read
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Called with (units done, units total), e.g. pages; may be empty. Called from the parsing
  // thread.
  std::function<void(int64_t done, int64_t total)> progress;
};

// Parses one file. Thread-safe: one parser object may be used from several threads at once.
class DocumentParser {
 public:
  virtual ~DocumentParser() = default;
  virtual StatusOr<ParsedDocument> Parse(const std::filesystem::path& file,
                                         const ParseOptions& options) const = 0;
};

}  // namespace ragd
