#include "retrieval/hybrid.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace ragd {
namespace {

// Default fusion depths per list (see hybrid.h).
constexpr int kMinVectorDepth = 100;
constexpr int kMinLexicalDepth = 200;

// Collects both lists into one hit per chunk, ranks and raw scores filled in.
std::vector<HybridHit> Merge(std::span<const VectorHit> vector_hits,
                             std::span<const LexicalHit> lexical_hits) {
  std::vector<HybridHit> merged;
  std::unordered_map<int64_t, size_t> at;
  auto slot = [&](int64_t id) -> HybridHit& {
    auto [it, inserted] = at.emplace(id, merged.size());
    if (inserted) merged.push_back(HybridHit{.chunk_id = id});
    return merged[it->second];
  };
  for (size_t i = 0; i < vector_hits.size(); ++i) {
    HybridHit& h = slot(vector_hits[i].id);
    if (h.vector_rank != 0) continue;  // a list repeating an id keeps its best rank
    h.vector_rank = static_cast<int>(i) + 1;
    h.vector_score = vector_hits[i].score;
  }
  for (size_t i = 0; i < lexical_hits.size(); ++i) {
    HybridHit& h = slot(lexical_hits[i].id);
    if (h.lexical_rank != 0) continue;
    h.lexical_rank = static_cast<int>(i) + 1;
    h.lexical_score = lexical_hits[i].score;
  }
  return merged;
}

void SortBest(std::vector<HybridHit>& hits) {
  std::sort(hits.begin(), hits.end(), [](const HybridHit& a, const HybridHit& b) {
    return a.score != b.score ? a.score > b.score : a.chunk_id < b.chunk_id;
  });
}

// Normalised scores of one list, and the value a chunk missing from it gets.
struct Normalizer {
  double offset = 0, scale = 1, missing = 0;
  double operator()(double s) const { return (s - offset) * scale; }
};

template <typename Hit>
Normalizer MakeNormalizer(std::span<const Hit> hits, ScoreNormalization how) {
  Normalizer n;
  if (hits.empty()) return n;
  double lo = hits[0].score, hi = hits[0].score, sum = 0;
  for (const Hit& h : hits) {
    lo = std::min<double>(lo, h.score);
    hi = std::max<double>(hi, h.score);
    sum += h.score;
  }
  if (how == ScoreNormalization::kMinMax) {
    n.offset = hi > lo ? lo : hi - 1;  // one distinct score: everything normalises to 1
    n.scale = hi > lo ? 1.0 / (hi - lo) : 1.0;
    n.missing = 0;
    return n;
  }
  const double mean = sum / hits.size();
  double var = 0;
  for (const Hit& h : hits) var += (h.score - mean) * (h.score - mean);
  const double sd = std::sqrt(var / hits.size());
  n.offset = mean;
  n.scale = sd > 0 ? 1.0 / sd : 0.0;
  n.missing = n(lo);
  return n;
}

}  // namespace

std::vector<HybridHit> FuseReciprocalRank(std::span<const VectorHit> vector_hits,
                                          std::span<const LexicalHit> lexical_hits, int rrf_k) {
  std::vector<HybridHit> hits = Merge(vector_hits, lexical_hits);
  const int lists = (vector_hits.empty() ? 0 : 1) + (lexical_hits.empty() ? 0 : 1);
  const double best = lists / (rrf_k + 1.0);
  for (HybridHit& h : hits) {
    double s = 0;
    if (h.vector_rank > 0) s += 1.0 / (rrf_k + h.vector_rank);
    if (h.lexical_rank > 0) s += 1.0 / (rrf_k + h.lexical_rank);
    h.score = s / best;
  }
  SortBest(hits);
  return hits;
}

