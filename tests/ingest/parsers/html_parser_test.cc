#include "ingest/parsers/html_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace ragd {
namespace {

TEST(HtmlCharsetTest, SniffsMetaDeclarations) {
  EXPECT_EQ(SniffHtmlCharset("<html><head><META CHARSET='Shift_JIS'>"), "shift_jis");
  EXPECT_EQ(SniffHtmlCharset(
                "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\">"),
            "windows-1251");
  EXPECT_EQ(SniffHtmlCharset("<p>charset=utf-8 in text is not a declaration</p>"), "");
  EXPECT_EQ(SniffHtmlCharset(std::string(5000, ' ') + "<meta charset=koi8-r>"), "");
}

TEST(HtmlParserTest, Utf16ClaimInAsciiDocumentIsIgnored) {
  const auto doc = HtmlParser::ParseBytes(
      "<meta charset=\"utf-16\"><title>T</title><p>caf\xC3\xA9</p>", ParseOptions());
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ(doc->blocks.size(), 1u);
  EXPECT_EQ(doc->blocks[0].text, "caf\xC3\xA9");
  EXPECT_EQ(doc->title, "T");
}

TEST(HtmlParserTest, TagSoupAndDeepNesting) {
  // Unclosed tags are repaired as browsers do; absurd nesting neither crashes nor recurses
  // without bound.
  std::string html = "<p>one<p>two<li>item<table><tr><td>c1<td>c2</table>";
  for (int i = 0; i < 3000; ++i) html += "<div>";
  html += "deep";
  const auto doc = HtmlParser::ParseBytes(html, ParseOptions());
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_GE(doc->blocks.size(), 4u);
  EXPECT_EQ(doc->blocks[0].text, "one");
  EXPECT_EQ(doc->blocks[1].text, "two");
  EXPECT_EQ(doc->blocks[2].kind, TextBlock::Kind::kListItem);
  EXPECT_EQ(doc->blocks[3].kind, TextBlock::Kind::kTableRow);
  EXPECT_EQ(doc->blocks[3].text, "c1 | c2");
}

}  // namespace
}  // namespace ragd
