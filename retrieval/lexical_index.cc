#include "retrieval/lexical_index.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace ragd {
namespace {

// Lucene's English stop words (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET).
bool IsStopWord(std::string_view word) {
  static const std::unordered_set<std::string_view> kStop = {
      "a",   "an",    "and",  "are",   "as",    "at",   "be",   "but", "by",  "for",  "if",
      "in",  "into",  "is",   "it",    "no",    "not",  "of",   "on",  "or",  "such", "that",
      "the", "their", "then", "there", "these", "they", "this", "to",  "was", "will", "with"};
  return kStop.contains(word);
}

bool IsWordChar(UChar32 c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return u_hasBinaryProperty(c, UCHAR_ALPHABETIC) || u_isdigit(c) ||
         (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0;
}

std::string JsonArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (unsigned char c : values[i]) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        char buf[8];
        snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '"';
  }
  return out + "]";
}

constexpr char kTagSep = '\x1f';

StatusOr<std::string> TagsField(const std::vector<std::string>& tags) {
  if (tags.empty()) return std::string();
  std::string out(1, kTagSep);
  for (const std::string& tag : tags) {
    if (tag.find(kTagSep) != std::string::npos) {
      return InvalidArgumentError("a tag must not contain the character U+001F");
    }
    out += tag;
    out += kTagSep;
  }
  return out;
}

// " AND <filter clauses>" with parameters ?first, ?first+1 for document ids / tags when present.
std::string FilterSql(const SearchFilter& filter, int first) {
  std::string sql;
  if (!filter.document_ids.empty()) {
    sql += " AND document_id IN (SELECT value FROM json_each(?" + std::to_string(first++) + "))";
  }
  if (!filter.tags.empty()) {
    sql += " AND EXISTS (SELECT 1 FROM json_each(?" + std::to_string(first) +
           ") WHERE instr(tags, char(31) || value || char(31)) > 0)";
  }
  return sql;
}

void BindFilter(Statement& st, const SearchFilter& filter, int first) {
  if (!filter.document_ids.empty()) st.Bind(first++, JsonArray(filter.document_ids));
  if (!filter.tags.empty()) st.Bind(first, JsonArray(filter.tags));
}

bool IsMissingTable(const Status& s) {
  return s.message().find("no such table") != std::string::npos;
}

std::string FormatWeight(double w) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.6g", w);
  return buf;
}

}  // namespace

namespace {

// The words of user text that become query terms: runs of letters, digits and marks; English stop
// words dropped unless nothing else is left; at most max_terms.
std::vector<std::string> QueryWords(std::string_view text, int max_terms) {
  std::vector<std::string> words;
  std::vector<bool> stop;
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t length = static_cast<int32_t>(std::min<size_t>(text.size(), INT32_MAX));
  int32_t i = 0;
  std::string current;
  auto flush = [&] {
    if (current.empty()) return;
    std::string lower = current;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return c < 0x80 ? std::tolower(c) : c; });
    stop.push_back(IsStopWord(lower));
    words.push_back(std::move(current));
    current.clear();
  };
  while (i < length) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c >= 0 && IsWordChar(c)) {
      current.append(text.substr(start, i - start));
    } else {
      flush();  // invalid UTF-8 sequences separate words like punctuation does
    }
  }
  flush();
  const bool all_stop = std::all_of(stop.begin(), stop.end(), [](bool b) { return b; });
  std::vector<std::string> out;
  for (size_t w = 0; w < words.size() && static_cast<int>(out.size()) < max_terms; ++w) {
    if (!stop[w] || all_stop) out.push_back(std::move(words[w]));
  }
  return out;
}

// '"w1" OR "w2" ...'; words hold word characters only, so there is no '"' to escape.
std::string OrQuery(const std::vector<std::string>& words) {
  std::string query;
  for (const std::string& w : words) {
    if (!query.empty()) query += " OR ";
    query += '"';
    query += w;
    query += '"';
  }
  return query;
}