std::vector<HybridHit> FuseWeighted(std::span<const VectorHit> vector_hits,
                                    std::span<const LexicalHit> lexical_hits, double vector_weight,
                                    ScoreNormalization normalization) {
  std::vector<HybridHit> hits = Merge(vector_hits, lexical_hits);
  const Normalizer nv = MakeNormalizer(vector_hits, normalization);
  const Normalizer nl = MakeNormalizer(lexical_hits, normalization);
  const double w = std::clamp(vector_weight, 0.0, 1.0);
  for (HybridHit& h : hits) {
    const double v = h.vector_rank > 0 ? nv(h.vector_score) : nv.missing;
    const double l = h.lexical_rank > 0 ? nl(h.lexical_score) : nl.missing;
    h.score = w * v + (1 - w) * l;
    // Keep every fused score in (0, 1) like the other methods, so a bot's min_score means the
    // same thing whatever the fusion; the logistic is monotonic, so the ranking is unchanged.
    if (normalization == ScoreNormalization::kZScore) h.score = 1 / (1 + std::exp(-h.score));
  }
  SortBest(hits);
  return hits;
}

StatusOr<std::vector<HybridHit>> HybridSearch(const HybridSources& sources,
                                              std::string_view query_text,
                                              std::span<const float> query_vector,
                                              const HybridOptions& options) {
  if (options.max_results <= 0) return std::vector<HybridHit>();
  const bool want_vectors = options.type != SearchType::kLexical;
  const bool want_lexical = options.type != SearchType::kSemantic;
  const bool fused = options.type == SearchType::kHybrid;
  if ((want_lexical || !options.filter.empty()) &&
      (sources.lexical == nullptr || sources.conn == nullptr)) {
    return InvalidArgumentError("lexical search and filters need the lexical index");
  }
  int vector_depth = options.max_results, lexical_depth = options.max_results;
  if (fused) {
    vector_depth = options.candidates > 0 ? options.candidates
                                          : std::max(kMinVectorDepth, 4 * options.max_results);
    lexical_depth = options.candidates > 0 ? options.candidates
                                           : std::max(kMinLexicalDepth, 4 * options.max_results);
  }

  std::vector<VectorHit> vector_hits;
  if (want_vectors && sources.vectors != nullptr && sources.vectors->size() > 0) {
    IdSet allowed;
    if (!options.filter.empty()) {
      RAGD_ASSIGN_OR_RETURN(
          std::vector<int64_t> ids,
          sources.lexical->FilterChunkIds(*sources.conn, sources.bot_key, options.filter));
      allowed.insert(ids.begin(), ids.end());
    }
    auto found = sources.vectors->Search(query_vector, vector_depth,
                                         options.filter.empty() ? nullptr : &allowed);
    if (!found.ok()) return found.status();
    vector_hits.swap(*found);  // (move-assignment trips GCC 12's -Wfree-nonheap-object here)
  }
  std::vector<LexicalHit> lexical_hits;
  bool lexical_done = false;
  if (want_lexical && sources.memory != nullptr && options.filter.empty()) {
    RAGD_ASSIGN_OR_RETURN(std::optional<std::vector<LexicalHit>> found,
                          sources.memory->Search(query_text, lexical_depth));
    if (found) {
      lexical_hits.swap(*found);
      lexical_done = true;
    }
  }
  if (want_lexical && !lexical_done) {
    RAGD_ASSIGN_OR_RETURN(lexical_hits,
                          sources.lexical->Search(*sources.conn, sources.bot_key, query_text,
                                                  lexical_depth, options.filter));
  }

  std::vector<HybridHit> hits;
  if (!fused) {
    hits = Merge(vector_hits, lexical_hits);
    for (HybridHit& h : hits) h.score = want_vectors ? h.vector_score : h.lexical_score;
  } else if (options.fusion == FusionMethod::kReciprocalRank) {
    hits = FuseReciprocalRank(vector_hits, lexical_hits, std::max(0, options.rrf_k));
  } else {
    hits = FuseWeighted(vector_hits, lexical_hits, options.vector_weight, options.normalization);
  }
  std::erase_if(hits, [&](const HybridHit& h) { return h.score < options.min_score; });
  if (hits.size() > static_cast<size_t>(options.max_results)) hits.resize(options.max_results);
  return hits;
}

}  // namespace ragd
