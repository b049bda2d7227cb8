// Embedder: text in, unit-norm vectors out. Batch-first.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace ragd {

// Some models embed queries and documents differently (Cohere input_type, E5 prefixes).
enum class EmbedPurpose { kDocument, kQuery };

class Embedder {
 public:
  virtual ~Embedder() = default;
  // Stable identifier recorded with every index, e.g. "use-lite-en", "hashing-512",
  // "bedrock:amazon.titan-embed-text-v2:0:1024". Two embedders with the same id give the same
  // vectors.
  virtual std::string id() const = 0;
  virtual int dim() const = 0;
  // Largest batch one Embed call handles efficiently; callers may pass more (implementations
  // split).
  virtual int max_batch() const { return 64; }
  // Returns texts.size() * dim() floats, row-major, row i for texts[i], each row unit L2 norm.
  // Thread-safe. Transient provider failures come back as Unavailable/ResourceExhausted
  // (retryable).
  virtual StatusOr<std::vector<float>> Embed(std::span<const std::string> texts,
                                             EmbedPurpose purpose) = 0;
};

// Scales each of the n rows of `vectors` (n * dim, row-major) to unit L2 norm; zero rows stay zero.
void NormalizeRows(std::vector<float>& vectors, int dim);

}  // namespace ragd
