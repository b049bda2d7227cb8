#include "ingest/normalize.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace ragd {
namespace {

TEST(NormalizeTextTest, NfkcFoldsCompatibilityCharacters) {
  EXPECT_EQ(NormalizeText("\xEF\xAC\x81nal \xEF\xAC\x82oor"), "final floor");  // ﬁ ﬂ ligatures
  EXPECT_EQ(NormalizeText("\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\x91"), "AB1");     // full-width
  // Arabic presentation forms (ﻻ lam-alef isolated, ﺑ beh initial) -> base letters.
  EXPECT_EQ(NormalizeText("\xEF\xBB\xBB \xEF\xBA\x91"), "\xD9\x84\xD8\xA7 \xD8\xA8");
  EXPECT_EQ(NormalizeText("e\xCC\x81t\xC3\xA9"), "\xC3\xA9t\xC3\xA9");  // composed: é
  EXPECT_EQ(NormalizeText("a\xC2\xA0"
                          "b\xE3\x80\x80"
                          "c"),
            "a b c");  // NBSP, ideographic space
}

TEST(NormalizeTextTest, FoldsWhitespaceAndTrims) {
  EXPECT_EQ(NormalizeText("  hello \t\t world  \n  next   line \n\n\n last "),
            "hello world next line last");
  EXPECT_EQ(NormalizeText(" \t\n \r\n "), "");
  EXPECT_EQ(NormalizeText(""), "");
}

TEST(NormalizeTextTest, JoinsHyphenatedLineBreaks) {
  EXPECT_EQ(NormalizeText("an exam-\nple of hyphen-\n  ation"), "an example of hyphenation");
  EXPECT_EQ(NormalizeText("the state-of-the-art method"), "the state-of-the-art method");
  // The word already has a hyphen: the break is at a real hyphen.
  EXPECT_EQ(NormalizeText("state-of-the-\nart"), "state-of-the-art");
  // Capitalised continuation: a compound name, hyphen kept, no space.
  EXPECT_EQ(NormalizeText("Jean-\nPaul"), "Jean-Paul");
  EXPECT_EQ(NormalizeText("pages 10-\n20"), "pages 10-20");
  // A dash after a space is punctuation, not hyphenation.
  EXPECT_EQ(NormalizeText("wait -\nwhat"), "wait - what");
  EXPECT_EQ(NormalizeText("co\xE2\x80\x90\nop"), "coop");  // U+2010 HYPHEN
  EXPECT_EQ(NormalizeText("\xC3\xBC"
                          "ber-\n\xC3\xA4rgert"),
            "\xC3\xBC"
            "ber\xC3\xA4rgert");
}

TEST(NormalizeTextTest, RemovesSoftHyphensAndInvisibleCharacters) {
  EXPECT_EQ(NormalizeText("hy\xC2\xADphen\xC2\xAD\nation"), "hyphenation");
  EXPECT_EQ(NormalizeText("zero\xE2\x80\x8Bwidth\xE2\x80\x8D join\xEF\xBB\xBF"), "zerowidth join");
  EXPECT_EQ(NormalizeText("\xE2\x80\xABRTL\xE2\x80\xAC \xE2\x81\xA6iso\xE2\x81\xA9"), "RTL iso");
}

TEST(NormalizeTextTest, StripsControlCharacters) {
  EXPECT_EQ(NormalizeText(std::string("a\0b\x07"
                                      "c\x1b[0m\x7f"
                                      "d",
                                      11)),
            "abc[0md");
  EXPECT_EQ(NormalizeText("C1\xC2\x80\xC2\x9F here"), "C1 here");
  EXPECT_EQ(NormalizeText("form\ffeed\vtab"), "form feed tab");
}

TEST(NormalizeTextTest, ReplacesInvalidUtf8) {
  EXPECT_EQ(NormalizeText("a\xFF"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(NormalizeText("cut \xE2\x82"), "cut \xEF\xBF\xBD");
  EXPECT_EQ(NormalizeText("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(NormalizeText("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(NormalizeText("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
}

TEST(NormalizeTextTest, ArbitraryBytesGiveValidUtf8) {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 256);
    for (const std::string& out :
         {NormalizeText(bytes), NormalizeParagraphs(bytes), NormalizeLines(bytes)}) {
      ASSERT_TRUE(IsValidUtf8(out));
      ASSERT_EQ(NormalizeText(out), NormalizeText(NormalizeText(out)));  // idempotent
    }
  }
}

TEST(NormalizeParagraphsTest, KeepsParagraphBreaksOnly) {
  EXPECT_EQ(NormalizeParagraphs("\n\nfirst line\nsame para\n\n \t \n\nsecond\r\n\r\nthird\n\n"),
            "first line same para\n\nsecond\n\nthird");
  EXPECT_EQ(NormalizeParagraphs("one\xE2\x80\xA9two"), "one\n\ntwo");  // U+2029
  EXPECT_EQ(SplitParagraphs("a\n\n\nb c\nd\n\n"), (std::vector<std::string>{"a", "b c d"}));
  EXPECT_TRUE(SplitParagraphs(" \n \n").empty());
}

TEST(NormalizeLinesTest, KeepsLinesDropsBlankOnes) {
  EXPECT_EQ(NormalizeLines("  int x;\n\n\tif (x)  return;\nexam-\nple\n"),
            "int x;\nif (x) return;\nexam-\nple");
}

TEST(Utf8Test, ValidityAndCensus) {
  EXPECT_TRUE(IsValidUtf8("plain \xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));
  EXPECT_EQ(ToValidUtf8("ok\xE9ok"), "ok\xEF\xBF\xBDok");
  const Utf8Census census = CountUtf8("\xC3\xA9\xC3\xA9\xFF");
  EXPECT_EQ(census.multibyte, 2);
  EXPECT_EQ(census.invalid, 1);
  EXPECT_TRUE(HasAlphanumeric("\xD9\xA3"));                      // Arabic-Indic digit three
  EXPECT_FALSE(HasAlphanumeric("\xE2\x80\xA2 . \xEF\x82\xB7"));  // bullet, period, PUA glyph
}

}  // namespace
}  // namespace ragd
