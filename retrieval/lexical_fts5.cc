#include "retrieval/lexical_fts5.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace ragd::lexical_internal {

// Bounds on the document-frequency cache of one connection.
constexpr size_t kMaxCachedTerms = 20000;  // ~2 MB per connection
constexpr size_t kMaxCachedTables = 64;

class ConnState {
 public:
  fts5_tokenizer api{};
  Fts5Tokenizer* tokenizer = nullptr;  // owned; freed with api.xDelete
  bool read_only = false;

  struct TableCache {
    std::string version;
    std::unordered_map<std::string, int64_t> docs;
  };
  std::unordered_map<std::string, TableCache> tables;
  size_t cached_terms = 0;

  ~ConnState() {
    if (tokenizer != nullptr) api.xDelete(tokenizer);
  }
};

namespace {

std::mutex g_states_mu;
// One entry per connection that has registered ragd_bm25; erased by SQLite's destroy callback
// when the connection closes (so a reused sqlite3* address never sees a stale entry).
std::unordered_map<sqlite3*, std::unique_ptr<ConnState>> g_states;

void DestroyState(void* p) {
  std::lock_guard lock(g_states_mu);
  std::erase_if(g_states, [p](const auto& entry) { return entry.second.get() == p; });
}

struct RankCache {
  double avgdl = 1;
  std::vector<double> freq;
  std::vector<double> weights;
};

void RagdBm25(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int nval,
              sqlite3_value** val) {
  if (nval < 2) {
    sqlite3_result_error(ctx, "ragd_bm25: missing arguments", -1);
    return;
  }
  const int skip = sqlite3_value_int(val[0]);
  const void* weights_blob = sqlite3_value_blob(val[1]);
  const int scored = sqlite3_value_bytes(val[1]) / static_cast<int>(sizeof(double));
  auto* cache = static_cast<RankCache*>(api->xGetAuxdata(fts, 0));
  if (cache == nullptr) {
    sqlite3_int64 rows = 0, tokens = 0;
    if (api->xRowCount(fts, &rows) != SQLITE_OK ||
        api->xColumnTotalSize(fts, -1, &tokens) != SQLITE_OK) {
      sqlite3_result_error(ctx, "ragd_bm25: no table statistics", -1);
      return;
    }
    auto fresh = std::make_unique<RankCache>();
    fresh->avgdl = rows > 0 && tokens > 0 ? static_cast<double>(tokens) / rows : 1.0;
    fresh->weights.resize(scored);  // copied once: a blob need not be aligned for double
    if (scored > 0) memcpy(fresh->weights.data(), weights_blob, scored * sizeof(double));
    cache = fresh.get();
    if (api->xSetAuxdata(fts, fresh.release(), [](void* p) {
          std::unique_ptr<RankCache>(static_cast<RankCache*>(p));
        }) != SQLITE_OK) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
  }
  cache->freq.assign(scored, 0.0);
  int insts = 0;
  if (api->xInstCount(fts, &insts) != SQLITE_OK) return sqlite3_result_error(ctx, "inst", -1);
  for (int i = 0; i < insts; ++i) {
    int phrase = 0, col = 0, off = 0;
    if (api->xInst(fts, i, &phrase, &col, &off) != SQLITE_OK) continue;
    const int at = phrase - skip;
    if (at < 0 || at >= scored) continue;
    cache->freq[at] += 2 + col < nval ? sqlite3_value_double(val[2 + col]) : 1.0;
  }
  int doc_tokens = 0;
  api->xColumnSize(fts, -1, &doc_tokens);
  const double norm = kK1 * (1 - kB + kB * doc_tokens / cache->avgdl);
  double score = 0;
  for (int i = 0; i < scored; ++i) {
    const double f = cache->freq[i];
    if (f > 0) score += cache->weights[i] * (f * (kK1 + 1)) / (f + norm);
  }
  sqlite3_result_double(ctx, score);
}

fts5_api* Fts5Api(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &raw, nullptr) != SQLITE_OK) return nullptr;
  std::unique_ptr<sqlite3_stmt, StmtDeleter> st(raw);
  sqlite3_bind_pointer(raw, 1, &api, "fts5_api_ptr", nullptr);
  sqlite3_step(raw);
  return api;
}

bool IsMissingTable(const Status& s) {
  return s.message().find("no such table") != std::string::npos;
}

