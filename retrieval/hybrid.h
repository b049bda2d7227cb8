// Hybrid retrieval: vector (semantic) and BM25 (lexical) candidates fused into one ranking.
//
// Fusion methods:
//   - Reciprocal rank fusion (Cormack et al. 2009): score(d) = sum over lists of 1 / (rrf_k +
//   rank),
//     rrf_k = 60, reported divided by its maximum (n_lists / (rrf_k + 1)) so it lies in (0, 1].
//   - Weighted score fusion: each list's scores normalised (min-max to [0, 1], or z-scores), then
//     vector_weight * v + (1 - vector_weight) * l; a chunk missing from a list gets that list's
//     lowest normalised value (0 for min-max).
//
// Default: RRF. Measured on BEIR ArguAna with the hashing embedder (bench/retrieval/arguana_eval,
// nDCG@10): lexical 0.488, semantic 0.405, hybrid RRF 0.471, weighted min-max w=0.5 0.474, w=0.3
// 0.487, z-score w=0.5 0.477. Weighted fusion can edge RRF out only after tuning its weight to
// the embedder and corpus at hand (the best w moves with how good each side is); RRF needs no
// tuning, ignores score scales (BM25 is unbounded, cosine is not) and is within 0.02 of the best
// weight, so it is the safer default; weighted fusion stays available per request.
//
// Scores in results: `score` is the fused score for kHybrid (in [0, 1] for RRF and min-max),
// the cosine similarity for kSemantic and the BM25 score for kLexical. min_score applies to it.
//
// Thread safety: HybridSearch is reentrant; it uses the given Connection (one thread at a time)
// and the VectorIndex's own locking.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "core/sqlite.h"
#include "core/status.h"
#include "retrieval/lexical_index.h"
#include "retrieval/vector_index.h"

namespace ragd {

enum class SearchType { kSemantic, kLexical, kHybrid };
enum class FusionMethod { kReciprocalRank, kWeightedScore };
enum class ScoreNormalization { kMinMax, kZScore };

struct HybridOptions {
  SearchType type = SearchType::kHybrid;
  FusionMethod fusion = FusionMethod::kReciprocalRank;
  ScoreNormalization normalization = ScoreNormalization::kMinMax;  // weighted fusion only
  int max_results = 10;
  double min_score = -std::numeric_limits<double>::infinity();  // results below are dropped
  int candidates = 0;  // per-list depth for fusion; 0 = max(40, 4 * max_results)
  int rrf_k = 60;
  double vector_weight = 0.5;  // weighted fusion only, in [0, 1]
  SearchFilter filter;
};

struct HybridHit {
  int64_t chunk_id = 0;
  double score = 0;
  double vector_score = 0;   // cosine; 0 when vector_rank == 0
  double lexical_score = 0;  // BM25; 0 when lexical_rank == 0
  int vector_rank = 0;       // 1-based rank in the vector list; 0 = not in it
  int lexical_rank = 0;      // 1-based rank in the lexical list; 0 = not in it
};

// Where to search. `vectors` may be null for a bot without vectors (semantic side empty);
// `lexical` and `conn` are needed for lexical/hybrid search and for any filter.
struct HybridSources {
  const VectorIndex* vectors = nullptr;
  const LexicalIndex* lexical = nullptr;
  Connection* conn = nullptr;
  std::string_view bot_key;
};

// `query_vector` holds the embedded query (dim floats; may be empty for kLexical).
StatusOr<std::vector<HybridHit>> HybridSearch(const HybridSources& sources,
                                              std::string_view query_text,
                                              std::span<const float> query_vector,
                                              const HybridOptions& options);

// Fusion of two best-first lists; results best first (ties by chunk id), not truncated.
std::vector<HybridHit> FuseReciprocalRank(std::span<const VectorHit> vector_hits,
                                          std::span<const LexicalHit> lexical_hits, int rrf_k);
std::vector<HybridHit> FuseWeighted(std::span<const VectorHit> vector_hits,
                                    std::span<const LexicalHit> lexical_hits, double vector_weight,
                                    ScoreNormalization normalization);

}  // namespace ragd
