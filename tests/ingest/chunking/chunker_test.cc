#include "ingest/chunking/chunker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "ingest/chunking/text_segmentation.h"
#include "tests/ingest/chunking/chunking_test_util.h"

namespace ragd {
namespace {

using ::ragd::testing::DocBuilder;
using ::ragd::testing::ExpectChunkSetInvariants;
using ::ragd::testing::Texts;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Strategy = ChunkingConfig::Strategy;

ChunkingConfig Fixed(int max_tokens, int overlap_percentage) {
  ChunkingConfig c;
  c.max_tokens = max_tokens;
  c.overlap_percentage = overlap_percentage;
  return c;
}

ChunkSet MustChunk(const ParsedDocument& doc, const ChunkingConfig& config) {
  StatusOr<ChunkSet> set = ChunkDocument(doc, config);
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  if (!set.ok()) return {};
  ExpectChunkSetInvariants(doc, config, *set);
  return *std::move(set);
}

// "Item <n> ships in a box." is 7 tokens for n < 1000.
std::string NumberedSentences(int first, int count) {
  std::string out;
  for (int i = first; i < first + count; ++i) {
    if (!out.empty()) out += ' ';
    out += "Item " + std::to_string(i) + " ships in a box.";
  }
  return out;
}

TEST(DocumentTextTest, JoinsBlocksWithABlankLine) {
  const ParsedDocument doc = DocBuilder().Heading(1, "Returns").Paragraph("Keep receipts.").Build();
  EXPECT_EQ(DocumentText(doc), "Returns\n\nKeep receipts.");
  EXPECT_EQ(DocumentText(ParsedDocument{}), "");
}

TEST(ChunkerTest, PacksWholeSentencesAndAbbreviationsStayInside) {
  const ParsedDocument doc =
      DocBuilder()
          .Paragraph(
              "Dr. Smith reviews every claim, e.g. broken screens and dead batteries. "
              "Mr. Jones handles refunds within fourteen days of the request. Claims "
              "need a receipt. J. R. Doe signs each approval before payment.")
          .Build();
  const ChunkSet set = MustChunk(doc, Fixed(20, 0));
  // 16 + 6 tokens do not fit in 20, so "Claims need a receipt." moves on.
  EXPECT_THAT(Texts(set.chunks),
              ElementsAre("Dr. Smith reviews every claim, e.g. broken screens and dead batteries.",
                          "Mr. Jones handles refunds within fourteen days of the request.",
                          "Claims need a receipt. J. R. Doe signs each approval before payment."));
}

TEST(ChunkerTest, OverlapRepeatsTheLastWholeSentences) {
  // 7 tokens per sentence; budget 40 -> 5 sentences; overlap 25% = 10 tokens -> one sentence.
  const ParsedDocument doc = DocBuilder().Paragraph(NumberedSentences(1, 12)).Build();
  const ChunkSet set = MustChunk(doc, Fixed(40, 25));
  EXPECT_THAT(Texts(set.chunks), ElementsAre(NumberedSentences(1, 5), NumberedSentences(5, 5),
                                             NumberedSentences(9, 4)));
  // Without overlap no byte is in two chunks.
  const ChunkSet plain = MustChunk(doc, Fixed(40, 0));
  EXPECT_THAT(Texts(plain.chunks), ElementsAre(NumberedSentences(1, 5), NumberedSentences(6, 5),
                                               NumberedSentences(11, 2)));
}

TEST(ChunkerTest, PrefersEndingAtAParagraph) {
  // Greedy packing would fill the first chunk with paragraph one plus two sentences of paragraph
  // two; ending at the paragraph keeps paragraph two whole.
  const ParsedDocument doc = DocBuilder()
                                 .Paragraph(NumberedSentences(1, 3))
                                 .Paragraph(NumberedSentences(4, 4))
                                 .Paragraph(NumberedSentences(8, 1))
                                 .Build();
  const ChunkSet set = MustChunk(doc, Fixed(36, 0));
  EXPECT_THAT(Texts(set.chunks),
              ElementsAre(NumberedSentences(1, 3),
                          NumberedSentences(4, 4) + "\n\n" + NumberedSentences(8, 1)));
}

TEST(ChunkerTest, GiantSentenceIsCutBetweenWordsWithWordOverlap) {
  std::string sentence;
  for (int i = 0; i < 400; ++i)
    sentence += (i ? " " : "") + std::string("word") + std::to_string(i);
  const ParsedDocument doc = DocBuilder().Paragraph(sentence + ".").Build();
  const ChunkSet set = MustChunk(doc, Fixed(50, 20));
  ASSERT_GT(set.chunks.size(), 10u);
  const std::string text = DocumentText(doc);
  for (size_t i = 0; i < set.chunks.size(); ++i) {
    const Chunk& c = set.chunks[i];
    EXPECT_TRUE(c.char_begin == 0 || text[c.char_begin - 1] == ' ') << c.text;
    EXPECT_TRUE(c.char_end == int64_t(text.size()) || text[c.char_end] == ' ') << c.text;
    if (i + 1 < set.chunks.size()) {
      EXPECT_GE(c.token_count, 45) << "chunks are nearly full";
    }
    if (i == 0) continue;
    // The overlap is whole words, at most 20% of the budget.
    const Chunk& prev = set.chunks[i - 1];
    ASSERT_LT(c.char_begin, prev.char_end);
    const std::string carried = text.substr(c.char_begin, prev.char_end - c.char_begin);
    EXPECT_THAT(prev.text, ::testing::EndsWith(carried));
    EXPECT_LE(CountTokens(carried), 10);
    EXPECT_GE(CountTokens(carried), 8);
    if (i + 1 == set.chunks.size()) {
      EXPECT_THAT(c.text, ::testing::EndsWith("word399."));
    }
  }
}

TEST(ChunkerTest, HeadingsStartChunksAndGiveTheirPath) {
  const ParsedDocument doc = DocBuilder()
                                 .Heading(1, "Returns")
                                 .Paragraph("Unused items can be returned within 30 days.")
                                 .Heading(2, "Refunds")
                                 .Paragraph("Refunds go to the original payment method.")
                                 .Heading(1, "Warranty")
                                 .Heading(2, "Coverage")
                                 .Paragraph("Defects are covered for two years.")
                                 .Build();
  const ChunkSet set = MustChunk(doc, Fixed(300, 20));
  ASSERT_EQ(set.chunks.size(), 3u);
  EXPECT_EQ(set.chunks[0].text, "Returns\n\nUnused items can be returned within 30 days.");
  EXPECT_THAT(set.chunks[0].heading_path, ElementsAre("Returns"));
  EXPECT_EQ(set.chunks[1].text, "Refunds\n\nRefunds go to the original payment method.");
  EXPECT_THAT(set.chunks[1].heading_path, ElementsAre("Returns", "Refunds"));
  // Consecutive headings stay with the text under them.
  EXPECT_EQ(set.chunks[2].text, "Warranty\n\nCoverage\n\nDefects are covered for two years.");
  EXPECT_THAT(set.chunks[2].heading_path, ElementsAre("Warranty", "Coverage"));
}

TEST(ChunkerTest, LongSectionContinuesUnderItsPathWithoutOverlapIntoTheNext) {
  const ParsedDocument doc = DocBuilder()
                                 .Heading(1, "Shipping")
                                 .Paragraph(NumberedSentences(1, 10))
                                 .Heading(1, "Billing")
                                 .Paragraph(NumberedSentences(11, 2))
                                 .Build();
  const ChunkSet set = MustChunk(doc, Fixed(40, 25));
  ASSERT_EQ(set.chunks.size(), 4u);
  EXPECT_THAT(set.chunks[0].text, StartsWith("Shipping\n\nItem 1 "));
  for (int i = 0; i < 3; ++i) EXPECT_THAT(set.chunks[i].heading_path, ElementsAre("Shipping"));
  EXPECT_THAT(set.chunks[2].text, ::testing::EndsWith("Item 10 ships in a box."));
  EXPECT_EQ(set.chunks[3].text, "Billing\n\n" + NumberedSentences(11, 2));
  EXPECT_THAT(set.chunks[3].heading_path, ElementsAre("Billing"));
}

TEST(ChunkerTest, PageRangesCoverTheBlocksOfEachChunk) {
  const ParsedDocument doc = DocBuilder()
                                 .Paragraph(NumberedSentences(1, 2), 1)
                                 .Paragraph(NumberedSentences(3, 2), 2)
                                 .Paragraph(NumberedSentences(5, 4), 3)
                                 .Build();
  const ChunkSet set = MustChunk(doc, Fixed(30, 0));
  ASSERT_EQ(set.chunks.size(), 2u);
  EXPECT_EQ(set.chunks[0].page_start, 1);
  EXPECT_EQ(set.chunks[0].page_end, 2);
  EXPECT_EQ(set.chunks[1].page_start, 3);
  EXPECT_EQ(set.chunks[1].page_end, 3);
  const ChunkSet unpaged =
      MustChunk(DocBuilder().Paragraph("No pages here.").Build(), Fixed(30, 0));
  ASSERT_EQ(unpaged.chunks.size(), 1u);
  EXPECT_EQ(unpaged.chunks[0].page_start, 0);
  EXPECT_EQ(unpaged.chunks[0].page_end, 0);
}

TEST(ChunkerTest, CjkWithoutSpacesIsCutAtSentencesThenWords) {
  std::string sentences;  // 30 sentences of 13 characters each
  for (int i = 0; i < 30; ++i) sentences += "商品は購入後三十日以内に返品できます。";
  std::string giant;  // one sentence with no punctuation at all
  for (int i = 0; i < 20; ++i) giant += "保証期間中の製品の修理は無料で行われます";
  const ParsedDocument doc = DocBuilder().Paragraph(sentences).Paragraph(giant).Build();
  const ChunkSet set = MustChunk(doc, Fixed(60, 10));
  const std::string text = DocumentText(doc);
  std::set<int64_t> word_boundaries;
  WordSegmenter seg;
  seg.Reset(text);
  for (WordSegment s; seg.Next(s);) {
    word_boundaries.insert(s.range.begin);
    word_boundaries.insert(s.range.end);
  }
  int in_first_paragraph = 0;
  for (const Chunk& c : set.chunks) {
    EXPECT_TRUE(word_boundaries.count(c.char_begin)) << c.text;
    EXPECT_TRUE(word_boundaries.count(c.char_end)) << c.text;
    if (c.char_end <= int64_t(sentences.size())) {
      ++in_first_paragraph;
      EXPECT_THAT(c.text, ::testing::EndsWith("。"));
      EXPECT_THAT(c.text, StartsWith("商品"));
    }
  }
  EXPECT_GE(in_first_paragraph, 6);
  EXPECT_GT(set.chunks.size(), size_t(in_first_paragraph) + 4) << "the giant sentence is split";
}

TEST(ChunkerTest, HierarchicalChildrenStayInsideTheirParents) {
  DocBuilder builder;
  for (int s = 0; s < 3; ++s) {
    builder.Heading(1, "Section " + std::to_string(s));
    for (int p = 0; p < 4; ++p) builder.Paragraph(NumberedSentences(s * 100 + p * 10, 5));
  }
  const ParsedDocument doc = builder.Build();
  ChunkingConfig config;
  config.strategy = Strategy::kHierarchical;
  config.max_parent_tokens = 100;
  config.max_child_tokens = 30;
  config.overlap_tokens = 8;
  const ChunkSet set = MustChunk(doc, config);
  ASSERT_EQ(set.parents.size(), 6u);  // each 140-token section becomes two parents
  ASSERT_GT(set.chunks.size(), set.parents.size());
  std::vector<std::vector<const Chunk*>> children(set.parents.size());
  for (const Chunk& c : set.chunks) children[c.parent].push_back(&c);
  for (size_t p = 0; p < set.parents.size(); ++p) {
    SCOPED_TRACE(p);
    const Chunk& parent = set.parents[p];
    ASSERT_GE(children[p].size(), 2u);
    EXPECT_EQ(children[p].front()->char_begin, parent.char_begin);
    EXPECT_EQ(children[p].back()->char_end, parent.char_end);
    EXPECT_EQ(children[p].front()->heading_path, parent.heading_path);
    for (size_t i = 1; i < children[p].size(); ++i) {
      EXPECT_LT(children[p][i]->char_begin, children[p][i - 1]->char_end) << "children overlap";
    }
    if (p > 0) {
      EXPECT_GE(parent.char_begin, set.parents[p - 1].char_end) << "parents do not";
    }
  }
  EXPECT_THAT(set.parents[0].text, StartsWith("Section 0\n\n"));
  EXPECT_THAT(set.parents[2].heading_path, ElementsAre("Section 1"));
}

TEST(ChunkerTest, NoneGivesOneChunkPerPageOrDocument) {
  ChunkingConfig config;
  config.strategy = Strategy::kNone;
  const ParsedDocument paged = DocBuilder()
                                   .Heading(1, "Guide", 1)
                                   .Paragraph(NumberedSentences(1, 80), 1)
                                   .Paragraph("Second page.", 2)
                                   .Paragraph("   ", 3)
                                   .Build();
  const ChunkSet set = MustChunk(paged, config);
  ASSERT_EQ(set.chunks.size(), 2u);
  EXPECT_EQ(set.chunks[0].text, "Guide\n\n" + NumberedSentences(1, 80));
  EXPECT_EQ(set.chunks[0].page_start, 1);
  EXPECT_EQ(set.chunks[1].text, "Second page.");
  EXPECT_THAT(set.chunks[1].heading_path, ElementsAre("Guide"));
  EXPECT_EQ(set.chunks[1].page_start, 2);
  const ParsedDocument flat = DocBuilder().Paragraph("One.").Paragraph("Two.").Build();
  EXPECT_THAT(Texts(MustChunk(flat, config).chunks), ElementsAre("One.\n\nTwo."));
}

TEST(ChunkerTest, WhitespaceOnlyAndEmptyDocumentsGiveNoChunks) {
  const ParsedDocument blank = DocBuilder().Paragraph("  ").Paragraph("\n\t\u3000").Build();
  for (Strategy s : {Strategy::kFixedSize, Strategy::kHierarchical, Strategy::kNone}) {
    ChunkingConfig config;
    config.strategy = s;
    EXPECT_TRUE(MustChunk(blank, config).chunks.empty());
    EXPECT_TRUE(MustChunk(ParsedDocument{}, config).chunks.empty());
    EXPECT_TRUE(MustChunk(ParsedDocument{}, config).parents.empty());
  }
}

TEST(ChunkerTest, InvalidUtf8NeverCrashes) {
  std::string junk;
  uint32_t x = 12345;
  for (int i = 0; i < 6000; ++i) {
    x = x * 1103515245 + 12345;
    junk += static_cast<char>((x >> 16) & 0xff);
  }
  const ParsedDocument doc =
      DocBuilder().Heading(1, "\xff\xfe").Paragraph(junk).Paragraph("ok \xe2\x82").Build();
  for (Strategy s : {Strategy::kFixedSize, Strategy::kHierarchical, Strategy::kNone}) {
    ChunkingConfig config;
    config.strategy = s;
    config.max_tokens = 40;
    config.max_child_tokens = 40;
    config.overlap_tokens = 10;
    EXPECT_FALSE(MustChunk(doc, config).chunks.empty());
  }
}

TEST(ChunkerTest, RecordsAreWholeAndNeverRepeated) {
  DocBuilder builder;
  for (int i = 0; i < 40; ++i) {
    builder.Block(TextBlock::Kind::kRecord,
                  "sku: K-" + std::to_string(i) + "; name: Blue kettle 1.7 l; price: 39.90 EUR");
  }
  const ParsedDocument doc = builder.Build();
  const ChunkSet set = MustChunk(doc, Fixed(60, 50));
  ASSERT_GT(set.chunks.size(), 4u);
  for (size_t i = 1; i < set.chunks.size(); ++i) {
    EXPECT_GE(set.chunks[i].char_begin, set.chunks[i - 1].char_end) << "no record overlap";
  }
  for (const Chunk& c : set.chunks) EXPECT_THAT(c.text, ::testing::EndsWith("EUR"));
}

TEST(ChunkerTest, CsvHeaderStartsEveryChunkOfRecords) {
  DocBuilder builder;
  for (int i = 0; i < 30; ++i) {
    builder.Block(TextBlock::Kind::kRecord,
                  "sku: K-" + std::to_string(i) + "; name: Blue kettle; price: 39.90");
  }
  ParsedDocument doc = builder.Build();
  const std::string header = "sku | name | price";  // as CsvParser writes it
  doc.csv_header = header;
  const ChunkingConfig config = Fixed(40, 20);
  StatusOr<ChunkSet> set = ChunkDocument(doc, config);
  ASSERT_TRUE(set.ok());
  ExpectChunkSetInvariants(doc, config, *set, header);
  ASSERT_GT(set->chunks.size(), 3u);
  for (const Chunk& c : set->chunks) EXPECT_THAT(c.text, StartsWith(header + "\nsku: K-"));
}

TEST(ChunkerTest, ThreadsChunkingAtOnceGetTheSameResult) {
  DocBuilder builder;
  for (int i = 0; i < 50; ++i) {
    builder.Heading(2, "Topic " + std::to_string(i)).Paragraph(NumberedSentences(i * 10, 9));
    builder.Paragraph("商品は購入後三十日以内に返品できます。保証期間は二年間です。");
  }
  const ParsedDocument doc = builder.Build();
  const ChunkSet expected = MustChunk(doc, Fixed(40, 20));
  std::vector<std::vector<std::string>> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results) {
    threads.emplace_back([&doc, &r] {
      for (int k = 0; k < 5; ++k) r = Texts(ChunkDocument(doc, Fixed(40, 20))->chunks);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r, Texts(expected.chunks));
}

TEST(ChunkerConfigTest, ValidationNamesTheField) {
  struct Case {
    std::function<void(ChunkingConfig&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](ChunkingConfig& c) { c.max_tokens = 19; }, "max_tokens"},
      {[](ChunkingConfig& c) { c.max_tokens = 8193; }, "max_tokens"},
      {[](ChunkingConfig& c) { c.overlap_percentage = -1; }, "overlap_percentage"},
      {[](ChunkingConfig& c) { c.overlap_percentage = 51; }, "overlap_percentage"},
      {[](ChunkingConfig& c) { c.max_parent_tokens = 10; }, "max_parent_tokens"},
      {[](ChunkingConfig& c) { c.max_child_tokens = 1500; }, "max_child_tokens"},
      {[](ChunkingConfig& c) { c.max_child_tokens = 5; }, "max_child_tokens"},
      {[](ChunkingConfig& c) { c.overlap_tokens = 151; }, "overlap_tokens"},
      {[](ChunkingConfig& c) { c.overlap_tokens = -2; }, "overlap_tokens"},
      {[](ChunkingConfig& c) { c.strategy = static_cast<Strategy>(7); }, "strategy"},
  };
  const ParsedDocument doc = DocBuilder().Paragraph("Some text.").Build();
  EXPECT_TRUE(ValidateChunkingConfig(ChunkingConfig{}).ok());
  for (const Case& c : cases) {
    ChunkingConfig config;
    c.mutate(config);
    const Status status = ValidateChunkingConfig(config);
    EXPECT_EQ(status.kind(), ErrorKind::kUnprocessable) << c.field;
    EXPECT_THAT(status.message(), StartsWith(c.field + ": ")) << status.message();
    EXPECT_EQ(ChunkDocument(doc, config).status(), status);
  }
  ChunkingConfig edge;
  edge.max_tokens = 20;
  edge.overlap_percentage = 50;
  edge.max_child_tokens = 1499;
  edge.overlap_tokens = 749;
  EXPECT_TRUE(ValidateChunkingConfig(edge).ok());
  EXPECT_THAT(ValidateChunkingConfig(Fixed(10, 0)).message(), HasSubstr("between 20 and 8192"));
}

// Sanitizer builds run the same shape at a quarter of the size (ICU's own code is not
// instrumented, ours is ~10x slower there).
#if defined(__SANITIZE_ADDRESS__)
constexpr int kLargeDocBlocks = 25000;
#else
constexpr int kLargeDocBlocks = 100000;
#endif

TEST(ChunkerPerformanceTest, HundredThousandBlocksInLinearTime) {
  DocBuilder builder;
  for (int i = 0; i < kLargeDocBlocks; ++i) {
    if (i % 1000 == 0) builder.Heading(1, "Part " + std::to_string(i / 1000));
    builder.Paragraph("Step " + std::to_string(i) + " is short.");
  }
  std::string giant;  // a 100 kB "word" and a 10k-word sentence in the same document
  for (int i = 0; i < 10000; ++i) giant += "abcdefghij";
  builder.Paragraph(giant);
  std::string long_sentence;
  for (int i = 0; i < 10000; ++i) long_sentence += "word ";
  builder.Paragraph(long_sentence);
  const ParsedDocument doc = builder.Build();
  const auto start = std::chrono::steady_clock::now();
  StatusOr<ChunkSet> set = ChunkDocument(doc, Fixed(300, 20));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(set.ok());
  // 5 tokens a block, about 55 blocks a chunk, 20% overlap.
  EXPECT_GT(set->chunks.size(), size_t(kLargeDocBlocks / 60));
  EXPECT_LT(seconds, 20.0) << "quadratic behaviour?";  // 0.2 s optimised
  EXPECT_EQ(set->chunks.back().text.substr(0, 5), "word ");
}

}  // namespace
}  // namespace ragd
