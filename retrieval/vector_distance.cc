#include "retrieval/vector_distance.h"

#include <faiss/IndexHNSW.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/FaissAssert.h>

#include <algorithm>
#include <limits>
#include <queue>
#include <utility>
#include <vector>

namespace ragd {
namespace {

// Sixteen independent partial sums let the compiler vectorise without -ffast-math (the order of
// additions is fixed, so results are reproducible across runs on one machine).
__attribute__((target_clones("avx512f", "avx2", "default"))) float DotImpl(const float* a,
                                                                           const float* b,
                                                                           size_t dim) {
  float acc[16] = {0};
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    for (int j = 0; j < 16; ++j) acc[j] += a[i + j] * b[i + j];
  }
  float sum = 0;
  for (; i < dim; ++i) sum += a[i] * b[i];
  for (int j = 0; j < 16; ++j) sum += acc[j];
  return sum;
}

struct FastIPDistance : faiss::FlatCodesDistanceComputer {
  explicit FastIPDistance(const faiss::IndexFlat& flat)
      : FlatCodesDistanceComputer(flat.codes.data(), flat.code_size), dim(flat.d) {}
  void set_query(const float* x) override { query = x; }
  float distance_to_code(const uint8_t* code) override {
    return DotImpl(query, reinterpret_cast<const float*>(code), dim);
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    return DotImpl(reinterpret_cast<const float*>(codes + i * code_size),
                   reinterpret_cast<const float*>(codes + j * code_size), dim);
  }
  size_t dim;
  const float* query = nullptr;
};

}  // namespace

float DotProduct(const float* a, const float* b, size_t dim) { return DotImpl(a, b, dim); }

faiss::FlatCodesDistanceComputer* FastFlatIP::get_FlatCodesDistanceComputer() const {
  return std::make_unique<FastIPDistance>(*this).release();  // Faiss takes ownership (its API)
}

void FastFlatIP::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                        const faiss::SearchParameters* params) const {
  FAISS_THROW_IF_NOT_MSG(params == nullptr, "FastFlatIP::search takes no parameters");
  FAISS_THROW_IF_NOT(k > 0);
  const float* rows = get_xb();
  // Min-heap of the k best (score, position); a lower position wins ties, as in Faiss.
  using Entry = std::pair<float, idx_t>;
  auto worse = [](const Entry& a, const Entry& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  for (idx_t q = 0; q < n; ++q) {
    const float* query = x + q * d;
    std::priority_queue<Entry, std::vector<Entry>, decltype(worse)> heap(worse);
    for (idx_t i = 0; i < ntotal; ++i) {
      const float s = DotImpl(query, rows + i * d, d);
      if (static_cast<idx_t>(heap.size()) < k) {
        heap.emplace(s, i);
      } else if (s > heap.top().first) {
        heap.pop();
        heap.emplace(s, i);
      }
    }
    float* dq = distances + q * k;
    idx_t* lq = labels + q * k;
    const idx_t found = static_cast<idx_t>(heap.size());
    for (idx_t r = found; r < k; ++r) {
      dq[r] = -std::numeric_limits<float>::infinity();
      lq[r] = -1;
    }
    for (idx_t r = found - 1; r >= 0; --r) {
      dq[r] = heap.top().first;
      lq[r] = heap.top().second;
      heap.pop();
    }
  }
}

std::unique_ptr<faiss::Index> NewFastHnswIP(int dim, int m) {
  auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(dim, m, faiss::METRIC_INNER_PRODUCT);
  auto storage = std::make_unique<FastFlatIP>(dim);
  std::unique_ptr<faiss::Index> owned(hnsw->storage);  // the index owns it (own_fields)
  hnsw->storage = storage.release();
  return hnsw;
}

std::unique_ptr<faiss::Index> UseFastFlatStorage(std::unique_ptr<faiss::Index> index) {
  auto convert = [](faiss::IndexFlat& from) {
    auto fast = std::make_unique<FastFlatIP>(from.d);
    fast->codes.swap(from.codes);
    fast->ntotal = from.ntotal;
    from.ntotal = 0;
    return fast;
  };
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index.get())) {
    auto* flat = dynamic_cast<faiss::IndexFlat*>(hnsw->storage);
    if (flat == nullptr || flat->metric_type != faiss::METRIC_INNER_PRODUCT ||
        dynamic_cast<FastFlatIP*>(flat) != nullptr || !hnsw->own_fields) {
      return index;
    }
    std::unique_ptr<FastFlatIP> fast = convert(*flat);
    std::unique_ptr<faiss::Index> owned(hnsw->storage);  // the index owns it (own_fields)
    hnsw->storage = fast.release();
    return index;
  }
  auto* flat = dynamic_cast<faiss::IndexFlat*>(index.get());
  if (flat == nullptr || flat->metric_type != faiss::METRIC_INNER_PRODUCT ||
      dynamic_cast<FastFlatIP*>(flat) != nullptr) {
    return index;
  }
  return convert(*flat);
}

}  // namespace ragd
