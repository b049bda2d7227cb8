#include "ingest/parsers/registry.h"

#include <gtest/gtest.h>

#include "ingest/parsers/csv_parser.h"
#include "ingest/parsers/docx_parser.h"
#include "ingest/parsers/html_parser.h"
#include "ingest/parsers/markdown_parser.h"
#include "ingest/parsers/pdf_parser.h"
#include "ingest/parsers/text_parser.h"

namespace ragd {
namespace {

template <typename T>
bool Is(const StatusOr<const DocumentParser*>& parser) {
  return parser.ok() && dynamic_cast<const T*>(*parser) != nullptr;
}

TEST(ParserRegistryTest, ContentTypeFirst) {
  EXPECT_TRUE(Is<PdfParser>(ParserFor("application/pdf", "x.bin")));
  EXPECT_TRUE(Is<HtmlParser>(ParserFor("Text/HTML; charset=ISO-8859-1", "page.txt")));
  EXPECT_TRUE(Is<MarkdownParser>(ParserFor("text/markdown", "")));
  EXPECT_TRUE(Is<TextParser>(ParserFor("text/plain", "data.csv")));
  EXPECT_TRUE(Is<CsvParser>(ParserFor("text/tab-separated-values", "")));
  EXPECT_TRUE(Is<DocxParser>(
      ParserFor("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "")));
}

TEST(ParserRegistryTest, ExtensionFallback) {
  EXPECT_TRUE(Is<PdfParser>(ParserFor("", "Report.PDF")));
  EXPECT_TRUE(Is<PdfParser>(ParserFor("application/octet-stream", "dir.v2/report.pdf")));
  EXPECT_TRUE(Is<HtmlParser>(ParserFor("", "index.htm")));
  EXPECT_TRUE(Is<MarkdownParser>(ParserFor("binary/octet-stream", "README.md")));
  EXPECT_TRUE(Is<CsvParser>(ParserFor("", "t.tsv")));
  EXPECT_TRUE(Is<DocxParser>(ParserFor("", "a.docx")));
  EXPECT_TRUE(Is<TextParser>(ParserFor("", "notes.txt")));
}

TEST(ParserRegistryTest, UnknownIsUnsupportedMediaType) {
  for (const auto& [type, name] : std::vector<std::pair<std::string, std::string>>{
           {"image/png", "photo.png"}, {"", "archive.tar.gz"}, {"", "noextension"}, {"", ".pdf"}}) {
    const auto parser = ParserFor(type, name);
    ASSERT_FALSE(parser.ok()) << type << " " << name;
    EXPECT_EQ(parser.status().kind(), ErrorKind::kUnsupportedMediaType);
    EXPECT_NE(parser.status().message().find("application/pdf, text/html"), std::string::npos)
        << parser.status().message();
  }
  // The message names the file the user picked and the extensions that would work.
  const auto exe = ParserFor("application/octet-stream", "setup.exe");
  ASSERT_FALSE(exe.ok());
  EXPECT_NE(
      exe.status().message().find("\"setup.exe\" (content type \"application/octet-stream\")"),
      std::string::npos)
      << exe.status().message();
  EXPECT_NE(exe.status().message().find(".pdf"), std::string::npos);
  EXPECT_NE(exe.status().message().find(".docx"), std::string::npos);
}

TEST(ParserRegistryTest, SupportedContentTypes) {
  const std::vector<std::string> types = SupportedContentTypes();
  EXPECT_EQ(types.front(), "application/pdf");
  for (const std::string& type : types) EXPECT_TRUE(ParserFor(type, "").ok()) << type;
}

}  // namespace
}  // namespace ragd
