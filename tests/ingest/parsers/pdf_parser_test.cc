// The PDF parser against the 35-file corpus in ../shared/testdata/pdf, driven by
// tests/testdata/parsers/pdf_expectations.json, plus layout, limits and concurrency.
#include "ingest/parsers/pdf_parser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/ingest/parsers/parsed_document_json_util.h"

namespace ragd {
namespace {

namespace fs = std::filesystem;

const fs::path kPdfDir = fs::path(RAGD_SHARED_DIR) / "testdata/pdf";
const fs::path kExpectations =
    fs::path(RAGD_SOURCE_DIR) / "tests/testdata/parsers/pdf_expectations.json";

StatusOr<ParsedDocument> ParsePdf(const std::string& name, const ParseOptions& options = {}) {
  return PdfParser().Parse(kPdfDir / name, options);
}

// The block (on `page`, or any page if 0) whose text contains `needle`, or nullptr.
const TextBlock* BlockWith(const ParsedDocument& doc, std::string_view needle, int page = 0) {
  for (const TextBlock& block : doc.blocks) {
    if ((page == 0 || block.page == page) && block.text.find(needle) != std::string::npos) {
      return &block;
    }
  }
  return nullptr;
}

TEST(PdfParserTest, CorpusMatchesExpectations) {
  std::ifstream in(kExpectations);
  ASSERT_TRUE(in) << kExpectations;
  const nlohmann::json expectations = nlohmann::json::parse(in);
  std::set<std::string> covered;
  for (const nlohmann::json& c : expectations["cases"]) {
    SCOPED_TRACE(c.dump());
    const std::string file = c["file"];
    covered.insert(file);
    if (c.value("needs", "") == "poppler-data" && !fs::exists("/usr/share/poppler/cMap")) {
      ADD_FAILURE() << file << " needs the CJK CMaps of the Debian package poppler-data";
      continue;
    }
    ParseOptions options;
    options.password = c.value("password", "");
    const StatusOr<ParsedDocument> doc = ParsePdf(file, options);
    if (c["outcome"] == "failed") {
      ASSERT_FALSE(doc.ok()) << "parsed, expected a failure";
      EXPECT_EQ(StatusCodeName(doc.status().code()), c["code"].get<std::string>());
      EXPECT_NE(doc.status().message().find(c["reason"].get<std::string>()), std::string::npos)
          << doc.status().ToString();
      continue;
    }
    ASSERT_TRUE(doc.ok()) << doc.status().ToString();
    EXPECT_EQ(doc->page_count, c["pages"].get<int>());
    const std::string text = testing::JoinedText(*doc);
    for (const std::string snippet : c["snippets"]) {
      EXPECT_NE(text.find(snippet), std::string::npos) << "missing: " << snippet;
    }
    if (c.contains("title")) {
      EXPECT_EQ(doc->title, c["title"].get<std::string>());
    }
    for (const TextBlock& block : doc->blocks) {
      EXPECT_FALSE(block.text.empty());
      EXPECT_GE(block.page, 1);
      EXPECT_LE(block.page, doc->page_count);
      EXPECT_EQ(block.kind, TextBlock::Kind::kParagraph);
    }
  }
  // Every PDF of the corpus has an expectation: a new fixture without one fails here.
  for (const auto& entry : fs::recursive_directory_iterator(kPdfDir)) {
    if (entry.path().extension() != ".pdf") continue;
    EXPECT_TRUE(covered.count(fs::relative(entry.path(), kPdfDir).string()))
        << "no expectation for " << entry.path();
  }
}

TEST(PdfParserTest, TwoColumnPaperReadsColumnByColumn) {
  const StatusOr<ParsedDocument> doc = ParsePdf("multi-column/tracemonkey.pdf");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  // The abstract (left column, 12 lines) is one paragraph, read line after line.
  const TextBlock* abstract = BlockWith(*doc, "Dynamic languages such as JavaScript are more", 1);
  ASSERT_NE(abstract, nullptr);
  EXPECT_NE(
      abstract->text.find("Dynamic languages such as JavaScript are more difficult to compile "
                          "than statically typed ones. Since no concrete type information "
                          "is available, traditional compilers need to emit generic code "
                          "that can handle all possible type combinations at runtime."),
      std::string::npos)
      << abstract->text;
  EXPECT_NE(abstract->text.find("speedups of 10x and more for certain benchmark programs."),
            std::string::npos);
  // The introduction's first paragraph ends the left column; the right column continues it. No
  // right-column words are interleaved with the left column's lines.
  const TextBlock* intro =
      BlockWith(*doc, "Dynamic languages such as JavaScript, Python, and Ruby", 1);
  ASSERT_NE(intro, nullptr);
  EXPECT_NE(intro->text.find("JavaScript, for example, is the de facto standard for client-side "
                             "web programming"),
            std::string::npos)
      << intro->text;
  EXPECT_EQ(intro->text.find("Google Mail"), std::string::npos) << intro->text;
  const TextBlock* right =
      BlockWith(*doc, "and is used for the application logic of browser-based", 1);
  ASSERT_NE(right, nullptr);
  EXPECT_GT(right, intro);  // later in reading order
}

TEST(PdfParserTest, ThreeColumnNoticeReadsColumnByColumn) {
  const StatusOr<ParsedDocument> doc = ParsePdf("multi-column/federal-register-2020-17221.pdf");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const TextBlock* block = BlockWith(*doc, "Investigation of the accident has been", 2);
  ASSERT_NE(block, nullptr);
  EXPECT_NE(block->text.find("Investigation of the accident has been completed by the Indonesian "
                             "authorities (Komite Nasional Keselamatan Transportasi (KNKT)) with "
                             "assistance from the National Transportation Safety Board (NTSB)"),
            std::string::npos)
      << block->text;
}

TEST(PdfParserTest, NormalisesArabicPresentationForms) {
  const StatusOr<ParsedDocument> doc = ParsePdf("unicode/ArabicCIDTrueType.pdf");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  for (const TextBlock& block : doc->blocks) {
    // U+FB50..U+FDFF and U+FE70..U+FEFF (presentation forms) are gone after NFKC.
    EXPECT_EQ(block.text.find("\xEF\xBA"), std::string::npos) << block.text;
    EXPECT_EQ(block.text.find("\xEF\xBB"), std::string::npos) << block.text;
  }
}

TEST(PdfParserTest, PageLimit) {
  ParseOptions options;
  options.max_pages = 10;
  const StatusOr<ParsedDocument> doc = ParsePdf("multi-column/tracemonkey.pdf", options);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(doc.status().message(), "document has 14 pages; the limit is 10");
}

TEST(PdfParserTest, TextLimit) {
  ParseOptions options;
  options.max_text_bytes = 2000;
  const StatusOr<ParsedDocument> doc = ParsePdf("multi-column/naacl06-shinyama.pdf", options);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(doc.status().message(), "document text exceeds the limit of 2000 bytes");
}

TEST(PdfParserTest, ProgressPerPageAndDeadline) {
  std::vector<std::pair<int64_t, int64_t>> calls;
  ParseOptions options;
  options.progress = [&](int64_t done, int64_t total) { calls.emplace_back(done, total); };
  ASSERT_TRUE(ParsePdf("unicode/vertical.pdf", options).ok());
  EXPECT_EQ(calls, (std::vector<std::pair<int64_t, int64_t>>{{1, 3}, {2, 3}, {3, 3}}));

  // A deadline that passes while page 1 is reported stops the parse before page 2.
  calls.clear();
  options.deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
  options.progress = [&](int64_t done, int64_t total) {
    calls.emplace_back(done, total);
    options.deadline = std::chrono::steady_clock::now();  // the parser reads it per page
  };
  const StatusOr<ParsedDocument> doc = ParsePdf("unicode/vertical.pdf", options);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(doc.status().message().find("after 1 of 3 pages"), std::string::npos)
      << doc.status().message();
  EXPECT_EQ(calls.size(), 1u);
}

TEST(PdfParserTest, MissingFileIsNotFound) {
  const StatusOr<ParsedDocument> doc = ParsePdf("no/such.pdf");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kNotFound);
}

// Concurrent parses give the same results as sequential ones, including poppler's error messages
// (captured per thread, never mixed between documents).
TEST(PdfParserTest, ConcurrentParsesFromTwoThreads) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"multi-column/naacl06-shinyama.pdf", ""},
      {"unicode/multilang.pdf", ""},
      {"encrypted/pdfminer-aes-256.pdf", "baz"},
      {"malformed/qpdf-bad7.pdf", ""},
      {"malformed/qpdf-bad1.pdf", ""},
      {"malformed/zen_of_python_corrupted.pdf", ""},
      {"encrypted/pypdf-r6-both-passwords.pdf", ""},
      {"unicode/jo.pdf", ""}};
  const auto run = [&](size_t first) {
    std::vector<std::string> results(files.size());
    for (size_t k = 0; k < files.size(); ++k) {
      const size_t i = (first + k) % files.size();  // the threads walk the list out of phase
      ParseOptions options;
      options.password = files[i].second;
      const StatusOr<ParsedDocument> doc = ParsePdf(files[i].first, options);
      results[i] = doc.ok() ? testing::ToJson(*doc).dump() : doc.status().ToString();
    }
    return results;
  };
  const std::vector<std::string> sequential = run(0);
  std::vector<std::string> a, b;
  for (int round = 0; round < 2; ++round) {
    std::thread t1([&] { a = run(0); });
    std::thread t2([&] { b = run(files.size() / 2); });
    t1.join();
    t2.join();
    EXPECT_EQ(a, sequential);
    EXPECT_EQ(b, sequential);
  }
}

}  // namespace
}  // namespace ragd