// ---- FTS5 plumbing: per-connection query tokenizer and the ragd_bm25 rank function ----
//
// ragd_bm25(table, skip, weights, c0, c1, c2, c3) is FTS5's bm25 (k1 = 1.2, b = 0.75, column
// weights c0..c3) over the phrases after the first `skip`, where `weights` is a blob of doubles,
// one per scored phrase: query term frequency * idf, computed by the caller from fts5vocab
// document counts (the built-in bm25 instead walks every phrase's whole posting list per query).

constexpr double kK1 = 1.2;
constexpr double kB = 0.75;

struct ConnState {
  fts5_tokenizer api{};
  Fts5Tokenizer* tokenizer = nullptr;  // owned; freed with api.xDelete
  ~ConnState() {
    if (tokenizer != nullptr) api.xDelete(tokenizer);
  }
};

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
    cache = fresh.get();
    if (api->xSetAuxdata(fts, fresh.release(), [](void* p) {
          std::unique_ptr<RankCache>(static_cast<RankCache*>(p));
        }) != SQLITE_OK) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
  }
  cache->freq.assign(scored, 0.0);
  cache->weights.resize(scored);  // copied: a blob need not be aligned for double
  if (scored > 0) memcpy(cache->weights.data(), weights_blob, scored * sizeof(double));
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

// The connection's state, registering ragd_bm25 and creating the tokenizer on first use.
StatusOr<ConnState*> StateFor(sqlite3* db) {
  std::lock_guard lock(g_states_mu);
  if (auto it = g_states.find(db); it != g_states.end()) return it->second.get();
  fts5_api* api = Fts5Api(db);
  if (api == nullptr) return InternalError("SQLite has no FTS5");
  auto state = std::make_unique<ConnState>();
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

// The tokens FTS5 indexes for `word` (folded, diacritics removed, Porter-stemmed).
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

}  // namespace

std::string BuildFtsQuery(std::string_view text, int max_terms) {
  return OrQuery(QueryWords(text, max_terms));
}

LexicalIndex::LexicalIndex(const LexicalOptions& options) : options_(options) {}

StatusOr<std::string> LexicalIndex::TableName(std::string_view bot_key) {
  RAGD_ASSIGN_OR_RETURN(std::string name, BotStorageName(bot_key));
  return "lex_" + name;
}

Status LexicalIndex::EnsureBot(Connection& conn, std::string_view bot_key) const {
  RAGD_ASSIGN_OR_RETURN(std::string table, TableName(bot_key));
  // The fts5vocab table gives per-term document counts for query planning and idf.
  return conn.Exec("CREATE VIRTUAL TABLE IF NOT EXISTS \"" + table +
                   "\" USING fts5(document_id UNINDEXED, tags UNINDEXED, title, text, "
                   "tokenize = 'porter unicode61 remove_diacritics 2');"
                   "CREATE VIRTUAL TABLE IF NOT EXISTS \"" +
                   table + "_vocab\" USING fts5vocab(\"" + table + "\", 'row')");
}

Status LexicalIndex::DropBot(Connection& conn, std::string_view bot_key) const {
  RAGD_ASSIGN_OR_RETURN(std::string table, TableName(bot_key));
  return conn.Exec("DROP TABLE IF EXISTS \"" + table + "_vocab\"; DROP TABLE IF EXISTS \"" + table +
                   "\"");
}

