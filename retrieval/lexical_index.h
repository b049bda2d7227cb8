// LexicalIndex: BM25 keyword search over one bot's chunks, one SQLite FTS5 table per bot.
//
// Table "lex_<BotStorageName(bot)>": FTS5(document_id UNINDEXED, tags UNINDEXED, title, text)
// with tokenize = 'porter unicode61 remove_diacritics 2'; rowid = chunk id. The unindexed
// columns come first so filters read them without walking a long text's overflow pages. A
// companion fts5vocab table "<table>_vocab" gives per-term document counts.
//
// Scoring: ragd_bm25, an FTS5 auxiliary function registered on each connection at its first
// search (retrieval/lexical_fts5.h), computes FTS5's own bm25 (k1 = 1.2, b = 0.75, BM25F-style
// column weights, idf log((N - n + 0.5) / (n + 0.5)) floored at 1e-6), higher is better, with two
// changes that only save work: repeated query words are one phrase weighted by their count (the
// same score as repeating the phrase), and idf comes from document counts in the vocab table,
// cached per connection until the table changes (fts5vocab walks a term's whole posting list to
// count it: ~1 ms per query word in a third of 100k chunks).
//
// Large bots: the engine searches an in-memory copy of this index when it has one
// (retrieval/lexical_memory.h: same tokens, same scores, exact top k without the gate below, 14x
// less CPU at 100k chunks); this class stays the source of truth and the fallback.
//
// Common terms: in a bot of at least 10,000 chunks, a term in more than max(0.5% of the chunks,
// 500) chunks only scores chunks that contain one of the query's rarer terms (Elasticsearch's
// common-terms query). The MATCH becomes "(rare terms) AND (all terms)": FTS5 walks the rare
// terms' postings and seeks into the common ones instead of scoring nearly every row, and the
// scores of the chunks it returns are unchanged. At 100k chunks and 30-word queries this cut CPU
// per query from 53 to 8.7 ms (p50) and from 96 to 14.5 ms (p99) (bench/retrieval/retrieval_bench).
// If every term is common, the exact top k comes from MaxScore pruning in at most two FTS5
// queries (see MaxScoreTopK in lexical_index.cc): chunks that hold only terms whose score bounds
// add up to less than the k-th best score are never scored.
//
// Quality, BEIR ArguAna (8,674 docs, 1,406 queries, own doc removed; the env-gated test in
// tests/retrieval/eval_metrics_test.cc and bench/retrieval/arguana_eval): nDCG@10 0.485,
// Recall@100 0.960, MRR@10 0.396 (Anserini BM25 flat 0.397, multifield 0.414). ArguAna is below
// the gate's size; forcing the gate on it changes nothing measurable at a 434-doc cutoff (5%) but
// costs 0.04 nDCG@10 at 87 docs (1%), hence the 500-doc floor. FTS5's idf gives words in more
// than half the documents no weight, which suits ArguAna's long argumentative queries better
// than Lucene's always-positive idf.
//
// Transactions: every method takes the caller's Connection and never opens a transaction, so the
// engine can write chunk rows and their FTS rows in one Database::Write (one commit). Reads work on
// a Database::Read connection.
//
// User query text never reaches FTS5 syntax: it is split into words (letters, digits, marks),
// English stop words are dropped (unless nothing else is left), and every word is double-quoted
// and ORed (BuildFtsQuery). A word the user repeats weighs more, as in Lucene's boolean query
// (counting it once costs 0.05 nDCG@10 on ArguAna).
//
// Thread safety: a LexicalIndex holds only options and is safe to share; each Connection is used by
// one thread at a time (see core/sqlite.h).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/sqlite.h"
#include "core/status.h"
#include "retrieval/vector_index.h"

namespace ragd {

struct LexicalRow {
  int64_t chunk_id = 0;
  std::string document_id;
  std::string title;  // document title and heading path; indexed with title_weight
  std::string text;
  std::vector<std::string> tags;  // must not contain '\x1f'
};

// A chunk passes when its document is one of `document_ids` (if any are given) and it carries at
// least one of `tags` (if any are given).
struct SearchFilter {
  std::vector<std::string> document_ids;
  std::vector<std::string> tags;
  bool empty() const { return document_ids.empty() && tags.empty(); }
};

struct LexicalHit {
  int64_t id = 0;
  double score = 0;  // BM25, > 0, higher is better
};

struct LexicalOptions {
  double title_weight = 1.0;
  double text_weight = 1.0;
  int max_query_terms = 256;  // words past this are ignored
  // A term in more than max(common_term_fraction * chunks, common_term_min_docs) chunks only
  // scores chunks that contain a rarer query term (unless every term is that common); see the
  // header comment. The floor keeps small bots exact: their postings are short anyway.
  double common_term_fraction = 0.005;
  int64_t common_term_min_docs = 500;
  // Bots with fewer chunks are never gated: their postings are short, and in a small knowledge
  // base most useful words are "common" (a 12-chunk bot answered from the wrong section).
  int64_t common_term_min_chunks = 10000;
  // When every term is common, MaxScore's second pass (exact) runs only if the postings it must
  // walk (the essential terms' document counts added up) are at most this many; past it the
  // first pass's top k (the chunks with one of the rarest terms, exactly scored) is returned.
  int64_t max_exact_postings = INT64_MAX;
};

class LexicalIndex {
 public:
  explicit LexicalIndex(const LexicalOptions& options = {});

  static StatusOr<std::string> TableName(std::string_view bot_key);

  // Creates the bot's table if missing. Add calls it too.
  Status EnsureBot(Connection& conn, std::string_view bot_key) const;
  Status DropBot(Connection& conn, std::string_view bot_key) const;
  // Inserts or replaces rows by chunk id.
  Status Add(Connection& conn, std::string_view bot_key, std::span<const LexicalRow> rows) const;
  // Returns how many of `chunk_ids` were present.
  StatusOr<int64_t> Remove(Connection& conn, std::string_view bot_key,
                           std::span<const int64_t> chunk_ids) const;
  // Up to k hits, best first. A bot without a table, or a query without a searchable word, gives
  // no hits (not an error).
  StatusOr<std::vector<LexicalHit>> Search(Connection& conn, std::string_view bot_key,
                                           std::string_view query, int k,
                                           const SearchFilter& filter = {}) const;
  // Chunk ids passing `filter` (a table scan of the unindexed columns); for filtering vectors.
  StatusOr<std::vector<int64_t>> FilterChunkIds(Connection& conn, std::string_view bot_key,
                                                const SearchFilter& filter) const;
  // Rows in the bot's table (from FTS5's averages record: no scan); 0 without a table.
  StatusOr<int64_t> Count(Connection& conn, std::string_view bot_key) const;
  // Calls fn for every row (chunk_id, title and text filled in), in chunk id order; stops at the
  // first error fn returns. Nothing when the bot has no table.
  Status ScanRows(Connection& conn, std::string_view bot_key,
                  const std::function<Status(const LexicalRow&)>& fn) const;

  const LexicalOptions& options() const { return options_; }

 private:
  LexicalOptions options_;
};

// The words of user text that become query terms, in order, repeats kept: runs of letters, digits
// and marks; English stop words dropped unless nothing else is left; at most max_terms.
std::vector<std::string> QueryWords(std::string_view text, int max_terms = 256);

// The FTS5 MATCH expression for user text ('"word1" OR "word2" ...'); empty when the text has no
// word. Never produces an FTS5 syntax error, whatever the input.
std::string BuildFtsQuery(std::string_view text, int max_terms = 256);

}  // namespace ragd
