#include "retrieval/embedder.h"

#include <cmath>

namespace ragd {

void NormalizeRows(std::vector<float>& vectors, int dim) {
  if (dim <= 0) return;
  for (size_t row = 0; row + dim <= vectors.size(); row += dim) {
    double sum = 0;
    for (int i = 0; i < dim; ++i) sum += double(vectors[row + i]) * vectors[row + i];
    if (sum <= 0) continue;
    const float scale = float(1.0 / std::sqrt(sum));
    for (int i = 0; i < dim; ++i) vectors[row + i] *= scale;
  }
}

}  // namespace ragd