Status LexicalIndex::Add(Connection& conn, std::string_view bot_key,
                         std::span<const LexicalRow> rows) const {
  if (rows.empty()) return OkStatus();
  RAGD_RETURN_IF_ERROR(EnsureBot(conn, bot_key));
  RAGD_ASSIGN_OR_RETURN(std::string table, TableName(bot_key));
  // FTS5 has no UPSERT; a replaced chunk is deleted first so its old terms leave the index.
  const std::string del_sql = "DELETE FROM \"" + table + "\" WHERE rowid = ?1";
  const std::string ins_sql =
      "INSERT INTO \"" + table +
      "\"(rowid, document_id, tags, title, text) VALUES (?1, ?2, ?3, ?4, ?5)";
  for (const LexicalRow& row : rows) {
    RAGD_ASSIGN_OR_RETURN(std::string tags, TagsField(row.tags));
    {
      RAGD_ASSIGN_OR_RETURN(Statement del, conn.Prepare(del_sql));
      RAGD_RETURN_IF_ERROR(del.Bind(1, row.chunk_id).Run());
    }
    RAGD_ASSIGN_OR_RETURN(Statement ins, conn.Prepare(ins_sql));
    ins.Bind(1, row.chunk_id).Bind(2, row.document_id).Bind(3, tags).Bind(4, row.title);
    RAGD_RETURN_IF_ERROR(ins.Bind(5, row.text).Run());
  }
  return OkStatus();
}

StatusOr<int64_t> LexicalIndex::Remove(Connection& conn, std::string_view bot_key,
                                       std::span<const int64_t> chunk_ids) const {
  RAGD_ASSIGN_OR_RETURN(std::string table, TableName(bot_key));
  int64_t removed = 0;
  for (int64_t id : chunk_ids) {
    auto st = conn.Prepare("DELETE FROM \"" + table + "\" WHERE rowid = ?1");
    if (!st.ok() && IsMissingTable(st.status())) return int64_t{0};
    if (!st.ok()) return st.status();
    RAGD_RETURN_IF_ERROR(st->Bind(1, id).Run());
    removed += conn.Changes();
  }
  return removed;
}

