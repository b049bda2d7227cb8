// Data-driven golden cases for the non-PDF parsers: tests/testdata/parsers/cases.json.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "ingest/parsers/registry.h"
#include "tests/ingest/parsers/parsed_document_json_util.h"

namespace ragd {
namespace {

const std::filesystem::path kDir =
    std::filesystem::path(RAGD_SOURCE_DIR) / "tests/testdata/parsers";

nlohmann::json ReadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot open " << path;
  return nlohmann::json::parse(in);
}

TEST(ParserGoldenTest, EveryCaseInCasesJson) {
  const nlohmann::json manifest = ReadJson(kDir / "cases.json");
  ASSERT_GE(manifest["cases"].size(), 20u);
  for (const nlohmann::json& c : manifest["cases"]) {
    const std::string file = c["file"];
    SCOPED_TRACE(c.dump());
    const auto parser = ParserFor(c.value("content_type", ""), file);
    ASSERT_TRUE(parser.ok()) << parser.status().ToString();
    ParseOptions options;
    if (c.contains("options")) {
      options.max_text_bytes = c["options"].value("max_text_bytes", options.max_text_bytes);
      options.max_uncompressed_bytes =
          c["options"].value("max_uncompressed_bytes", options.max_uncompressed_bytes);
    }
    int progress_calls = 0;
    options.progress = [&](int64_t done, int64_t total) {
      ++progress_calls;
      EXPECT_LE(done, total);
    };
    const StatusOr<ParsedDocument> doc = (*parser)->Parse(kDir / file, options);
    if (c.contains("error")) {
      ASSERT_FALSE(doc.ok()) << "expected an error, got " << testing::ToJson(*doc).dump();
      EXPECT_EQ(StatusCodeName(doc.status().code()), c["error"]["code"].get<std::string>());
      EXPECT_NE(doc.status().message().find(c["error"]["message"].get<std::string>()),
                std::string::npos)
          << doc.status().ToString();
      continue;
    }
    ASSERT_TRUE(doc.ok()) << doc.status().ToString();
    EXPECT_EQ(progress_calls, 1);
    const nlohmann::json expected = ReadJson(kDir / c["expect"].get<std::string>());
    const nlohmann::json actual = testing::ToJson(*doc);
    EXPECT_EQ(actual, expected) << "actual:\n" << actual.dump(2);
  }
}

}  // namespace
}  // namespace ragd
