#include "retrieval/lexical_index.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "retrieval/lexical_fts5.h"

namespace ragd {
namespace {

using lexical_internal::ConnState;
using lexical_internal::ReadStats;
using lexical_internal::StateFor;
using lexical_internal::TableStats;
using lexical_internal::TokenDocs;
using lexical_internal::Tokens;

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

namespace {

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

using RunFn = std::function<StatusOr<std::vector<LexicalHit>>(const std::vector<size_t>& required)>;

// Exact top k when every query term is common, by MaxScore (Turtle and Flood, 1995) in two FTS5
// queries. A term adds less than weight * (k1 + 1) to any chunk's score, so once k chunks score
// at least theta, the terms with the smallest bounds that add up to at most theta can't lift a
// chunk into the top k on their own: only chunks with one of the other ("essential") terms need
// scoring. Phase 1 scores the chunks with one of the rarest terms (df within 2x of the rarest),
// which gives theta; when the essential terms turn out to be among those, phase 1 is the answer,
// otherwise phase 2 scores the chunks with an essential term.
StatusOr<std::vector<LexicalHit>> MaxScoreTopK(const std::vector<int64_t>& dfs,
                                               const std::vector<double>& weights, int k,
                                               int64_t max_exact_postings, const RunFn& run) {
  const size_t n = dfs.size();
  const int64_t min_df = *std::min_element(dfs.begin(), dfs.end());
  std::vector<size_t> first;
  std::vector<bool> in_first(n, false);
  for (size_t i = 0; i < n; ++i) {
    if (dfs[i] <= 2 * min_df) {
      first.push_back(i);
      in_first[i] = true;
    }
  }
  if (first.size() == n) return run({});
  RAGD_ASSIGN_OR_RETURN(std::vector<LexicalHit> hits, run(first));
  if (hits.size() < static_cast<size_t>(k)) {  // no threshold to prune with
    int64_t all = 0;
    for (int64_t df : dfs) all += df;
    return all <= max_exact_postings ? run({}) : hits;
  }
  const double theta = hits.back().score * (1 - 1e-9);  // margin for rounding
  std::vector<size_t> by_bound(n);
  for (size_t i = 0; i < n; ++i) by_bound[i] = i;
  std::sort(by_bound.begin(), by_bound.end(),
            [&](size_t a, size_t b) { return weights[a] < weights[b]; });
  double bound = 0;
  size_t non_essential = 0;
  while (non_essential < n) {
    const double next = bound + weights[by_bound[non_essential]] * (lexical_internal::kK1 + 1);
    if (next > theta) break;
    bound = next;
    ++non_essential;
  }
  std::vector<size_t> essential(by_bound.begin() + non_essential, by_bound.end());
  if (std::all_of(essential.begin(), essential.end(), [&](size_t i) { return in_first[i]; })) {
    return hits;
  }
  int64_t postings = 0;
  for (size_t i : essential) postings += dfs[i];
  if (postings > max_exact_postings) return hits;
  if (non_essential == 0) return run({});
  std::sort(essential.begin(), essential.end());
  return run(essential);
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
  RAGD_ASSIGN_OR_RETURN(std::optional<TableStats> stats, ReadStats(conn, table));
  if (!stats) return none;
  const int64_t rows = stats->rows;
  // Distinct terms (by their indexed tokens) with query frequency and document frequency.
  struct Term {
    std::string word;
    int qtf = 0;
    int64_t df = 0;
  };
  std::vector<Term> terms;
  std::unordered_map<std::string, size_t> by_tokens;
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
      RAGD_ASSIGN_OR_RETURN(std::optional<int64_t> docs, TokenDocs(*state, conn, table, *stats, t));
      if (!docs) {
        // A table made before the vocab table existed (the next write adds it): count the
        // phrase's rows through FTS5 itself, slower but exact.
        RAGD_ASSIGN_OR_RETURN(Statement count, conn.Prepare("SELECT count(*) FROM \"" + table +
                                                            "\" WHERE \"" + table + "\" MATCH ?1"));
        RAGD_ASSIGN_OR_RETURN(bool row, count.Bind(1, OrQuery({word})).Step());
        df = row ? count.Int(0) : 0;
        break;
      }
      df = std::min(df, *docs);
    }
    terms.push_back({word, 1, df});
  }
  std::erase_if(terms, [](const Term& t) { return t.df <= 0; });  // in no document
  if (terms.empty()) return none;

