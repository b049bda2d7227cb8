// Hybrid retrieval: vector (semantic) and BM25 (lexical) candidates fused into one ranking.
//
// Fusion methods:
//   - Reciprocal rank fusion (Cormack et al. 2009): score(d) = sum over lists of
//     1 / (rrf_k + rank), rrf_k = 60, divided by its maximum (n_lists / (rrf_k + 1)): in (0, 1].
//   - Weighted score fusion: each list's scores normalised (min-max to [0, 1], or z-scores), then
//     vector_weight * v + (1 - vector_weight) * l; a chunk missing from a list gets that list's
//     lowest normalised value (0 for min-max). z-score sums are mapped by 1 / (1 + e^-x).
//
// Default: weighted z-score fusion with vector_weight 0.3, chosen by measurement on BEIR ArguAna
// (bench/retrieval/arguana_eval; both lists 100 deep). nDCG@10:
//
//   embedder      lexical  semantic  RRF    min-max .3  min-max .5  z .3   z .5
//   use-lite-en   0.485    0.369     0.493  0.497       0.456       0.513  0.480
//   hashing-512   0.485    0.311     0.413  0.481       0.453       0.480  0.451
//
// Recall@100 with use-lite-en: lexical 0.957, semantic 0.929, every fusion 0.977-0.979.
//
// With either embedder z-score w=0.3 is the best or within 0.001 of it, and it is the only method
// that beats BM25 alone by a clear margin with USE-lite. RRF treats both lists as equally good,
// which costs 0.07 when the vector side is weak (hashing); z-scores keep the score gaps that say
// how sure each side is, and are less sensitive than min-max to one outlier score. Caveat: one
// data set (argument retrieval, long queries, strong BM25); with a stronger embedder a higher
// vector_weight may win, so it is a per-request option.
//
// Fusion depth (candidates per list) matters because z-scores are taken over each list: a shallow
// list has a higher mean and a smaller spread. nDCG@10 on ArguAna (z-score w=0.3; a vector-only
// chunk below cosine 0.15 dropped as Engine::Search does; 10 results):
//
//   vector depth / lexical depth   40/40   40/200  100/200  200/200  100/404  404/404
//   use-lite-en                    0.498   0.517   0.521    0.521    0.522    0.524
//   hashing-512                    0.482   0.487   0.484    0.480    0.486    0.478
//
// The old default (40 per list, what a chat bot with 5 results got) lost 0.026 with USE-lite
// against the 404-deep lists of `ragd eval`. A deeper lexical list is nearly free (MaxScore and
// the common-terms gate do not depend much on k); a vector list past HNSW's efSearch (96) costs
// proportionally more, and 100 deep gets most of the gain. Hence the defaults below.
//
// Scores in results: `score` is the fused score for kHybrid, always in [0, 1] (z-score fusion is
// passed through the logistic function: 0.5 is an average candidate), the cosine similarity for
// kSemantic and the BM25 score for kLexical. min_score applies to it.
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
#include "retrieval/lexical_memory.h"
#include "retrieval/vector_index.h"

namespace ragd {

enum class SearchType { kSemantic, kLexical, kHybrid };
enum class FusionMethod { kReciprocalRank, kWeightedScore };
enum class ScoreNormalization { kMinMax, kZScore };

struct HybridOptions {
  SearchType type = SearchType::kHybrid;
  FusionMethod fusion = FusionMethod::kWeightedScore;
  ScoreNormalization normalization = ScoreNormalization::kZScore;  // weighted fusion only
  int max_results = 10;
  double min_score = -std::numeric_limits<double>::infinity();  // results below are dropped
  // Per-list depth for fusion; 0 = the defaults: lexical max(200, 4 * max_results), vector
  // max(100, 4 * max_results) (see the depth table above).
  int candidates = 0;
  int rrf_k = 60;
  double vector_weight = 0.3;  // weighted fusion only, in [0, 1]
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
  // The bot's in-memory BM25 index, when it is current: used instead of `lexical` for searches
  // without a filter (same results; LexicalMemoryIndex::Search falls back when it must).
  const LexicalMemoryIndex* memory = nullptr;
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
