// Data-driven chunker cases: every tests/testdata/chunking/*.json is one test (see README.md
// there for the format). Adding a case needs no C++.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ingest/chunking/chunker.h"
#include "tests/ingest/chunking/chunking_test_util.h"

namespace ragd {
namespace {

using nlohmann::json;

std::filesystem::path CaseDir() {
  return std::filesystem::path(RAGD_SOURCE_DIR) / "tests/testdata/chunking";
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(CaseDir())) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TextBlock::Kind KindFromName(const std::string& name) {
  if (name == "heading") return TextBlock::Kind::kHeading;
  if (name == "list_item") return TextBlock::Kind::kListItem;
  if (name == "table_row") return TextBlock::Kind::kTableRow;
  if (name == "record") return TextBlock::Kind::kRecord;
  EXPECT_EQ(name, "paragraph") << "unknown block kind";
  return TextBlock::Kind::kParagraph;
}

ChunkingConfig ConfigFromJson(const json& j) {
  ChunkingConfig c;
  const std::string strategy = j.value("strategy", "fixed_size");
  c.strategy = strategy == "hierarchical" ? ChunkingConfig::Strategy::kHierarchical
               : strategy == "none"       ? ChunkingConfig::Strategy::kNone
                                          : ChunkingConfig::Strategy::kFixedSize;
  c.max_tokens = j.value("max_tokens", c.max_tokens);
  c.overlap_percentage = j.value("overlap_percentage", c.overlap_percentage);
  c.max_parent_tokens = j.value("max_parent_tokens", c.max_parent_tokens);
  c.max_child_tokens = j.value("max_child_tokens", c.max_child_tokens);
  c.overlap_tokens = j.value("overlap_tokens", c.overlap_tokens);
  return c;
}

// Blocks get the heading_path a parser would give them unless the case spells it out.
ParsedDocument DocumentFromJson(const json& j) {
  ParsedDocument doc;
  doc.title = j.value("title", "");
  std::vector<std::pair<int, std::string>> headings;
  for (const json& b : j.at("blocks")) {
    TextBlock block;
    block.kind = KindFromName(b.value("kind", "paragraph"));
    block.text = b.at("text").get<std::string>();
    block.page = b.value("page", 0);
    block.heading_level = block.kind == TextBlock::Kind::kHeading ? b.value("level", 1) : 0;
    if (block.kind == TextBlock::Kind::kHeading) {
      while (!headings.empty() && headings.back().first >= block.heading_level) {
        headings.pop_back();
      }
    }
    for (const auto& h : headings) block.heading_path.push_back(h.second);
    if (b.contains("heading_path")) block.heading_path = b["heading_path"];
    if (block.kind == TextBlock::Kind::kHeading) {
      headings.emplace_back(block.heading_level, block.text);
    }
    doc.page_count = std::max(doc.page_count, block.page);
    doc.blocks.push_back(std::move(block));
  }
  doc.page_count = j.value("page_count", doc.page_count);
  return doc;
}

json ChunksToJson(const std::vector<Chunk>& chunks, bool with_parent) {
  json out = json::array();
  for (const Chunk& c : chunks) {
    json j = {
        {"text", c.text}, {"pages", {c.page_start, c.page_end}}, {"heading_path", c.heading_path}};
    if (with_parent) j["parent"] = c.parent;
    out.push_back(j);
  }
  return out;
}

void ExpectChunks(const json& expected, const std::vector<Chunk>& actual, const std::string& what) {
  ASSERT_EQ(expected.size(), actual.size()) << what << " count";
  for (size_t i = 0; i < actual.size(); ++i) {
    SCOPED_TRACE(what + " " + std::to_string(i));
    const json& e = expected[i];
    EXPECT_EQ(e.at("text").get<std::string>(), actual[i].text);
    if (e.contains("pages")) {
      EXPECT_EQ(e["pages"][0].get<int>(), actual[i].page_start);
      EXPECT_EQ(e["pages"][1].get<int>(), actual[i].page_end);
    }
    if (e.contains("heading_path")) {
      EXPECT_EQ(e["heading_path"].get<std::vector<std::string>>(), actual[i].heading_path);
    }
    if (e.contains("parent")) {
      EXPECT_EQ(e["parent"].get<int>(), actual[i].parent);
    }
  }
}

class ChunkerGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ChunkerGoldenTest, MatchesExpectedChunks) {
  const std::filesystem::path path = CaseDir() / (GetParam() + ".json");
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const json c = json::parse(in, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  ASSERT_FALSE(c.is_discarded()) << path << " is not valid JSON";

  ParsedDocument doc = DocumentFromJson(c.at("document"));
  const std::string csv_header = c["document"].value("csv_header", "");
  doc.csv_header = csv_header;
  const ChunkingConfig config = ConfigFromJson(c.value("config", json::object()));
  StatusOr<ChunkSet> set = ChunkDocument(doc, config);
  if (c.contains("expected_error_field")) {
    ASSERT_FALSE(set.ok());
    EXPECT_EQ(set.status().kind(), ErrorKind::kUnprocessable);
    EXPECT_EQ(set.status().message().substr(0, set.status().message().find(':')),
              c["expected_error_field"].get<std::string>());
    return;
  }
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  testing::ExpectChunkSetInvariants(doc, config, *set, csv_header);
  const bool hierarchical = config.strategy == ChunkingConfig::Strategy::kHierarchical;
  const json& expected = c.at("expected");
  ExpectChunks(expected.at("chunks"), set->chunks, "chunk");
  ExpectChunks(expected.value("parents", json::array()), set->parents, "parent");
  if (HasFailure()) {
    json actual = {{"chunks", ChunksToJson(set->chunks, hierarchical)}};
    if (hierarchical) actual["parents"] = ChunksToJson(set->parents, false);
    ADD_FAILURE() << "actual result (check it before pasting into \"expected\"):\n"
                  << actual.dump(2);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ChunkerGoldenTest, ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace_if(
                               name.begin(), name.end(), [](char ch) { return !std::isalnum(ch); },
                               '_');
                           return name;
                         });

}  // namespace
}  // namespace ragd