StatusOr<std::vector<LexicalHit>> LexicalIndex::Search(Connection& conn, std::string_view bot_key,
                                                       std::string_view query, int k,
                                                       const SearchFilter& filter) const {
  RAGD_ASSIGN_OR_RETURN(std::string table, TableName(bot_key));
  std::vector<LexicalHit> none;
  const std::vector<std::string> words = QueryWords(query, options_.max_query_terms);
  if (words.empty() || k <= 0) return none;
  RAGD_ASSIGN_OR_RETURN(ConnState * state, StateFor(conn.raw()));

  // Rows in the index; a missing table means the bot has nothing indexed.
  int64_t rows = 0;
  {
    auto st = conn.Prepare("SELECT count(*) FROM \"" + table + "_docsize\"");
    if (!st.ok() && IsMissingTable(st.status())) return none;
    if (!st.ok()) return st.status();
    auto row = st->Step();
    // A cached statement whose table was dropped since fails here rather than at Prepare.
    if (!row.ok() && IsMissingTable(row.status())) return none;
    if (!row.ok()) return row.status();
    if (*row) rows = st->Int(0);
  }
  // Distinct terms (by their indexed tokens) with query frequency and document frequency.
  struct Term {
    std::string word;
    int qtf = 0;
    int64_t df = 0;
  };
  std::vector<Term> terms;
  std::unordered_map<std::string, size_t> by_tokens;
  const std::string df_sql = "SELECT doc FROM \"" + table + "_vocab\" WHERE term = ?1";
  for (const std::string& word : words) {
    const std::vector<std::string> tokens = Tokens(*state, word);
    if (tokens.empty()) continue;
    std::string key;
    for (const std::string& t : tokens) key += t + '\x1f';
    auto [it, inserted] = by_tokens.emplace(key, terms.size());
    if (!inserted) {
      ++terms[it->second].qtf;
      continue;
    }
    int64_t df = rows;  // a multi-token word is a phrase: at most its rarest token's count
    for (const std::string& t : tokens) {
      auto st = conn.Prepare(df_sql);
      if (!st.ok() && IsMissingTable(st.status())) {
        // A table made before the vocab table existed (the next write adds it): count the
        // phrase's rows through FTS5 itself, slower but exact.
        RAGD_ASSIGN_OR_RETURN(Statement count, conn.Prepare("SELECT count(*) FROM \"" + table +
                                                            "\" WHERE \"" + table + "\" MATCH ?1"));
        RAGD_ASSIGN_OR_RETURN(bool row, count.Bind(1, OrQuery({word})).Step());
        df = row ? count.Int(0) : 0;
        break;
      }
      if (!st.ok()) return st.status();
      RAGD_ASSIGN_OR_RETURN(bool row, st->Bind(1, t).Step());
      df = std::min(df, row ? st->Int(0) : 0);
    }
    terms.push_back({word, 1, df});
  }
  std::erase_if(terms, [](const Term& t) { return t.df <= 0; });  // in no document
  if (terms.empty()) return none;

  // Common terms (in more than common_term_fraction of the rows) only score documents that
  // contain a rarer term, as in Elasticsearch's common-terms query: FTS5 then visits the rare
  // terms' postings instead of nearly every row.
  const double cutoff = std::max({1.0, options_.common_term_fraction * rows,
                                  static_cast<double>(options_.common_term_min_docs)});
  std::vector<std::string> rare, all;
  std::vector<double> weights;
  for (const Term& t : terms) {
    if (t.df <= cutoff) rare.push_back(t.word);
    all.push_back(t.word);
    const double idf = std::log((rows - t.df + 0.5) / (t.df + 0.5));
    weights.push_back(t.qtf * (idf > 0 ? idf : 1e-6));  // FTS5's floor
  }
  // Only worth it on large indexes: in a small knowledge base most useful words are "common", and
  // the gate would hide chunks that match them (a 12-chunk bot answered from the wrong section).
  const bool gate =
      rows >= options_.common_term_min_chunks && !rare.empty() && rare.size() < all.size();
  const std::string match =
      gate ? "(" + OrQuery(rare) + ") AND (" + OrQuery(all) + ")" : OrQuery(all);
  const std::string sql = "SELECT rowid, ragd_bm25(\"" + table + "\", ?3, ?4, 0, 0, " +
                          FormatWeight(options_.title_weight) + ", " +
                          FormatWeight(options_.text_weight) + ") AS score FROM \"" + table +
                          "\" WHERE \"" + table + "\" MATCH ?1" + FilterSql(filter, 5) +
                          " ORDER BY score DESC, rowid LIMIT ?2";
  RAGD_ASSIGN_OR_RETURN(Statement st, conn.Prepare(sql));
  st.Bind(1, match).Bind(2, k).Bind(3, gate ? static_cast<int64_t>(rare.size()) : int64_t{0});
  st.BindBlob(4, std::string_view(reinterpret_cast<const char*>(weights.data()),
                                  weights.size() * sizeof(double)));
  BindFilter(st, filter, 5);
  std::vector<LexicalHit> hits;
  while (true) {
    RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    hits.push_back({st.Int(0), st.Double(1)});
  }
  return hits;
}

StatusOr<std::vector<int64_t>> LexicalIndex::FilterChunkIds(Connection& conn,
                                                            std::string_view bot_key,
                                                            const SearchFilter& filter) const {
  RAGD_ASSIGN_OR_RETURN(std::string table, TableName(bot_key));
  std::vector<int64_t> ids;
  auto st = conn.Prepare("SELECT rowid FROM \"" + table + "\" WHERE 1" + FilterSql(filter, 1));
  if (!st.ok() && IsMissingTable(st.status())) return ids;
  if (!st.ok()) return st.status();
  BindFilter(*st, filter, 1);
  while (true) {
    RAGD_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ids.push_back(st->Int(0));
  }
  return ids;
}

StatusOr<int64_t> LexicalIndex::Count(Connection& conn, std::string_view bot_key) const {
  RAGD_ASSIGN_OR_RETURN(std::string table, TableName(bot_key));
  auto st = conn.Prepare("SELECT count(*) FROM \"" + table + "\"");
  if (!st.ok() && IsMissingTable(st.status())) return int64_t{0};
  if (!st.ok()) return st.status();
  RAGD_ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->Int(0) : int64_t{0};
}

}  // namespace ragd
