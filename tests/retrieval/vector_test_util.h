// Vectors for index tests: seeded random unit rows (n * dim floats, row-major), consecutive ids,
// and one row as a span.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "retrieval/embedder.h"

namespace ragd::testing {

inline std::vector<float> RandomUnitRows(int n, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> rows(static_cast<size_t>(n) * dim);
  for (float& x : rows) x = normal(rng);
  NormalizeRows(rows, dim);
  return rows;
}

inline std::vector<int64_t> Iota(int n, int64_t first) {
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = first + i;
  return ids;
}

inline std::span<const float> RowOf(const std::vector<float>& rows, int i, int dim) {
  return std::span<const float>(rows).subspan(static_cast<size_t>(i) * dim, dim);
}

}  // namespace ragd::testing
