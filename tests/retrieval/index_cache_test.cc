#include "retrieval/index_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "retrieval/embedder.h"
#include "tests/retrieval/vector_test_util.h"

namespace ragd {
namespace {

constexpr int kDim = 32;

std::vector<float> Rows(int n, uint32_t seed) { return testing::RandomUnitRows(n, kDim, seed); }

class IndexCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ragd_cache_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<IndexCache> OpenCache(size_t budget) {
    IndexCacheOptions options;
    options.directory = dir_;
    options.memory_budget_bytes = budget;
    return IndexCache::Open(options).value();
  }
  // Adds n vectors with ids base..base+n-1 to the bot's index; returns the rows.
  std::vector<float> Fill(IndexCache& cache, const std::string& bot, int n, int64_t base) {
    auto index = cache.Get(bot, "emb", kDim).value();
    auto rows = Rows(n, static_cast<uint32_t>(base));
    std::vector<int64_t> ids(n);
    for (int i = 0; i < n; ++i) ids[i] = base + i;
    EXPECT_TRUE(index->Add(ids, rows).ok());
    index->set_generation(static_cast<uint64_t>(base));
    return rows;
  }
  std::filesystem::path dir_;
};

TEST_F(IndexCacheTest, FlushPersistsAndANewCacheLoadsIt) {
  auto cache = OpenCache(size_t{1} << 30);
  auto rows = Fill(*cache, "bot-a", 50, 100);
  EXPECT_EQ(cache->GetExisting("bot-b").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(cache->Flush().ok());
  EXPECT_TRUE(std::filesystem::exists(cache->PathFor("bot-a")));

  auto reopened = OpenCache(size_t{1} << 30);
  auto index = reopened->GetExisting("bot-a").value();
  EXPECT_EQ(index->size(), 50);
  EXPECT_EQ(index->generation(), 100u);
  auto hits = index->Search(std::span<const float>(rows).first(kDim), 1).value();
  EXPECT_EQ(hits[0].id, 100);
}

TEST_F(IndexCacheTest, EvictionOverBudgetSavesDirtyIndexesFirst) {
  // Each index of 200 x 32 floats is ~30 KB; a 70 KB budget keeps about two.
  auto cache = OpenCache(70 * 1024);
  std::vector<std::vector<float>> rows;
  for (int b = 0; b < 6; ++b)
    rows.push_back(Fill(*cache, "bot-" + std::to_string(b), 200, b * 1000));
  EXPECT_LE(cache->resident_count(), 3u);
  EXPECT_LE(cache->resident_bytes(), 70u * 1024);
  EXPECT_TRUE(std::filesystem::exists(cache->PathFor("bot-0")));  // evicted => saved
  EXPECT_TRUE(cache->last_error().ok());
  for (int b = 0; b < 6; ++b) {
    auto index = cache->Get("bot-" + std::to_string(b), "emb", kDim).value();
    ASSERT_EQ(index->size(), 200) << "bot-" << b;
    auto hits = index->Search(std::span<const float>(rows[b]).subspan(5 * kDim, kDim), 1).value();
    EXPECT_EQ(hits[0].id, b * 1000 + 5);
  }
}

TEST_F(IndexCacheTest, HeldIndexesAreNotEvicted) {
  auto cache = OpenCache(1);  // everything is over budget
  Fill(*cache, "pinned", 10, 0);
  auto held = cache->Get("pinned", "emb", kDim).value();
  for (int b = 0; b < 4; ++b) Fill(*cache, "other-" + std::to_string(b), 10, 100 + b * 10);
  EXPECT_EQ(cache->Get("pinned", "emb", kDim).value().get(), held.get());
  std::vector<int64_t> id = {999};
  ASSERT_TRUE(held->Add(id, Rows(1, 3)).ok());  // still the cache's object: the change is kept
  held.reset();
  Fill(*cache, "other-x", 10, 500);  // now "pinned" can go, and must be saved
  EXPECT_TRUE(cache->GetExisting("pinned").value()->Contains(999));
}

TEST_F(IndexCacheTest, EmbedderMismatchIsReported) {
  auto cache = OpenCache(size_t{1} << 30);
  Fill(*cache, "bot", 5, 0);
  EXPECT_EQ(cache->Get("bot", "other-embedder", kDim).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(cache->Get("bot", "emb", kDim + 1).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(cache->Get("Bad/Key", "emb", kDim).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(IndexCacheTest, DropForgetsAndDeletes) {
  auto cache = OpenCache(size_t{1} << 30);
  Fill(*cache, "bot", 5, 0);
  ASSERT_TRUE(cache->Flush().ok());
  ASSERT_TRUE(cache->Drop("bot").ok());
  EXPECT_FALSE(std::filesystem::exists(cache->PathFor("bot")));
  EXPECT_EQ(cache->GetExisting("bot").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cache->Get("bot", "new-embedder", 8).value()->size(), 0);
}

TEST_F(IndexCacheTest, OpenRemovesLeftoverTempFiles) {
  auto cache = OpenCache(size_t{1} << 30);
  Fill(*cache, "bot", 5, 0);
  ASSERT_TRUE(cache->Flush().ok());
  const std::string temp = cache->PathFor("bot").string() + ".tmp.123.456";
  { std::ofstream(temp) << "torn write"; }
  cache.reset();
  auto reopened = OpenCache(size_t{1} << 30);
  EXPECT_FALSE(std::filesystem::exists(temp));
  EXPECT_EQ(reopened->GetExisting("bot").value()->size(), 5);
}

TEST_F(IndexCacheTest, ConcurrentGetsShareOneLoad) {
  {
    auto cache = OpenCache(size_t{1} << 30);
    Fill(*cache, "bot", 100, 0);
    ASSERT_TRUE(cache->Flush().ok());
  }
  auto cache = OpenCache(size_t{1} << 30);
  std::vector<std::shared_ptr<VectorIndex>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] { got[t] = cache->Get("bot", "emb", kDim).value(); });
  }
  for (auto& t : threads) t.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(got[t].get(), got[0].get());
  EXPECT_EQ(got[0]->size(), 100);
}

}  // namespace
}  // namespace ragd
