// Shared plumbing for the parsers: reading the input file, collecting normalised blocks with
// their heading path, and enforcing ParseOptions limits (text size, deadline).
//
// Not thread-safe: one BlockBuilder per parse.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "ingest/document.h"

namespace ragd {

// The whole file. NotFound if it does not exist; ResourceExhausted if it is larger than
// `max_bytes` (the message names the size and the limit).
StatusOr<std::string> ReadFileBytes(const std::filesystem::path& file, int64_t max_bytes);

// How large a text-format file (HTML, Markdown, plain text, CSV) may be: 4 x max_text_bytes,
// room for markup and for UTF-16.
int64_t MaxInputBytes(const ParseOptions& options);

class BlockBuilder {
 public:
  explicit BlockBuilder(const ParseOptions& options) : options_(options) {}

  // Normalises `raw` with NormalizeText and appends it as a block of `kind` (not kHeading) under
  // the current heading path; empty text is skipped. ResourceExhausted once the document's text
  // exceeds options.max_text_bytes.
  Status Add(TextBlock::Kind kind, std::string_view raw, int page = 0);
  // As Add, for text already normalised (e.g. with NormalizeLines for code).
  Status AddNormalized(TextBlock::Kind kind, std::string text, int page = 0);
  // Appends a heading (level clamped to 1..6): its heading_path holds the enclosing headings;
  // blocks added afterwards are under it until a heading of the same or a higher level.
  Status AddHeading(int level, std::string_view raw, int page = 0);

  // DeadlineExceeded if options.deadline has passed; `where` says how far the parse got.
  Status CheckDeadline(std::string_view where) const;

  const std::vector<TextBlock>& blocks() const { return doc_.blocks; }
  ParsedDocument& document() { return doc_; }
  ParsedDocument Finish() && { return std::move(doc_); }

 private:
  Status Append(TextBlock block);

  const ParseOptions& options_;
  ParsedDocument doc_;
  std::vector<std::pair<int, std::string>> headings_;  // (level, text), outermost first
  int64_t text_bytes_ = 0;
};

}  // namespace ragd
