// FastHnswSearch must return exactly what Faiss's IndexHNSW::search returns on the same graph.
#include "retrieval/hnsw_search.h"

#include <gtest/gtest.h>

#include "retrieval/vector_distance.h"
#include "tests/retrieval/vector_test_util.h"

namespace ragd {
namespace {

using idx_t = faiss::Index::idx_t;

TEST(FastHnswSearchTest, SameResultsAsFaissForEveryDepth) {
  constexpr int kDim = 64, kRows = 3000;
  std::unique_ptr<faiss::Index> index = NewFastHnswIP(kDim, 16);
  auto* hnsw = static_cast<faiss::IndexHNSW*>(index.get());
  hnsw->hnsw.efConstruction = 40;
  const std::vector<float> rows = testing::RandomUnitRows(kRows, kDim, 3);
  index->add(kRows, rows.data());
  hnsw->hnsw.efSearch = 32;
  const std::vector<float> queries = testing::RandomUnitRows(50, kDim, 4);
  for (idx_t k : {1, 10, 32, 100}) {
    for (int q = 0; q < 50; ++q) {
      const float* query = queries.data() + q * kDim;
      std::vector<float> want_d(k), got_d(k);
      std::vector<idx_t> want_l(k), got_l(k);
      index->search(1, query, k, want_d.data(), want_l.data());
      ASSERT_TRUE(FastHnswSearch(*hnsw, query, k, got_d.data(), got_l.data()));
      EXPECT_EQ(got_l, want_l) << "k " << k << " query " << q;
      EXPECT_EQ(got_d, want_d) << "k " << k << " query " << q;
    }
  }
}

TEST(FastHnswSearchTest, EmptyIndexAndOtherConfigurations) {
  std::unique_ptr<faiss::Index> index = NewFastHnswIP(8, 8);
  auto* hnsw = static_cast<faiss::IndexHNSW*>(index.get());
  const std::vector<float> query = testing::RandomUnitRows(1, 8, 1);
  std::vector<float> d(3);
  std::vector<idx_t> l(3);
  ASSERT_TRUE(FastHnswSearch(*hnsw, query.data(), 3, d.data(), l.data()));
  EXPECT_EQ(l, (std::vector<idx_t>{-1, -1, -1}));
  // Faiss's own storage, or a non-default walk: not handled here.
  faiss::IndexHNSWFlat plain(8, 8, faiss::METRIC_INNER_PRODUCT);
  EXPECT_FALSE(FastHnswSearch(plain, query.data(), 3, d.data(), l.data()));
  hnsw->hnsw.upper_beam = 2;
  EXPECT_FALSE(FastHnswSearch(*hnsw, query.data(), 3, d.data(), l.data()));
}

}  // namespace
}  // namespace ragd