  std::vector<double> weights;
  for (const Term& t : terms) {
    const double idf = std::log((rows - t.df + 0.5) / (t.df + 0.5));
    weights.push_back(t.qtf * (idf > 0 ? idf : 1e-6));  // FTS5's floor
  }
  // Top k of the chunks that contain one of `required` (indexes into terms; empty: any term),
  // scored over all terms.
  const std::string sql = "SELECT rowid, ragd_bm25(\"" + table + "\", ?3, ?4, 0, 0, " +
                          FormatWeight(options_.title_weight) + ", " +
                          FormatWeight(options_.text_weight) + ") AS score FROM \"" + table +
                          "\" WHERE \"" + table + "\" MATCH ?1" + FilterSql(filter, 5) +
                          " ORDER BY score DESC, rowid LIMIT ?2";
  auto run = [&](const std::vector<size_t>& required) -> StatusOr<std::vector<LexicalHit>> {
    std::vector<std::string> all, some;
    for (const Term& t : terms) all.push_back(t.word);
    for (size_t i : required) some.push_back(terms[i].word);
    const bool gated = !some.empty() && some.size() < all.size();
    const std::string match =
        gated ? "(" + OrQuery(some) + ") AND (" + OrQuery(all) + ")" : OrQuery(all);
    RAGD_ASSIGN_OR_RETURN(Statement st, conn.Prepare(sql));
    st.Bind(1, match).Bind(2, k).Bind(3, gated ? static_cast<int64_t>(some.size()) : int64_t{0});
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
  };
  // Small bots: every chunk with any term is scored (their postings are short anyway).
  if (rows < options_.common_term_min_chunks) return run({});

  // Common terms (in more than common_term_fraction of the rows) only score documents that
  // contain a rarer term, as in Elasticsearch's common-terms query: FTS5 then visits the rare
  // terms' postings instead of nearly every row.
  const double cutoff = std::max({1.0, options_.common_term_fraction * rows,
                                  static_cast<double>(options_.common_term_min_docs)});
  std::vector<size_t> rare;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (terms[i].df <= cutoff) rare.push_back(i);
  }
  if (!rare.empty()) return run(rare);
  std::vector<int64_t> dfs;
  for (const Term& t : terms) dfs.push_back(t.df);
  return MaxScoreTopK(dfs, weights, k, options_.max_exact_postings, run);
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
  RAGD_ASSIGN_OR_RETURN(std::optional<TableStats> stats, ReadStats(conn, table));
  return stats ? stats->rows : int64_t{0};
}

Status LexicalIndex::ScanRows(Connection& conn, std::string_view bot_key,
                              const std::function<Status(const LexicalRow&)>& fn) const {
  RAGD_ASSIGN_OR_RETURN(std::string table, TableName(bot_key));
  auto st = conn.Prepare("SELECT rowid, title, text FROM \"" + table + "\" ORDER BY rowid");
  if (!st.ok() && IsMissingTable(st.status())) return OkStatus();
  if (!st.ok()) return st.status();
  LexicalRow row;
  while (true) {
    RAGD_ASSIGN_OR_RETURN(bool more, st->Step());
    if (!more) return OkStatus();
    row.chunk_id = st->Int(0);
    row.title = st->Text(1);
    row.text = st->Text(2);
    RAGD_RETURN_IF_ERROR(fn(row));
  }
}

}  // namespace ragd