// SQLite's varint (FTS5 records use it): big-endian 7-bit groups, the 9th byte whole.
int64_t ReadVarint(const std::string& b) {
  uint64_t v = 0;
  for (size_t i = 0; i < b.size() && i < 9; ++i) {
    const auto c = static_cast<unsigned char>(b[i]);
    if (i == 8) return static_cast<int64_t>((v << 8) | c);
    v = (v << 7) | (c & 0x7f);
    if ((c & 0x80) == 0) break;
  }
  return static_cast<int64_t>(v);
}

}  // namespace

StatusOr<ConnState*> StateFor(sqlite3* db) {
  std::lock_guard lock(g_states_mu);
  if (auto it = g_states.find(db); it != g_states.end()) return it->second.get();
  fts5_api* api = Fts5Api(db);
  if (api == nullptr) return InternalError("SQLite has no FTS5");
  auto state = std::make_unique<ConnState>();
  state->read_only = sqlite3_db_readonly(db, "main") == 1;
  void* tok_ctx = nullptr;
  const char* args[] = {"unicode61", "remove_diacritics", "2"};
  if (api->xFindTokenizer(api, "porter", &tok_ctx, &state->api) != SQLITE_OK ||
      state->api.xCreate(tok_ctx, args, 3, &state->tokenizer) != SQLITE_OK) {
    return InternalError("cannot create the FTS5 porter tokenizer");
  }
  ConnState* raw = state.get();
  g_states[db] = std::move(state);
  if (api->xCreateFunction(api, "ragd_bm25", raw, &RagdBm25, &DestroyState) != SQLITE_OK) {
    g_states.erase(db);
    return InternalError("cannot register ragd_bm25");
  }
  return raw;
}

std::vector<std::string> Tokens(ConnState& state, const std::string& word) {
  std::vector<std::string> out;
  auto on_token = [](void* ctx, int tflags, const char* token, int n, int, int) -> int {
    if ((tflags & FTS5_TOKEN_COLOCATED) == 0) {
      static_cast<std::vector<std::string>*>(ctx)->emplace_back(token, n);
    }
    return SQLITE_OK;
  };
  state.api.xTokenize(state.tokenizer, &out, FTS5_TOKENIZE_QUERY, word.data(),
                      static_cast<int>(word.size()), on_token);
  return out;
}

StatusOr<std::optional<TableStats>> ReadStats(Connection& conn, const std::string& table) {
  // FTS5 keeps the averages record (row count, then tokens per column) at id 1 and the structure
  // record (segments and a write counter) at id 10 of its "_data" table.
  auto st =
      conn.Prepare("SELECT id, block FROM \"" + table + "_data\" WHERE id IN (1, 10) ORDER BY id");
  if (!st.ok() && IsMissingTable(st.status())) return std::optional<TableStats>();
  if (!st.ok()) return st.status();
  TableStats stats;
  while (true) {
    auto row = st->Step();
    // A cached statement whose table was dropped since fails here rather than at Prepare.
    if (!row.ok() && IsMissingTable(row.status())) return std::optional<TableStats>();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const std::string block = st->Blob(1);
    if (st->Int(0) == 1) stats.rows = ReadVarint(block);
    stats.version += std::to_string(block.size()) + ':' + block;
  }
  return std::optional<TableStats>(std::move(stats));
}

StatusOr<std::optional<int64_t>> TokenDocs(ConnState& state, Connection& conn,
                                           const std::string& table, const TableStats& stats,
                                           const std::string& token) {
  ConnState::TableCache* cache = nullptr;
  if (state.read_only && !stats.version.empty()) {
    if (state.cached_terms >= kMaxCachedTerms ||
        (state.tables.size() >= kMaxCachedTables && !state.tables.contains(table))) {
      state.tables.clear();
      state.cached_terms = 0;
    }
    cache = &state.tables[table];
    if (cache->version != stats.version) {
      state.cached_terms -= cache->docs.size();
      cache->docs.clear();
      cache->version = stats.version;
    }
    if (auto hit = cache->docs.find(token); hit != cache->docs.end()) {
      return std::optional<int64_t>(hit->second);
    }
  }
  auto st = conn.Prepare("SELECT doc FROM \"" + table + "_vocab\" WHERE term = ?1");
  if (!st.ok() && IsMissingTable(st.status())) return std::optional<int64_t>();
  if (!st.ok()) return st.status();
  auto row = st->Bind(1, token).Step();
  if (!row.ok() && IsMissingTable(row.status())) return std::optional<int64_t>();
  if (!row.ok()) return row.status();
  const int64_t docs = *row ? st->Int(0) : 0;
  if (cache != nullptr) {
    cache->docs.emplace(token, docs);
    ++state.cached_terms;
  }
  return std::optional<int64_t>(docs);
}

}  // namespace ragd::lexical_internal
