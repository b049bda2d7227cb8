#include "retrieval/hnsw_search.h"

#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/HNSW.h>
#include <faiss/utils/Heap.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "retrieval/vector_distance.h"

namespace ragd {
namespace {

using idx_t = faiss::Index::idx_t;
using storage_idx_t = faiss::HNSW::storage_idx_t;

constexpr size_t kCacheLine = 64;
constexpr size_t kPrefetchAhead = 2;  // rows requested before the one being computed

class Rows {
 public:
  Rows(const FastFlatIP& flat, const float* query)
      : base_(flat.codes.data()), row_bytes_(flat.code_size), dim_(flat.d), query_(query) {}
  // Faiss's HNSW minimises, so inner products are negated (as its NegativeDistanceComputer does).
  float Distance(storage_idx_t i) const {
    return -DotProduct(query_, reinterpret_cast<const float*>(base_ + i * row_bytes_), dim_);
  }
  void Prefetch(storage_idx_t i) const {
    const uint8_t* row = base_ + i * row_bytes_;
    for (size_t off = 0; off < row_bytes_; off += kCacheLine) __builtin_prefetch(row + off, 0, 3);
  }

 private:
  const uint8_t* base_;
  size_t row_bytes_;
  size_t dim_;
  const float* query_;
};

// Greedy descent on one upper level (Faiss's greedy_update_nearest).
void GreedyNearest(const faiss::HNSW& hnsw, const Rows& rows, int level, storage_idx_t& nearest,
                   float& d_nearest) {
  while (true) {
    const storage_idx_t previous = nearest;
    size_t begin = 0, end = 0;
    hnsw.neighbor_range(nearest, level, &begin, &end);
    for (size_t i = begin; i < end; ++i) {
      const storage_idx_t v = hnsw.neighbors[i];
      if (v < 0) break;
      const float d = rows.Distance(v);
      if (d < d_nearest) {
        nearest = v;
        d_nearest = d;
      }
    }
    if (nearest == previous) return;
  }
}

}  // namespace

bool FastHnswSearch(const faiss::IndexHNSW& index, const float* query, idx_t k, float* distances,
                    idx_t* labels) {
  const faiss::HNSW& hnsw = index.hnsw;
  const auto* flat = dynamic_cast<const FastFlatIP*>(index.storage);
  if (flat == nullptr || index.metric_type != faiss::METRIC_INNER_PRODUCT || hnsw.upper_beam != 1 ||
      !hnsw.search_bounded_queue || !hnsw.check_relative_distance || k <= 0 ||
      k > std::numeric_limits<int>::max()) {
    return false;
  }
  faiss::maxheap_heapify(static_cast<size_t>(k), distances, labels);  // as IndexHNSW::search
  if (hnsw.entry_point == -1) {
    faiss::maxheap_reorder(static_cast<size_t>(k), distances, labels);
    for (idx_t i = 0; i < k; ++i) distances[i] = -distances[i];
    return true;
  }
  const Rows rows(*flat, query);
  storage_idx_t nearest = hnsw.entry_point;
  float d_nearest = rows.Distance(nearest);
  for (int level = hnsw.max_level; level >= 1; --level) {
    GreedyNearest(hnsw, rows, level, nearest, d_nearest);
  }

  // Level 0: best-first search with a bounded candidate queue (Faiss's search_from_candidates).
  const int ef = std::max(hnsw.efSearch, static_cast<int>(k));
  faiss::HNSW::MinimaxHeap candidates(ef);
  candidates.push(nearest, d_nearest);
  faiss::VisitedTable visited(static_cast<int>(index.ntotal));
  int found = 0;
  auto offer = [&](storage_idx_t v, float d) {
    if (found < k) {
      faiss::maxheap_push(++found, distances, labels, d, static_cast<idx_t>(v));
    } else if (d < distances[0]) {
      faiss::maxheap_replace_top(found, distances, labels, d, static_cast<idx_t>(v));
    }
  };
  offer(nearest, d_nearest);
  visited.set(nearest);
  std::vector<storage_idx_t> fresh;
  while (candidates.size() > 0) {
    float d0 = 0;
    const storage_idx_t v0 = candidates.pop_min(&d0);
    if (candidates.count_below(d0) >= hnsw.efSearch) break;
    size_t begin = 0, end = 0;
    hnsw.neighbor_range(v0, 0, &begin, &end);
    fresh.clear();
    for (size_t j = begin; j < end; ++j) {
      const storage_idx_t v = hnsw.neighbors[j];
      if (v < 0) break;
      if (visited.get(v)) continue;
      visited.set(v);
      fresh.push_back(v);
    }
    for (size_t i = 0; i < std::min(kPrefetchAhead, fresh.size()); ++i) rows.Prefetch(fresh[i]);
    for (size_t i = 0; i < fresh.size(); ++i) {
      if (i + kPrefetchAhead < fresh.size()) rows.Prefetch(fresh[i + kPrefetchAhead]);
      const float d = rows.Distance(fresh[i]);
      offer(fresh[i], d);
      candidates.push(fresh[i], d);
    }
  }
  faiss::maxheap_reorder(static_cast<size_t>(k), distances, labels);
  for (idx_t i = 0; i < k; ++i) distances[i] = -distances[i];  // back to inner products
  return true;
}

}  // namespace ragd
