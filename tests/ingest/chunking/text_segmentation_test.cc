#include "ingest/chunking/text_segmentation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/chunking/chunker.h"

namespace ragd {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Sentences(std::string_view text) {
  std::vector<std::string> out;
  for (const ByteRange& r : SplitSentences(text)) out.emplace_back(text.substr(r.begin, r.size()));
  return out;
}

TEST(SplitSentencesTest, AbbreviationsAndInitialsDoNotEndSentences) {
  EXPECT_THAT(Sentences("Ask Dr. Smith about it, e.g. Monday works. Mr. Jones agreed! "
                        "J. R. Doe signs (cf. Fig. 3) too. Is it done?"),
              ElementsAre("Ask Dr. Smith about it, e.g. Monday works.", "Mr. Jones agreed!",
                          "J. R. Doe signs (cf. Fig. 3) too.", "Is it done?"));
}

TEST(SplitSentencesTest, OrdinaryPeriodsAndLineFeedsEndSentences) {
  // "etc." and "Inc." often end a sentence, so they are not treated as abbreviations; a line
  // feed always ends one (parsers keep line structure, e.g. in lists and addresses).
  EXPECT_THAT(Sentences("We sell paper, pens, etc. Shipping is free.\nReturns: 30 days"),
              ElementsAre("We sell paper, pens, etc.", "Shipping is free.", "Returns: 30 days"));
  EXPECT_THAT(Sentences("Contact Dr.\nSmith"), ElementsAre("Contact Dr.", "Smith"));
  EXPECT_THAT(Sentences("The price is $3.50 per item. Version 2.1 shipped."),
              ElementsAre("The price is $3.50 per item.", "Version 2.1 shipped."));
}

TEST(SplitSentencesTest, TrimsAndDropsWhitespaceAndHandlesCjk) {
  EXPECT_THAT(Sentences("  \n\t  "), ElementsAre());
  EXPECT_THAT(Sentences(""), ElementsAre());
  EXPECT_THAT(Sentences("\u3000返品は30日以内です。保証は一年間です。"),
              ElementsAre("返品は30日以内です。", "保証は一年間です。"));
}

TEST(SplitSentencesTest, InvalidUtf8IsReadAsReplacementCharacters) {
  const std::string text = "Bad \xff\xfe bytes. Then \xe2\x82 a cut. End";
  const auto ranges = SplitSentences(text);
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(text.substr(ranges[0].begin, ranges[0].size()), "Bad \xff\xfe bytes.");
  EXPECT_EQ(text.substr(ranges[2].begin, ranges[2].size()), "End");
}

TEST(TrimWhitespaceTest, TrimsUnicodeWhitespaceOnly) {
  const std::string text = "\u00a0\u3000 x y \n\u2003";
  const ByteRange r = TrimWhitespace(text, {0, static_cast<int64_t>(text.size())});
  EXPECT_EQ(text.substr(r.begin, r.size()), "x y");
  const std::string invalid = " \xc3";  // truncated sequence: not whitespace, kept
  const ByteRange i = TrimWhitespace(invalid, {0, 2});
  EXPECT_EQ(i, (ByteRange{1, 2}));
}

TEST(WordSegmenterTest, ClassifiesSegments) {
  WordSegmenter seg;
  const std::string text = "Hi, 42 返品";
  seg.Reset(text);
  std::vector<std::pair<std::string, WordSegment::Kind>> got;
  WordSegment s;
  while (seg.Next(s)) got.emplace_back(text.substr(s.range.begin, s.range.size()), s.kind);
  using K = WordSegment::Kind;
  EXPECT_THAT(got, ElementsAre(std::pair<std::string, K>{"Hi", K::kLetter},
                               std::pair<std::string, K>{",", K::kPunctuation},
                               std::pair<std::string, K>{" ", K::kSpace},
                               std::pair<std::string, K>{"42", K::kNumber},
                               std::pair<std::string, K>{" ", K::kSpace},
                               std::pair<std::string, K>{"返品", K::kIdeographic}));
  seg.Reset("");  // reusable, and empty text has no segments
  EXPECT_FALSE(seg.Next(s));
}

TEST(FoldCaseTest, FoldsBeyondAscii) {
  EXPECT_EQ(FoldCase("Straße ÉTÉ Returns"), "strasse été returns");
}

TEST(CountTokensTest, FollowsTheDocumentedEstimate) {
  EXPECT_EQ(CountTokens(""), 0);
  EXPECT_EQ(CountTokens(" \n\t "), 0);
  EXPECT_EQ(CountTokens("the"), 1);
  EXPECT_EQ(CountTokens("policy"), 1);
  EXPECT_EQ(CountTokens("returns"), 2);
  EXPECT_EQ(CountTokens("information"), 2);
  EXPECT_EQ(CountTokens("internationalization"), 4);
  EXPECT_EQ(CountTokens("Hello, world!"), 4);
  EXPECT_EQ(CountTokens("1234567"), 3);
  EXPECT_EQ(CountTokens("返品は"), 3);        // ideographs and kana: one per character
  EXPECT_EQ(CountTokens("مرحبا"), 3);         // other letters: one per two characters
  EXPECT_EQ(CountTokens("a \xff\xfe b"), 4);  // each invalid byte is a symbol
}

TEST(CountTokensTest, IsAdditiveAtWordBoundaries) {
  const std::string a = "Refunds are issued within 14 days, ";
  const std::string b = "to the original payment method.";
  EXPECT_EQ(CountTokens(a + b), CountTokens(a) + CountTokens(b));
  // English prose: about 1.3-1.4 tokens per word.
  const std::string prose =
      "Items bought online can be returned within thirty days of delivery, provided they are "
      "unused and in their original packaging. Refunds are issued to the original payment "
      "method once the warehouse has inspected the item.";
  const double per_word = CountTokens(prose) / 35.0;
  EXPECT_GT(per_word, 1.15);
  EXPECT_LT(per_word, 1.6);
}

}  // namespace
}  // namespace ragd
