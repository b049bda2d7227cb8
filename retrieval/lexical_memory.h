// LexicalMemoryIndex: one bot's BM25 index held in memory, for bots large enough that SQLite FTS5
// is the slow part of a chat turn (at 100k chunks FTS5 spends 2 ms on a typical question and up to
// 35 ms on one made of common words; this index spends a fraction of a millisecond; see
// docs/benchmarks.md).
//
// Same results as LexicalIndex::Search without its common-terms gate: the tokens are FTS5's own
// (retrieval/porter_tokenizer.h), the scores are ragd_bm25's (FTS5's bm25: k1 = 1.2, b = 0.75,
// column weights, idf log((N - n + 0.5) / (n + 0.5)) floored at 1e-6, a repeated query word
// weighted by its count, document length = tokens in title and text) up to floating-point
// rounding, best first, ties by chunk id. Every chunk holding a query term is a candidate: the
// top k is exact, found by MaxScore (Turtle and Flood, 1995) over document-ordered postings with
// per-term bounds from each term's largest frequency and shortest document.
//
// Not covered (Search returns nullopt; ask LexicalIndex): a query word that FTS5 splits into
// several tokens (rare: QueryWords and unicode61 disagree on a few characters), which is a phrase
// and would need positions. Filters are the caller's
// business (HybridSearch sends filtered searches to FTS5).
//
// Memory: per (term, chunk) pair 7 bytes (chunk number, text and title frequencies; frequencies
// saturate at 65,535 and 255, far above what a chunk holds), per chunk ~40 bytes, per distinct
// term ~80 bytes. Removing chunks compacts every posting list (O(all postings), ~10 ms per 100k
// chunks), so a document's delete costs that once, whatever its size.
//
// Thread safety: all methods are thread-safe. Searches run concurrently (shared lock); Add and
// Remove tokenize outside the lock and hold it exclusively only to merge.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "retrieval/lexical_index.h"
#include "retrieval/porter_tokenizer.h"

namespace ragd {

class LexicalMemoryIndex {
 public:
  // Uses title_weight, text_weight and max_query_terms of `options`.
  static StatusOr<std::unique_ptr<LexicalMemoryIndex>> Create(const LexicalOptions& options);

  // Inserts rows; a row whose chunk id is present replaces it (as LexicalIndex::Add does).
  // Only chunk_id, title and text are used.
  Status Add(std::span<const LexicalRow> rows);
  // Removes the chunks that are present; returns how many were.
  int64_t Remove(std::span<const int64_t> chunk_ids);

  // Up to k hits, best first; nullopt when the query needs FTS5 (see the header comment).
  StatusOr<std::optional<std::vector<LexicalHit>>> Search(std::string_view query, int k) const;

  // Returns the spare capacity growing lists keep (call after a bulk load).
  void ShrinkToFit();

  int64_t rows() const;
  size_t MemoryBytes() const;

 private:
  explicit LexicalMemoryIndex(const LexicalOptions& options) : options_(options) {}

  struct Postings {
    std::vector<uint32_t> docs;  // ascending internal chunk numbers
    std::vector<uint16_t> text_tf;
    std::vector<uint8_t> title_tf;
    uint16_t max_text_tf = 0;  // bounds for MaxScore; may be loose after removals
    uint8_t max_title_tf = 0;
    uint32_t min_length = UINT32_MAX;
  };
  // One tokenized row, before its terms have ids.
  struct StagedTerm {
    std::string token;
    uint32_t text_tf = 0;
    uint32_t title_tf = 0;
  };
  struct StagedRow {
    int64_t chunk_id = 0;
    uint32_t length = 0;  // tokens in title and text
    std::vector<StagedTerm> terms;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  Status Stage(const LexicalRow& row, PorterTokenizer& tokenizer, StagedRow& out) const;
  // Expects mu_ held exclusively.
  int64_t RemoveLocked(std::span<const int64_t> chunk_ids);
  void AppendLocked(StagedRow& row);

  const LexicalOptions options_;

  std::mutex write_mu_;  // serialises Add/Remove; guards doc_tokenizer_
  std::unique_ptr<PorterTokenizer> doc_tokenizer_;
  mutable std::mutex query_mu_;
  std::unique_ptr<PorterTokenizer> query_tokenizer_;  // guarded by query_mu_

  mutable std::shared_mutex mu_;  // guards everything below
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> vocab_;
  std::vector<Postings> postings_;     // by term id
  std::vector<int64_t> chunk_of_doc_;  // by internal chunk number
  std::vector<uint32_t> length_of_doc_;
  std::unordered_map<int64_t, uint32_t> doc_of_chunk_;
  uint64_t total_tokens_ = 0;
};

}  // namespace ragd
