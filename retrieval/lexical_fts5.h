// FTS5 plumbing behind LexicalIndex (internal to retrieval/): the per-connection query tokenizer,
// the ragd_bm25 rank function, table statistics read from FTS5's own records, and a
// per-connection cache of term document frequencies.
//
// ragd_bm25(table, skip, weights, c0, c1, c2, c3) is FTS5's bm25 (k1 = 1.2, b = 0.75, column
// weights c0..c3) over the phrases after the first `skip`, where `weights` is a blob of doubles,
// one per scored phrase: query term frequency * idf, computed by the caller (the built-in bm25
// instead walks every phrase's whole posting list per query). A phrase's contribution is below
// weight * (k1 + 1), whatever the document: the bound MaxScore pruning relies on.
//
// Document frequencies: fts5vocab counts a term's documents by walking its whole posting list
// (about 1 ms for a term in a third of 100k chunks), so they are cached per connection and
// dropped whenever the table's FTS5 averages or structure record changes (every committed write
// to an FTS5 table rewrites both: a new segment and new totals). Only read-only connections
// cache: a writer's uncommitted rows could otherwise leave counts behind after a rollback.
//
// Thread safety: the state belongs to one connection and is used by the thread that holds it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/sqlite.h"
#include "core/status.h"

namespace ragd::lexical_internal {

constexpr double kK1 = 1.2;
constexpr double kB = 0.75;

struct TableStats {
  int64_t rows = 0;
  std::string version;  // the averages and structure records, byte for byte
};

class ConnState;

// The connection's state, registering ragd_bm25 and creating the tokenizer on first use.
StatusOr<ConnState*> StateFor(sqlite3* db);

// The tokens FTS5 indexes for `word` (folded, diacritics removed, Porter-stemmed).
std::vector<std::string> Tokens(ConnState& state, const std::string& word);

// Row count and version of `table` from its "_data" shadow table; nullopt when the table does not
// exist.
StatusOr<std::optional<TableStats>> ReadStats(Connection& conn, const std::string& table);

// Documents containing `token`, from "<table>_vocab" (cached; see above). nullopt when the table
// has no vocab table.
StatusOr<std::optional<int64_t>> TokenDocs(ConnState& state, Connection& conn,
                                           const std::string& table, const TableStats& stats,
                                           const std::string& token);

}  // namespace ragd::lexical_internal
