// Helpers for the chunker tests: building ParsedDocuments and checking the invariants every
// ChunkSet must satisfy whatever the input.
#pragma once

#include <string>
#include <vector>

#include "ingest/chunk.h"
#include "ingest/chunking/chunker.h"
#include "ingest/document.h"

namespace ragd::testing {

// Builds a document the way parsers do: each heading's level sets the heading_path of the blocks
// after it.
class DocBuilder {
 public:
  DocBuilder& Heading(int level, std::string text, int page = 0);
  DocBuilder& Paragraph(std::string text, int page = 0);
  DocBuilder& Block(TextBlock::Kind kind, std::string text, int page = 0);
  ParsedDocument Build() const { return doc_; }

 private:
  ParsedDocument doc_;
  std::vector<std::pair<int, std::string>> headings_;
};

// Adds a gtest failure for every broken invariant: chunks and parents non-empty and trimmed,
// text == DocumentText slice (after the CSV header prefix when `csv_header` is non-empty),
// token_count == CountTokens(text) (give or take a token in malformed text), within the limits of
// `config`, in document order, covering every non-whitespace byte of the document, and children
// inside their parents.
void ExpectChunkSetInvariants(const ParsedDocument& doc, const ChunkingConfig& config,
                              const ChunkSet& set, const std::string& csv_header = "");

// The chunk texts, for readable assertions.
std::vector<std::string> Texts(const std::vector<Chunk>& chunks);

}  // namespace ragd::testing
