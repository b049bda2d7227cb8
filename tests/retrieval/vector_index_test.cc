#include "retrieval/vector_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "retrieval/embedder.h"
#include "tests/retrieval/vector_test_util.h"

namespace ragd {
namespace {

constexpr int kDim = 16;

using testing::Iota;
using testing::RandomUnitRows;

std::span<const float> RowOf(const std::vector<float>& rows, int i) {
  return testing::RowOf(rows, i, kDim);
}

// Exact top-k by brute force over (ids, rows), restricted to `allowed` when given.
std::vector<int64_t> ExactTopK(const std::vector<int64_t>& ids, const std::vector<float>& rows,
                               std::span<const float> query, int k, const IdSet* allowed) {
  std::vector<std::pair<float, int64_t>> scored;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (allowed != nullptr && !allowed->contains(ids[i])) continue;
    float s = 0;
    for (int d = 0; d < kDim; ++d) s += query[d] * rows[i * kDim + d];
    scored.emplace_back(-s, ids[i]);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<int64_t> out;
  for (int i = 0; i < k && i < static_cast<int>(scored.size()); ++i)
    out.push_back(scored[i].second);
  return out;
}

std::vector<int64_t> HitIds(const std::vector<VectorHit>& hits) {
  std::vector<int64_t> ids;
  for (const VectorHit& h : hits) ids.push_back(h.id);
  return ids;
}

class VectorIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ragd_vi_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(VectorIndexTest, FindsEachVectorAsItsOwnNearestNeighbour) {
  auto index = VectorIndex::Create("test-embedder", kDim).value();
  const auto rows = RandomUnitRows(300, kDim, 1);
  const auto ids = Iota(300, 1000);
  ASSERT_TRUE(index->Add(ids, rows).ok());
  EXPECT_EQ(index->size(), 300);
  for (int i = 0; i < 300; i += 37) {
    auto hits = index->Search(RowOf(rows, i), 5).value();
    ASSERT_EQ(hits.size(), 5u);
    EXPECT_EQ(hits[0].id, ids[i]);
    EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
    EXPECT_EQ(HitIds(hits), ExactTopK(ids, rows, RowOf(rows, i), 5, nullptr));
  }
}

TEST_F(VectorIndexTest, RejectsWrongShapes) {
  auto index = VectorIndex::Create("e", kDim).value();
  std::vector<int64_t> ids = {1, 2};
  std::vector<float> rows(kDim);  // one row for two ids
  EXPECT_EQ(index->Add(ids, rows).code(), StatusCode::kInvalidArgument);
  std::vector<float> query(kDim - 1);
  EXPECT_EQ(index->Search(query, 3).status().code(), StatusCode::kInvalidArgument);
  std::vector<int64_t> negative = {-1};
  EXPECT_EQ(index->Add(negative, std::vector<float>(kDim, 0.25f)).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VectorIndex::Create("e", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(VectorIndexTest, ReAddReplacesTheVector) {
  auto index = VectorIndex::Create("e", kDim).value();
  const auto rows = RandomUnitRows(3, kDim, 2);
  std::vector<int64_t> ids = {7, 8};
  ASSERT_TRUE(index->Add(ids, std::span<const float>(rows).first(2 * kDim)).ok());
  std::vector<int64_t> seven = {7};
  ASSERT_TRUE(index->Add(seven, RowOf(rows, 2)).ok());
  EXPECT_EQ(index->size(), 2);
  auto hits = index->Search(RowOf(rows, 2), 1).value();
  EXPECT_EQ(hits[0].id, 7);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
  EXPECT_LT(index->Search(RowOf(rows, 0), 2).value()[0].score, 0.99f);  // old vector is gone
}

TEST_F(VectorIndexTest, RemovedIdsAreNeverReturnedAndTheRestStayFindable) {
  auto index = VectorIndex::Create("e", kDim).value();
  const auto rows = RandomUnitRows(100, kDim, 3);
  const auto ids = Iota(100, 0);
  ASSERT_TRUE(index->Add(ids, rows).ok());
  std::vector<int64_t> gone = {0, 5, 50, 99, 12345};
  EXPECT_EQ(index->Remove(gone).value(), 4);
  EXPECT_EQ(index->size(), 96);
  EXPECT_FALSE(index->Contains(5));
  for (int i = 0; i < 100; ++i) {
    auto hits = index->Search(RowOf(rows, i), 100).value();
    EXPECT_EQ(hits.size(), 96u);
    for (const VectorHit& h : hits) EXPECT_TRUE(index->Contains(h.id));
    if (index->Contains(i)) {
      EXPECT_EQ(hits[0].id, i) << "row moved by a delete lost its id";
    }
  }
}

TEST_F(VectorIndexTest, AllowedIdFilterIsExact) {
  auto index = VectorIndex::Create("e", kDim).value();
  const auto rows = RandomUnitRows(500, kDim, 4);
  const auto ids = Iota(500, 0);
  ASSERT_TRUE(index->Add(ids, rows).ok());
  IdSet allowed = {3, 77, 150, 151, 499, 100000};
  auto hits = index->Search(RowOf(rows, 0), 10, &allowed).value();
  EXPECT_EQ(HitIds(hits), ExactTopK(ids, rows, RowOf(rows, 0), 10, &allowed));
  EXPECT_EQ(hits.size(), 5u);
  IdSet none;
  EXPECT_TRUE(index->Search(RowOf(rows, 0), 10, &none).value().empty());
}

TEST_F(VectorIndexTest, SwitchToHnswKeepsResults) {
  VectorIndexOptions options;
  options.hnsw_threshold = 400;
  auto index = VectorIndex::Create("e", kDim, options).value();
  const auto rows = RandomUnitRows(600, kDim, 5);
  const auto ids = Iota(600, 1);
  ASSERT_TRUE(index->Add(std::span(ids).first(300), std::span(rows).first(300 * kDim)).ok());
  EXPECT_FALSE(index->is_hnsw());
  ASSERT_TRUE(index->Add(std::span(ids).subspan(300), std::span(rows).subspan(300 * kDim)).ok());
  ASSERT_TRUE(index->WaitForRebuild().ok());  // the graph is built in the background
  EXPECT_TRUE(index->is_hnsw());
  EXPECT_EQ(index->size(), 600);
  int overlap = 0;
  for (int i = 0; i < 600; i += 20) {
    auto hits = HitIds(index->Search(RowOf(rows, i), 10).value());
    ASSERT_EQ(hits.size(), 10u);
    EXPECT_EQ(hits[0], ids[i]);
    auto exact = ExactTopK(ids, rows, RowOf(rows, i), 10, nullptr);
    for (int64_t id : hits) overlap += std::count(exact.begin(), exact.end(), id);
  }
  EXPECT_GE(overlap, 0.95 * 30 * 10);  // recall@10 of the graph vs exact search
  // A filter on HNSW stays exact (small allow-lists are brute-forced).
  IdSet allowed = {10, 20, 30};
  EXPECT_EQ(HitIds(index->Search(RowOf(rows, 0), 3, &allowed).value()),
            ExactTopK(ids, rows, RowOf(rows, 0), 3, &allowed));
}

TEST_F(VectorIndexTest, HnswDeletesUseTombstonesThenCompact) {
  VectorIndexOptions options;
  options.hnsw_threshold = 200;
  options.max_tombstone_fraction = 0.25;
  auto index = VectorIndex::Create("e", kDim, options).value();
  const auto rows = RandomUnitRows(400, kDim, 6);
  const auto ids = Iota(400, 0);
  ASSERT_TRUE(index->Add(ids, rows).ok());
  ASSERT_TRUE(index->WaitForRebuild().ok());
  ASSERT_TRUE(index->is_hnsw());
  std::vector<int64_t> gone;
  for (int i = 0; i < 400; i += 5) gone.push_back(i);  // 80 = 20%
  EXPECT_EQ(index->Remove(gone).value(), 80);
  EXPECT_EQ(index->tombstones(), 80);
  for (int i = 0; i < 400; i += 7) {
    auto hits = index->Search(RowOf(rows, i), 10).value();
    EXPECT_EQ(hits.size(), 10u) << "over-fetch must still fill k";
    for (const VectorHit& h : hits) EXPECT_NE(h.id % 5, 0) << "tombstone returned";
  }
  std::vector<int64_t> more = {1,  2,  3,  4,  6,  7,  8,  9,  11, 12, 13,
                               14, 16, 17, 18, 19, 21, 22, 23, 24, 26, 27};
  ASSERT_TRUE(index->Remove(more).ok());      // 102 of 400 rows dead: past 25%
  ASSERT_TRUE(index->WaitForRebuild().ok());  // compaction into a fresh HNSW runs in the background
  EXPECT_EQ(index->tombstones(), 0);
  EXPECT_EQ(index->size(), 400 - 80 - 22);
  EXPECT_TRUE(index->is_hnsw());  // 298 live >= threshold / 2
  EXPECT_EQ(index->Search(RowOf(rows, 399), 1).value()[0].id, 399);
}

TEST_F(VectorIndexTest, SaveAndLoadRoundTrip) {
  for (bool hnsw : {false, true}) {
    VectorIndexOptions options;
    options.hnsw_threshold = hnsw ? 100 : 50000;
    auto index = VectorIndex::Create("hashing-16", kDim, options).value();
    const auto rows = RandomUnitRows(150, kDim, 7);
    ASSERT_TRUE(index->Add(Iota(150, 10), rows).ok());
    ASSERT_TRUE(index->WaitForRebuild().ok());
    std::vector<int64_t> gone = {10, 11};
    ASSERT_TRUE(index->Remove(gone).ok());
    index->set_generation(42);
    EXPECT_TRUE(index->dirty());
    const std::string path = (dir_ / "bot.faiss").string();
    ASSERT_TRUE(index->Save(path).ok());
    EXPECT_FALSE(index->dirty());

    auto info = ReadVectorIndexInfo(path).value();
    EXPECT_EQ(info.embedder_id, "hashing-16");
    EXPECT_EQ(info.dim, kDim);
    EXPECT_EQ(info.count, 148);
    EXPECT_EQ(info.generation, 42u);
    EXPECT_EQ(info.hnsw, hnsw);

    auto loaded = VectorIndex::Load(path, options).value();
    EXPECT_FALSE(loaded->dirty());
    EXPECT_EQ(loaded->generation(), 42u);
    EXPECT_EQ(loaded->size(), 148);
    auto a = loaded->Ids(), b = index->Ids();
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b);
    for (int i = 0; i < 150; i += 13) {
      EXPECT_EQ(HitIds(loaded->Search(RowOf(rows, i), 5).value()),
                HitIds(index->Search(RowOf(rows, i), 5).value()));
    }
    std::vector<int64_t> one = {500};
    ASSERT_TRUE(loaded->Add(one, RowOf(rows, 0)).ok());
    EXPECT_TRUE(loaded->dirty());
  }
}

TEST_F(VectorIndexTest, LeftoverTempFileIsIgnoredAndTruncationDetected) {
  auto index = VectorIndex::Create("e", kDim).value();
  ASSERT_TRUE(index->Add(Iota(20, 0), RandomUnitRows(20, kDim, 8)).ok());
  const std::string path = (dir_ / "bot.faiss").string();
  ASSERT_TRUE(index->Save(path).ok());
  {
    std::ofstream junk(path + ".tmp.1.2", std::ios::binary);
    junk << "half-written";
  }
  EXPECT_EQ(VectorIndex::Load(path).value()->size(), 20);

  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 4);
  EXPECT_EQ(VectorIndex::Load(path).status().code(), StatusCode::kDataLoss);
  {
    std::ofstream junk(path, std::ios::binary | std::ios::trunc);
    junk << "not an index at all";
  }
  EXPECT_EQ(VectorIndex::Load(path).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(VectorIndex::Load((dir_ / "missing.faiss").string()).status().code(),
            StatusCode::kNotFound);
}

TEST_F(VectorIndexTest, ConcurrentSearchesAndWrites) {
  auto index = VectorIndex::Create("e", kDim).value();
  const auto rows = RandomUnitRows(400, kDim, 9);
  ASSERT_TRUE(index->Add(Iota(200, 0), std::span(rows).first(200 * kDim)).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        auto hits = index->Search(RowOf(rows, (i * 7 + t) % 200), 5);
        if (!hits.ok() || hits->empty()) ++failures;
      }
    });
  }
  for (int i = 200; i < 400; ++i) {
    std::vector<int64_t> id = {i};
    ASSERT_TRUE(index->Add(id, RowOf(rows, i)).ok());
    std::vector<int64_t> old = {i - 200};
    if (i % 2 == 0) {
      ASSERT_TRUE(index->Remove(old).ok());
    }
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(index->size(), 300);
}

TEST(BotStorageNameTest, ValidatesAndDisambiguates) {
  EXPECT_EQ(BotStorageName("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BotStorageName("Bad").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BotStorageName("a/b").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BotStorageName("x\"; DROP").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BotStorageName(std::string(65, 'a')).status().code(), StatusCode::kInvalidArgument);
  const std::string a = BotStorageName("a-b").value(), b = BotStorageName("a_b").value();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("a_b_", 0), 0u);
  EXPECT_EQ(a, BotStorageName("a-b").value());
}

}  // namespace
}  // namespace ragd
