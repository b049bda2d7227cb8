#include "tests/ingest/chunking/chunking_test_util.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "ingest/chunking/text_segmentation.h"

namespace ragd::testing {

DocBuilder& DocBuilder::Heading(int level, std::string text, int page) {
  while (!headings_.empty() && headings_.back().first >= level) headings_.pop_back();
  TextBlock block;
  block.kind = TextBlock::Kind::kHeading;
  block.heading_level = level;
  block.page = page;
  for (const auto& h : headings_) block.heading_path.push_back(h.second);
  block.text = text;
  doc_.blocks.push_back(block);
  headings_.emplace_back(level, std::move(text));
  return *this;
}

DocBuilder& DocBuilder::Paragraph(std::string text, int page) {
  return Block(TextBlock::Kind::kParagraph, std::move(text), page);
}

DocBuilder& DocBuilder::Block(TextBlock::Kind kind, std::string text, int page) {
  TextBlock block;
  block.kind = kind;
  block.text = std::move(text);
  block.page = page;
  for (const auto& h : headings_) block.heading_path.push_back(h.second);
  doc_.blocks.push_back(std::move(block));
  doc_.page_count = std::max(doc_.page_count, page);
  return *this;
}

namespace {

bool IsAsciiSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

void CheckChunks(const std::string& text, const std::vector<Chunk>& chunks, int max_tokens,
                 const std::string& csv_header, const std::string& what) {
  int64_t prev_begin = -1;
  std::vector<bool> covered(text.size(), false);
  for (size_t i = 0; i < chunks.size(); ++i) {
    SCOPED_TRACE(what + " " + std::to_string(i));
    const Chunk& c = chunks[i];
    ASSERT_FALSE(c.text.empty());
    ASSERT_LE(0, c.char_begin);
    ASSERT_LT(c.char_begin, c.char_end);
    ASSERT_LE(c.char_end, static_cast<int64_t>(text.size()));
    const std::string body = text.substr(c.char_begin, c.char_end - c.char_begin);
    if (csv_header.empty() || c.text == body) {
      EXPECT_EQ(c.text, body);
    } else {
      EXPECT_EQ(c.text, csv_header + "\n" + body);
    }
    EXPECT_FALSE(IsAsciiSpace(body.front())) << body;
    EXPECT_FALSE(IsAsciiSpace(body.back())) << body;
    // token_count sums the chunk's sentences; ICU may segment a join of malformed text
    // differently, which moves the count of the whole by a token at most now and then.
    const int counted = CountTokens(c.text);
    EXPECT_LE(std::abs(c.token_count - counted), 1 + counted / 50) << c.token_count;
    if (max_tokens > 0) {
      EXPECT_LE(c.token_count, max_tokens) << c.text;
    }
    EXPECT_GT(c.char_begin, prev_begin) << "chunks out of document order";
    EXPECT_LE(c.page_start, c.page_end);
    prev_begin = c.char_begin;
    for (int64_t b = c.char_begin; b < c.char_end; ++b) covered[b] = true;
  }
  for (size_t b = 0; b < text.size();) {
    if (covered[b]) {
      ++b;
      continue;
    }
    size_t e = b;
    while (e < text.size() && !covered[e]) ++e;
    const ByteRange rest = TrimWhitespace(text, {int64_t(b), int64_t(e)});
    if (rest.size() > 0) {
      ADD_FAILURE() << what << ": text at byte " << rest.begin
                    << " is in no chunk: " << text.substr(rest.begin, 40);
      return;
    }
    b = e;
  }
}

}  // namespace

void ExpectChunkSetInvariants(const ParsedDocument& doc, const ChunkingConfig& config,
                              const ChunkSet& set, const std::string& csv_header) {
  const std::string text = DocumentText(doc);
  using S = ChunkingConfig::Strategy;
  switch (config.strategy) {
    case S::kFixedSize:
      CheckChunks(text, set.chunks, config.max_tokens, csv_header, "chunk");
      EXPECT_TRUE(set.parents.empty());
      for (const Chunk& c : set.chunks) EXPECT_EQ(c.parent, -1);
      break;
    case S::kNone:
      CheckChunks(text, set.chunks, 0, csv_header, "chunk");
      EXPECT_TRUE(set.parents.empty());
      break;
    case S::kHierarchical:
      CheckChunks(text, set.chunks, config.max_child_tokens, csv_header, "child");
      CheckChunks(text, set.parents, config.max_parent_tokens, csv_header, "parent");
      for (size_t i = 0; i < set.chunks.size(); ++i) {
        const Chunk& c = set.chunks[i];
        ASSERT_GE(c.parent, 0) << "child " << i;
        ASSERT_LT(c.parent, static_cast<int>(set.parents.size())) << "child " << i;
        const Chunk& p = set.parents[c.parent];
        EXPECT_LE(p.char_begin, c.char_begin) << "child " << i;
        EXPECT_GE(p.char_end, c.char_end) << "child " << i;
        if (i > 0) {
          EXPECT_GE(c.parent, set.chunks[i - 1].parent);
        }
      }
      break;
  }
}

std::vector<std::string> Texts(const std::vector<Chunk>& chunks) {
  std::vector<std::string> out;
  for (const Chunk& c : chunks) out.push_back(c.text);
  return out;
}

}  // namespace ragd::testing
