#include "retrieval/vector_distance.h"

#include <faiss/IndexHNSW.h>
#include <faiss/index_io.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace ragd {
namespace {

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

TEST(VectorDistanceTest, DotProductMatchesADoubleReferenceForEveryLength) {
  const auto a = Random(1100, 1), b = Random(1100, 2);
  for (size_t dim : {0, 1, 7, 15, 16, 17, 33, 512, 1024, 1100}) {
    double want = 0;
    for (size_t i = 0; i < dim; ++i) want += static_cast<double>(a[i]) * b[i];
    EXPECT_NEAR(DotProduct(a.data(), b.data(), dim), want, 1e-3 * (1 + std::sqrt(dim))) << dim;
  }
}

TEST(VectorDistanceTest, FastFlatSearchEqualsFaissFlatSearch) {
  const int dim = 37, n = 500, nq = 4, k = 7;
  const auto rows = Random(static_cast<size_t>(n) * dim, 3);
  const auto queries = Random(static_cast<size_t>(nq) * dim, 4);
  FastFlatIP fast(dim);
  faiss::IndexFlatIP reference(dim);
  fast.add(n, rows.data());
  reference.add(n, rows.data());
  std::vector<float> d1(nq * k), d2(nq * k);
  std::vector<faiss::Index::idx_t> l1(nq * k), l2(nq * k);
  fast.search(nq, queries.data(), k, d1.data(), l1.data());
  reference.search(nq, queries.data(), k, d2.data(), l2.data());
  EXPECT_EQ(l1, l2);
  for (int i = 0; i < nq * k; ++i) EXPECT_NEAR(d1[i], d2[i], 1e-4);
  // Fewer rows than k: the tail is padded like Faiss does (label -1).
  FastFlatIP small(dim);
  small.add(3, rows.data());
  small.search(1, queries.data(), k, d1.data(), l1.data());
  EXPECT_EQ(l1[2] >= 0 && l1[3] == -1, true);
}

TEST(VectorDistanceTest, HnswWithFastStorageSurvivesFaissSerialisation) {
  const int dim = 24, n = 300;
  auto rows = Random(static_cast<size_t>(n) * dim, 5);
  for (int i = 0; i < n; ++i) {  // unit rows: each is its own best inner-product match
    float* r = rows.data() + i * dim;
    const float norm = std::sqrt(DotProduct(r, r, dim));
    for (int j = 0; j < dim; ++j) r[j] /= norm;
  }
  auto index = NewFastHnswIP(dim, 16);
  index->add(n, rows.data());
  const auto path = testing::TempDir() + "/ragd_fast_hnsw.faiss";
  faiss::write_index(index.get(), path.c_str());
  auto loaded = UseFastFlatStorage(std::unique_ptr<faiss::Index>(faiss::read_index(path.c_str())));
  std::remove(path.c_str());
  auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(loaded.get());
  ASSERT_NE(hnsw, nullptr);
  EXPECT_NE(dynamic_cast<FastFlatIP*>(hnsw->storage), nullptr);
  EXPECT_EQ(hnsw->storage->ntotal, n);
  float d[1];
  faiss::Index::idx_t l[1];
  for (int i = 0; i < n; i += 29) {
    loaded->search(1, rows.data() + i * dim, 1, d, l);
    EXPECT_EQ(l[0], i);
  }
}

}  // namespace
}  // namespace ragd
