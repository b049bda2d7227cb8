// `ragd eval` as a user runs it: a BEIR-format dataset in, BEIR's metrics out, nothing left behind.
//
// The fixture (tests/testdata/beir-tiny, see its README) is built so that BM25, the hashing
// embedder and hybrid fusion all rank the three judged queries the same way:
//   solar/1  own document dropped; the relevant solar/2 first            nDCG 1, R 1, MRR 1
//   q-cars   car-1 (not relevant), car-2 (relevant), car-3 (relevant)
//            nDCG = (1/log2(3) + 1/log2(4)) / (1 + 1/log2(3)),  R 1, MRR 1/2
//   q-ash    ash/b (a duplicate of ash/a, same score, first by id) relevant, "gone" relevant but
//            not in the corpus:  nDCG = 1 / (1 + 1/log2(3)),  R 1/2, MRR 1
// Means over the three queries: nDCG@10 0.76886, Recall@100 0.83333, MRR@10 0.83333.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/blackbox/ragd_process_util.h"

namespace ragd::testing {
namespace {

const std::string kData = std::string(RAGD_SOURCE_DIR) + "/tests/testdata/beir-tiny";

struct Expected {
  double ndcg, recall, mrr;
};

Expected HandComputed() {
  const double q_cars_ndcg = (1 / std::log2(3.0) + 1 / std::log2(4.0)) / (1 + 1 / std::log2(3.0));
  const double q_ash_ndcg = 1 / (1 + 1 / std::log2(3.0));
  return {(1 + q_cars_ndcg + q_ash_ndcg) / 3, (1 + 1 + 0.5) / 3, (1 + 0.5 + 1) / 3};
}

std::vector<std::string> EvalArgs(const std::string& work_dir) {
  return {"eval",
          "--corpus",
          kData + "/corpus.jsonl",
          "--queries",
          kData + "/queries.jsonl",
          "--qrels",
          kData + "/qrels.tsv",
          "--embedder",
          "hashing",
          "--data-dir",
          work_dir};
}

// The numbers printed on the table row of `mode`: nDCG@10, Recall@100, MRR@10.
std::vector<double> Row(const std::string& out, const std::string& mode) {
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first != mode) continue;
    std::vector<double> values(3);
    words >> values[0] >> values[1] >> values[2];
    if (words) return values;
  }
  return {};
}

size_t EntriesIn(const std::string& dir) {
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator(dir);
       it != std::filesystem::directory_iterator(); ++it) {
    ++n;
  }
  return n;
}

TEST(EvalCliTest, PrintsHandComputedMetricsForEveryModeAndCleansUp) {
  TempDir work, outputs;
  const std::string json_path = outputs.path() + "/metrics.json";
  std::vector<std::string> args = EvalArgs(work.path());
  for (const char* extra : {"--mode", "all", "--json", json_path.c_str()}) args.push_back(extra);
  CommandResult r = RunRagd(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  const Expected want = HandComputed();
  for (const char* mode : {"lexical", "semantic", "hybrid"}) {
    const std::vector<double> row = Row(r.out, mode);
    ASSERT_EQ(row.size(), 3u) << mode << "\n" << r.out;
    EXPECT_NEAR(row[0], want.ndcg, 5e-5) << mode;
    EXPECT_NEAR(row[1], want.recall, 5e-5) << mode;
    EXPECT_NEAR(row[2], want.mrr, 5e-5) << mode;
  }
  // What the run was: 9 entries, one stored as a duplicate, one without text, 3 judged queries.
  EXPECT_NE(r.out.find("9 documents (1 duplicates, 1 not indexed), 3 queries"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("embedder hashing-512"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("indexing 9/9 documents"), std::string::npos) << r.err;

  // The JSON carries the same numbers at full precision.
  std::ifstream in(json_path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(j.is_object()) << "no JSON at " << json_path;
  EXPECT_EQ(j["queries"], 3);
  EXPECT_EQ(j["embedder"], "hashing-512");
  for (const char* mode : {"lexical", "semantic", "hybrid"}) {
    EXPECT_NEAR(j["modes"][mode]["ndcg@10"].get<double>(), want.ndcg, 1e-9) << mode;
    EXPECT_NEAR(j["modes"][mode]["recall@100"].get<double>(), want.recall, 1e-9) << mode;
    EXPECT_NEAR(j["modes"][mode]["mrr@10"].get<double>(), want.mrr, 1e-9) << mode;
  }
  // The throwaway data directory is gone.
  EXPECT_EQ(EntriesIn(work.path()), 0u);
}

TEST(EvalCliTest, OneModeOnlyWritesItsTrecRunAndKeepLeavesTheDataDirectory) {
  TempDir work, runs;
  std::vector<std::string> args = EvalArgs(work.path());
  for (const char* extra : {"--mode", "lexical", "--keep", "--trec-run"}) args.push_back(extra);
  args.push_back(runs.path());
  CommandResult r = RunRagd(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Row(r.out, "lexical").size(), 3u) << r.out;
  EXPECT_TRUE(Row(r.out, "semantic").empty()) << r.out;
  EXPECT_TRUE(Row(r.out, "hybrid").empty()) << r.out;
  ASSERT_EQ(EntriesIn(work.path()), 1u);
  const std::filesystem::path kept = std::filesystem::directory_iterator(work.path())->path();
  EXPECT_NE(r.err.find(kept.string()), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(kept / "ragd.db"));
  std::filesystem::remove_all(kept);

  // The run file ranks BEIR ids (the duplicate expanded, ties by id descending) without the
  // query's own document.
  std::ifstream in(runs.path() + "/lexical.run");
  std::stringstream run;
  run << in.rdbuf();
  EXPECT_NE(run.str().find("solar/1 Q0 solar/2 1 "), std::string::npos) << run.str();
  EXPECT_EQ(run.str().find("solar/1 Q0 solar/1 "), std::string::npos) << run.str();
  EXPECT_NE(run.str().find("q-cars Q0 car-1 1 "), std::string::npos) << run.str();
  EXPECT_NE(run.str().find("q-cars Q0 car-3 3 "), std::string::npos) << run.str();
  EXPECT_NE(run.str().find("q-ash Q0 ash/b 1 "), std::string::npos) << run.str();
  EXPECT_NE(run.str().find("q-ash Q0 ash/a 2 "), std::string::npos) << run.str();
  EXPECT_FALSE(std::filesystem::exists(runs.path() + "/hybrid.run"));
}

TEST(EvalCliTest, UnreadableInputIsAClearError) {
  TempDir work;
  std::vector<std::string> args = EvalArgs(work.path());
  args[2] = kData + "/missing.jsonl";
  CommandResult r = RunRagd(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.jsonl"), std::string::npos) << r.err;
  EXPECT_EQ(EntriesIn(work.path()), 0u) << "nothing is created before the inputs are read";

  args = EvalArgs(work.path());
  for (const char* extra : {"--mode", "fuzzy"}) args.push_back(extra);
  r = RunRagd(args);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("fuzzy"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ragd::testing
