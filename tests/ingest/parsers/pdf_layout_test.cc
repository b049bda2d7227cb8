#include "ingest/parsers/pdf_layout.h"

#include <gtest/gtest.h>

namespace ragd {
namespace {

using Paragraphs = std::vector<std::string>;

TEST(SplitPdfPageTextTest, BlankLinesSeparateFlows) {
  EXPECT_EQ(SplitPdfPageText("Heading\n\nfirst flow line\n\n\nsecond\n"),
            (Paragraphs{"Heading", "first flow line", "second"}));
  EXPECT_TRUE(SplitPdfPageText("\n \n\f").empty());
}

TEST(SplitPdfPageTextTest, ShortSentenceEndEndsParagraphInProse) {
  const std::string text =
      "This is a long line of running text in a column of a paper\n"
      "and it continues on the next line of the very same column\n"
      "until the paragraph ends here.\n"
      "A new paragraph starts on the next line of the same column\n"
      "and goes on, because this full line ends with a period.\n"
      "Still the same paragraph, then: the end of the column text\n";
  EXPECT_EQ(SplitPdfPageText(text),
            (Paragraphs{"This is a long line of running text in a column of a paper\n"
                        "and it continues on the next line of the very same column\n"
                        "until the paragraph ends here.",
                        "A new paragraph starts on the next line of the same column\n"
                        "and goes on, because this full line ends with a period.\n"
                        "Still the same paragraph, then: the end of the column text"}));
}

TEST(SplitPdfPageTextTest, VeryShortLineAndBulletsBreak) {
  const std::string text =
      "Introduction\n"
      "This is a long line of running text in a column of a paper\n"
      "that goes on for a while without a sentence end at all and\n"
      "\xE2\x80\xA2 a bullet item that is long enough to look like prose\n"
      "- a dash item that is also long enough to look like prose\n";
  EXPECT_EQ(SplitPdfPageText(text),
            (Paragraphs{"Introduction",
                        "This is a long line of running text in a column of a paper\n"
                        "that goes on for a while without a sentence end at all and",
                        "\xE2\x80\xA2 a bullet item that is long enough to look like prose",
                        "- a dash item that is also long enough to look like prose"}));
}

TEST(SplitPdfPageTextTest, ShortLinesStandAlone) {
  EXPECT_EQ(SplitPdfPageText("Alabama\nAlaska\nNew York\n"),
            (Paragraphs{"Alabama", "Alaska", "New York"}));
}

TEST(GuessPdfTitleTest, FirstLinePlusOneWordTail) {
  EXPECT_EQ(GuessPdfTitle("Trace-based Just-in-Time Type Specialization for Dynamic\nLanguages\n"
                          "Andreas Gal, Brendan Eich\n"),
            "Trace-based Just-in-Time Type Specialization for Dynamic Languages");
  EXPECT_EQ(GuessPdfTitle("Preemptive Information Extraction\nYusuke Shinyama\n"),
            "Preemptive Information Extraction");
  EXPECT_EQ(GuessPdfTitle("47698\n\nProposed Rules\n"), "Proposed Rules");
  EXPECT_EQ(GuessPdfTitle("12\n\n  \n"), "");
}

}  // namespace
}  // namespace ragd
