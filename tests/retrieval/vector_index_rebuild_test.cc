// The flat -> HNSW switch and HNSW compaction run on a background thread: searches and writes
// continue meanwhile, and writes made during the build reach the new index.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <random>
#include <set>

#include "retrieval/embedder.h"
#include "retrieval/vector_index.h"
#include "tests/retrieval/vector_test_util.h"

namespace ragd {
namespace {

constexpr int kDim = 16;

using testing::Iota;

std::vector<float> RandomUnitRows(int n, uint32_t seed) {
  return testing::RandomUnitRows(n, kDim, seed);
}
std::span<const float> RowOf(const std::vector<float>& rows, int i) {
  return testing::RowOf(rows, i, kDim);
}

// Exact top-k ids over a map id -> row.
std::vector<int64_t> ExactTopK(const std::map<int64_t, std::vector<float>>& live,
                               std::span<const float> query, int k) {
  std::vector<std::pair<float, int64_t>> scored;
  for (const auto& [id, row] : live) {
    float s = 0;
    for (int d = 0; d < kDim; ++d) s += query[d] * row[d];
    scored.emplace_back(-s, id);
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

// Blocks the rebuild thread until Release(), so a test can act while the rebuild is in flight.
struct Gate {
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::function<void()> Hook() {
    return [this] {
      entered.set_value();
      released.wait();
    };
  }
};

TEST(VectorIndexRebuildTest, SearchesAndWritesContinueWhileTheGraphIsBuilt) {
  Gate gate;
  VectorIndexOptions options;
  options.hnsw_threshold = 200;
  options.hnsw_m = 6;  // cheap graph: the test replays thousands of logged writes
  options.hnsw_ef_construction = 16;
  options.build_threads = 1;
  options.rebuild_pause_for_testing = gate.Hook();
  auto index = VectorIndex::Create("e", kDim, options).value();
  const int kLate = 4600;  // more than are replayed under the lock: exercises the off-lock rounds
  const auto rows = RandomUnitRows(200 + kLate + 1, 11);
  std::map<int64_t, std::vector<float>> live;
  auto remember = [&](int64_t id, int row) {
    auto r = RowOf(rows, row);
    live[id] = std::vector<float>(r.begin(), r.end());
  };
  ASSERT_TRUE(index->Add(Iota(200, 0), std::span(rows).first(200 * kDim)).ok());
  for (int i = 0; i < 200; ++i) remember(i, i);
  ASSERT_EQ(gate.entered.get_future().wait_for(std::chrono::seconds(30)),
            std::future_status::ready);

  // The rebuild is paused after building its graph; the flat index still answers exactly.
  EXPECT_TRUE(index->rebuilding());
  EXPECT_FALSE(index->is_hnsw());
  for (int i = 0; i < 200; i += 17) {
    EXPECT_EQ(index->Search(RowOf(rows, i), 1).value()[0].id, i);
  }
  // Writes during the rebuild: new ids, a replaced vector, removals (of old and of new ids).
  ASSERT_TRUE(index->Add(Iota(kLate, 200), std::span(rows).subspan(200 * kDim, kLate * kDim)).ok());
  for (int i = 200; i < 200 + kLate; ++i) remember(i, i);
  const std::vector<int64_t> replaced = {5};
  ASSERT_TRUE(index->Add(replaced, RowOf(rows, 200 + kLate)).ok());
  remember(5, 200 + kLate);
  std::vector<int64_t> gone = Iota(10, 10);
  for (int64_t id : Iota(10, 300)) gone.push_back(id);
  ASSERT_EQ(index->Remove(gone).value(), 20);
  for (int64_t id : gone) live.erase(id);
  EXPECT_EQ(index->Search(RowOf(rows, 200 + kLate), 1).value()[0].id, 5);
  EXPECT_TRUE(index->rebuilding());

  gate.release.set_value();
  ASSERT_TRUE(index->WaitForRebuild().ok());
  EXPECT_FALSE(index->rebuilding());
  EXPECT_TRUE(index->is_hnsw());
  EXPECT_EQ(index->size(), static_cast<int64_t>(live.size()));
  auto ids = index->Ids();
  std::set<int64_t> have(ids.begin(), ids.end()), want;
  for (const auto& [id, row] : live) want.insert(id);
  EXPECT_EQ(have, want) << "writes made during the rebuild were lost or resurrected";
  // The replaced vector is the one found; removed ids never come back.
  EXPECT_EQ(index->Search(RowOf(rows, 200 + kLate), 1).value()[0].id, 5);
  EXPECT_NE(index->Search(RowOf(rows, 5), 1).value()[0].id, 5);
  int overlap = 0, queries = 0;
  for (int i = 0; i < 200 + kLate; i += 97, ++queries) {
    auto hits = HitIds(index->Search(RowOf(rows, i), 10).value());
    for (int64_t id : hits) EXPECT_FALSE(std::count(gone.begin(), gone.end(), id)) << id;
    auto exact = ExactTopK(live, RowOf(rows, i), 10);
    for (int64_t id : hits) overlap += std::count(exact.begin(), exact.end(), id);
  }
  EXPECT_GE(overlap, 0.9 * queries * 10);  // recall@10 of the swapped-in graph
}

TEST(VectorIndexRebuildTest, ResultsAfterTheSwitchEqualFlatResults) {
  const auto rows = RandomUnitRows(300, 12);
  VectorIndexOptions flat_options;
  auto flat = VectorIndex::Create("e", kDim, flat_options).value();
  VectorIndexOptions hnsw_options;
  hnsw_options.hnsw_threshold = 250;
  auto hnsw = VectorIndex::Create("e", kDim, hnsw_options).value();
  ASSERT_TRUE(flat->Add(Iota(300, 0), rows).ok());
  ASSERT_TRUE(hnsw->Add(Iota(300, 0), rows).ok());
  ASSERT_TRUE(hnsw->WaitForRebuild().ok());
  ASSERT_TRUE(hnsw->is_hnsw());
  ASSERT_FALSE(flat->is_hnsw());
  for (int i = 0; i < 300; i += 7) {
    // A 300-node graph searched with efSearch 96 is exhaustive in practice.
    EXPECT_EQ(HitIds(hnsw->Search(RowOf(rows, i), 10).value()),
              HitIds(flat->Search(RowOf(rows, i), 10).value()));
  }
}

TEST(VectorIndexRebuildTest, SaveDuringRebuildWritesTheFlatIndexAndLoadRebuilds) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("ragd_vir_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "bot.faiss").string();
  Gate gate;
  VectorIndexOptions options;
  options.hnsw_threshold = 100;
  options.rebuild_pause_for_testing = gate.Hook();
  auto index = VectorIndex::Create("e", kDim, options).value();
  const auto rows = RandomUnitRows(150, 13);
  ASSERT_TRUE(index->Add(Iota(150, 0), rows).ok());
  gate.entered.get_future().wait();
  ASSERT_TRUE(index->Save(path).ok());  // not blocked by the rebuild
  gate.release.set_value();
  ASSERT_TRUE(index->WaitForRebuild().ok());
  EXPECT_TRUE(index->dirty()) << "the swapped-in graph must be saved again";
  EXPECT_FALSE(ReadVectorIndexInfo(path).value().hnsw);

  options.rebuild_pause_for_testing = nullptr;
  auto loaded = VectorIndex::Load(path, options).value();
  ASSERT_TRUE(loaded->WaitForRebuild().ok());
  EXPECT_TRUE(loaded->is_hnsw()) << "a flat file past the threshold is rebuilt after Load";
  for (int i = 0; i < 150; i += 11) {
    EXPECT_EQ(HitIds(loaded->Search(RowOf(rows, i), 5).value()),
              HitIds(index->Search(RowOf(rows, i), 5).value()));
  }
  ASSERT_TRUE(index->Save(path).ok());
  EXPECT_TRUE(ReadVectorIndexInfo(path).value().hnsw);
  auto reloaded = VectorIndex::Load(path, options).value();
  EXPECT_TRUE(reloaded->is_hnsw());
  EXPECT_EQ(reloaded->Search(RowOf(rows, 42), 1).value()[0].id, 42);
  std::filesystem::remove_all(dir);
}

TEST(VectorIndexRebuildTest, DestroyingAnIndexMidRebuildIsSafe) {
  VectorIndexOptions options;
  options.hnsw_threshold = 100;
  for (int round = 0; round < 3; ++round) {
    auto index = VectorIndex::Create("e", kDim, options).value();
    ASSERT_TRUE(index->Add(Iota(400, 0), RandomUnitRows(400, 14 + round)).ok());
    index.reset();  // cancels and joins the rebuild thread
  }
}

}  // namespace
}  // namespace ragd
