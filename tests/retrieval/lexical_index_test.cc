#include "retrieval/lexical_index.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "tests/retrieval/temp_db_util.h"

namespace ragd {
namespace {

class LexicalIndexTest : public ::testing::Test {
 protected:
  void AddRows(const std::string& bot, const std::vector<LexicalRow>& rows) {
    ASSERT_TRUE(db_->Write([&](Connection& c) { return index_.Add(c, bot, rows); }).ok());
  }
  std::vector<int64_t> Ids(const std::string& bot, std::string_view query, int k = 10,
                           const SearchFilter& filter = {}) {
    std::vector<int64_t> ids;
    Status s = db_->Read([&](Connection& c) -> Status {
      RAGD_ASSIGN_OR_RETURN(auto hits, index_.Search(c, bot, query, k, filter));
      for (const LexicalHit& h : hits) ids.push_back(h.id);
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.ToString() << " for query: " << query;
    return ids;
  }
  std::vector<LexicalRow> Corpus() {
    return {
        {1, "doc-a", "Password help", "How to reset your password when you forgot it.", {"faq"}},
        {2, "doc-a", "Billing", "Invoices are sent monthly by email.", {"billing", "faq"}},
        {3, "doc-b", "Security", "Two-factor authentication protects your account.", {}},
        {4, "doc-c", "Résumé tips", "Write a concise résumé; recruiters skim.", {"careers"}},
    };
  }

  testing::TempDatabase temp_{"ragd_lex_"};
  Database* db_ = &temp_.db();
  LexicalIndex index_;
};

TEST(BuildFtsQueryTest, QuotesWordsDropsStopWordsAndNeverEmitsSyntax) {
  EXPECT_EQ(BuildFtsQuery("How do I reset the password?"),
            "\"How\" OR \"do\" OR \"I\" OR \"reset\" OR \"password\"");
  EXPECT_EQ(BuildFtsQuery("the of and"), "\"the\" OR \"of\" OR \"and\"");  // only stop words
  EXPECT_EQ(BuildFtsQuery("title:x NEAR(a b) \"q\" c* ^d"),
            "\"title\" OR \"x\" OR \"NEAR\" OR \"b\" OR \"q\" OR \"c\" OR \"d\"");
  EXPECT_EQ(BuildFtsQuery("  ,;:!?  "), "");
  EXPECT_EQ(BuildFtsQuery("café naïve"), "\"café\" OR \"naïve\"");
  EXPECT_EQ(BuildFtsQuery("one two three", 2), "\"one\" OR \"two\"");
}

TEST_F(LexicalIndexTest, RanksMatchingChunksAndStemsWords) {
  AddRows("bot-1", Corpus());
  EXPECT_EQ(Ids("bot-1", "resetting passwords"), std::vector<int64_t>{1});
  EXPECT_EQ(Ids("bot-1", "invoice"), std::vector<int64_t>{2});
  EXPECT_EQ(Ids("bot-1", "resume"), std::vector<int64_t>{4});  // diacritics removed
  EXPECT_EQ(Ids("bot-1", "security")[0], 3);                   // title is indexed
  EXPECT_TRUE(Ids("bot-1", "kangaroo").empty());
  auto two = Ids("bot-1", "password email");
  EXPECT_EQ(two.size(), 2u);
  int64_t count = 0;
  ASSERT_TRUE(db_->Read([&](Connection& c) -> Status {
                   RAGD_ASSIGN_OR_RETURN(count, index_.Count(c, "bot-1"));
                   return OkStatus();
                 })
                  .ok());
  EXPECT_EQ(count, 4);
}

TEST_F(LexicalIndexTest, ScoresArePositiveAndBestFirst) {
  AddRows("b", {{1, "d", "", "apple apple apple banana", {}},
                {2, "d", "", "apple cherry cherry cherry cherry", {}},
                {3, "d", "", "cherry", {}}});
  ASSERT_TRUE(db_->Read([&](Connection& c) -> Status {
                   RAGD_ASSIGN_OR_RETURN(auto hits, index_.Search(c, "b", "apple", 10));
                   EXPECT_EQ(hits.size(), 2u);
                   EXPECT_EQ(hits[0].id, 1);
                   EXPECT_GT(hits[0].score, hits[1].score);
                   EXPECT_GT(hits[1].score, 0);
                   // Same numbers as FTS5's built-in bm25() for the same MATCH.
                   const std::string t = LexicalIndex::TableName("b").value();
                   RAGD_ASSIGN_OR_RETURN(
                       auto st, c.Prepare("SELECT rowid, -bm25(\"" + t +
                                          "\", 0, 0, 1, 1) AS s FROM \"" + t + "\" WHERE \"" + t +
                                          "\" MATCH '\"apple\" OR \"cherry\"' ORDER BY s DESC"));
                   RAGD_ASSIGN_OR_RETURN(auto ours, index_.Search(c, "b", "apple cherry", 10));
                   for (const LexicalHit& h : ours) {
                     RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
                     EXPECT_TRUE(row);
                     EXPECT_EQ(st.Int(0), h.id);
                     EXPECT_NEAR(st.Double(1), h.score, 1e-9);
                   }
                   return OkStatus();
                 })
                  .ok());
}

TEST_F(LexicalIndexTest, CommonTermsOnlyScoreChunksWithARarerTerm) {
  std::vector<LexicalRow> rows;
  for (int i = 1; i <= 10; ++i) {
    rows.push_back(
        {i, "d", "", "shared words appear in every chunk number " + std::to_string(i), {}});
  }
  rows[2].text += " zebra";
  rows[6].text += " zebra zebra";
  AddRows("b", rows);
  LexicalIndex gated(LexicalOptions{
      .common_term_fraction = 0.3, .common_term_min_docs = 1, .common_term_min_chunks = 0});
  LexicalIndex exact(LexicalOptions{
      .common_term_fraction = 1.0, .common_term_min_docs = 1, .common_term_min_chunks = 0});
  ASSERT_TRUE(db_->Read([&](Connection& c) -> Status {
                   RAGD_ASSIGN_OR_RETURN(auto g, gated.Search(c, "b", "shared zebra", 10));
                   RAGD_ASSIGN_OR_RETURN(auto e, exact.Search(c, "b", "shared zebra", 10));
                   EXPECT_EQ(g.size(), 2u);  // only the chunks with the rare word
                   EXPECT_EQ(e.size(), 10u);
                   EXPECT_EQ(g[0].id, 7);
                   EXPECT_EQ(g[1].id, 3);
                   EXPECT_EQ(e[0].id, 7);
                   EXPECT_DOUBLE_EQ(g[0].score, e[0].score);  // same BM25, common term included
                   EXPECT_DOUBLE_EQ(g[1].score, e[1].score);
                   // The default options never gate a small bot.
                   RAGD_ASSIGN_OR_RETURN(auto small, index_.Search(c, "b", "shared zebra", 10));
                   EXPECT_EQ(small.size(), 10u);
                   // Only common words: no gate, every chunk matches.
                   RAGD_ASSIGN_OR_RETURN(auto only_common, gated.Search(c, "b", "shared", 10));
                   EXPECT_EQ(only_common.size(), 10u);
                   return OkStatus();
                 })
                  .ok());
}

// Every term common (in more than the cutoff's chunks): MaxScore pruning must return exactly what
// scoring every matching chunk returns, at any depth.
TEST_F(LexicalIndexTest, PruningWhenEveryTermIsCommonKeepsTheExactTopK) {
  std::mt19937 rng(5);
  const std::vector<std::string> vocab = {"alpha",   "bravo", "charlie", "delta", "echo",
                                          "foxtrot", "golf",  "hotel",   "india", "juliet"};
  // Zipf-like: word i appears with probability about 1 / (i + 1), so the terms' document counts
  // and weights differ and the bounds of the commonest terms sum to less than the k-th score.
  std::discrete_distribution<int> pick({1.0, 0.5, 0.33, 0.25, 0.2, 0.17, 0.14, 0.12, 0.11, 0.1});
  std::uniform_int_distribution<int> length(3, 30);
  std::vector<LexicalRow> rows;
  for (int i = 1; i <= 400; ++i) {
    std::string text;
    for (int w = length(rng); w > 0; --w) text += vocab[pick(rng)] + " ";
    rows.push_back({i, "d", "", text, {}});
  }
  AddRows("b", rows);
  LexicalIndex pruned(LexicalOptions{
      .common_term_fraction = 0, .common_term_min_docs = 1, .common_term_min_chunks = 0});
  LexicalIndex exhaustive(LexicalOptions{.common_term_min_chunks = INT64_MAX});
  LexicalIndex first_pass_only(LexicalOptions{.common_term_fraction = 0,
                                              .common_term_min_docs = 1,
                                              .common_term_min_chunks = 0,
                                              .max_exact_postings = 0});
  int first_pass_differs = 0;
  ASSERT_TRUE(db_->Read([&](Connection& c) -> Status {
                   for (const char* q : {"alpha bravo india juliet", "charlie golf hotel",
                                         "alpha alpha juliet echo", "delta"}) {
                     for (int k : {1, 5, 20, 400}) {
                       RAGD_ASSIGN_OR_RETURN(auto p, pruned.Search(c, "b", q, k));
                       RAGD_ASSIGN_OR_RETURN(auto e, exhaustive.Search(c, "b", q, k));
                       RAGD_ASSIGN_OR_RETURN(auto f, first_pass_only.Search(c, "b", q, k));
                       EXPECT_EQ(p.size(), e.size()) << q << " k=" << k;
                       for (size_t i = 0; i < std::min(p.size(), e.size()); ++i) {
                         EXPECT_EQ(p[i].id, e[i].id) << q << " k=" << k << " rank " << i;
                         EXPECT_DOUBLE_EQ(p[i].score, e[i].score);
                       }
                       bool same = f.size() == e.size();
                       for (size_t i = 0; same && i < f.size(); ++i) same = f[i].id == e[i].id;
                       first_pass_differs += same ? 0 : 1;
                     }
                   }
                   return OkStatus();
                 })
                  .ok());
  // The exact second pass matters: the first pass alone (rarest terms only) misses chunks.
  EXPECT_GT(first_pass_differs, 0);
}

// A chunk with only the commonest query terms can still be the best one: here the k-th score of
// the chunks with the rarest term is below what the three common terms can add up to, so MaxScore
// must run its second pass (with bounds of weight * (k1 + 1); smaller bounds would skip it).
TEST_F(LexicalIndexTest, PruningFindsTheBestChunkWithoutTheRarestTerm) {
  std::vector<LexicalRow> rows;
  auto add = [&](const std::string& text) {
    rows.push_back({static_cast<int64_t>(rows.size()) + 1, "d", "", text, {}});
  };
  for (int i = 0; i < 5; ++i) add("rare alpha filler filler");
  add("alpha bravo charlie");  // chunk 6
  for (int i = 0; i < 19; ++i) {
    add("alpha filler filler filler");
    add("bravo filler filler filler");
    add("charlie filler filler filler");
  }
  while (rows.size() < 100) add("filler other");
  AddRows("b", rows);
  LexicalIndex pruned(LexicalOptions{
      .common_term_fraction = 0, .common_term_min_docs = 1, .common_term_min_chunks = 0});
  LexicalIndex exhaustive(LexicalOptions{.common_term_min_chunks = INT64_MAX});
  ASSERT_TRUE(
      db_->Read([&](Connection& c) -> Status {
           RAGD_ASSIGN_OR_RETURN(auto p, pruned.Search(c, "b", "rare alpha bravo charlie", 3));
           RAGD_ASSIGN_OR_RETURN(auto e, exhaustive.Search(c, "b", "rare alpha bravo charlie", 3));
           EXPECT_EQ(e.size(), 3u);
           EXPECT_EQ(e[0].id, 6);
           EXPECT_EQ(p.size(), e.size());
           for (size_t i = 0; i < std::min(p.size(), e.size()); ++i) {
             EXPECT_EQ(p[i].id, e[i].id) << "rank " << i;
           }
           return OkStatus();
         })
          .ok());
}

// Document counts are cached per connection; a write must never leave a search scoring with the
// old counts (the scores must stay equal to FTS5's own bm25 after every write).
TEST_F(LexicalIndexTest, ScoresFollowWritesDespiteCachedCounts) {
  const std::string t = LexicalIndex::TableName("b").value();
  auto check = [&](const std::string& when) {
    ASSERT_TRUE(db_->Read([&](Connection& c) -> Status {
                     RAGD_ASSIGN_OR_RETURN(auto ours, index_.Search(c, "b", "apple cherry", 50));
                     RAGD_ASSIGN_OR_RETURN(
                         auto st, c.Prepare("SELECT rowid, -bm25(\"" + t +
                                            "\", 0, 0, 1, 1) AS s FROM \"" + t + "\" WHERE \"" + t +
                                            "\" MATCH '\"apple\" OR \"cherry\"' ORDER BY s "
                                            "DESC, rowid"));
                     size_t n = 0;
                     while (true) {
                       RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
                       if (!row) break;
                       EXPECT_LT(n, ours.size()) << when;
                       if (n >= ours.size()) break;
                       EXPECT_EQ(st.Int(0), ours[n].id) << when;
                       EXPECT_NEAR(st.Double(1), ours[n].score, 1e-9) << when;
                       ++n;
                     }
                     EXPECT_EQ(n, ours.size()) << when;
                     return OkStatus();
                   })
                    .ok());
  };
  AddRows("b", {{1, "d", "", "apple banana", {}}, {2, "d", "", "cherry pie", {}}});
  for (int round = 0; round < 3; ++round) check("before the write");  // every pooled reader
  AddRows("b", {{3, "d", "", "apple apple cherry", {}}, {4, "d", "", "apple tart", {}}});
  for (int round = 0; round < 3; ++round) check("after adding");
  ASSERT_TRUE(db_->Write([&](Connection& c) -> Status {
                   std::vector<int64_t> ids = {4};
                   return index_.Remove(c, "b", ids).status();
                 })
                  .ok());
  for (int round = 0; round < 3; ++round) check("after removing");
  // Same row count and token total as before, one chunk fewer with "apple": only FTS5's structure
  // record says the index changed.
  AddRows("b", {{3, "d", "", "cherry cherry banana", {}}});
  for (int round = 0; round < 3; ++round) check("after replacing");
}

TEST_F(LexicalIndexTest, TablesWithoutAVocabTableStillSearch) {
  AddRows("b", Corpus());
  const std::string t = LexicalIndex::TableName("b").value();
  ASSERT_TRUE(
      db_->Write([&](Connection& c) { return c.Exec("DROP TABLE \"" + t + "_vocab\""); }).ok());
  EXPECT_EQ(Ids("b", "resetting passwords"), std::vector<int64_t>{1});
  AddRows("b", {{9, "d", "", "password manager", {}}});  // a write restores the vocab table
  EXPECT_EQ(Ids("b", "manager"), std::vector<int64_t>{9});
}

TEST_F(LexicalIndexTest, BotsAreIsolated) {
  AddRows("bot-1", Corpus());
  AddRows("bot-2", {{10, "x", "", "password vault", {}}});
  EXPECT_EQ(Ids("bot-2", "password"), std::vector<int64_t>{10});
  EXPECT_EQ(Ids("bot-1", "vault"), std::vector<int64_t>{});
  EXPECT_TRUE(Ids("never-created", "password").empty());
}

TEST_F(LexicalIndexTest, RemoveAndReplace) {
  AddRows("b", Corpus());
  int64_t removed = 0;
  ASSERT_TRUE(db_->Write([&](Connection& c) -> Status {
                   std::vector<int64_t> ids = {1, 99};
                   RAGD_ASSIGN_OR_RETURN(removed, index_.Remove(c, "b", ids));
                   return OkStatus();
                 })
                  .ok());
  EXPECT_EQ(removed, 1);
  EXPECT_TRUE(Ids("b", "password").empty());
  // Re-adding chunk 2 with new text replaces the old terms.
  AddRows("b", {{2, "doc-a", "Billing", "Payments are due quarterly.", {}}});
  EXPECT_TRUE(Ids("b", "invoices").empty());
  EXPECT_EQ(Ids("b", "quarterly"), std::vector<int64_t>{2});
}

TEST_F(LexicalIndexTest, FiltersByDocumentAndTag) {
  AddRows("b", Corpus());
  SearchFilter by_doc{.document_ids = {"doc-a"}, .tags = {}};
  EXPECT_EQ(Ids("b", "password account", 10, by_doc), std::vector<int64_t>{1});
  SearchFilter by_tag{.document_ids = {}, .tags = {"billing"}};
  EXPECT_EQ(Ids("b", "password email", 10, by_tag), std::vector<int64_t>{2});
  SearchFilter both{.document_ids = {"doc-a", "doc-b"}, .tags = {"faq"}};
  EXPECT_EQ(Ids("b", "password email account", 10, both).size(), 2u);
  SearchFilter quote_tag{.document_ids = {}, .tags = {"fa\"q", "b'x"}};  // odd values are data
  EXPECT_TRUE(Ids("b", "password", 10, quote_tag).empty());
  std::vector<int64_t> ids;
  ASSERT_TRUE(db_->Read([&](Connection& c) -> Status {
                   RAGD_ASSIGN_OR_RETURN(ids, index_.FilterChunkIds(c, "b", by_tag));
                   return OkStatus();
                 })
                  .ok());
  EXPECT_EQ(ids, std::vector<int64_t>{2});
}

TEST_F(LexicalIndexTest, HostileQueryTextNeverErrors) {
  AddRows("b", Corpus());
  const std::vector<std::string> inputs = {"\"",
                                           "\"\"",
                                           "a\"b",
                                           "NEAR(password reset, 2)",
                                           "title:password",
                                           "text : reset",
                                           "*",
                                           "pass*",
                                           "^password",
                                           "AND",
                                           "OR NOT",
                                           "(",
                                           ")",
                                           "-password",
                                           "+",
                                           "{title text}: x",
                                           "password\" OR rowid:1 --",
                                           "'; DROP TABLE x; --",
                                           "\xff\xfe\x80 password",
                                           "",
                                           std::string("pass\0word", 9),
                                           "ＰＡＳＳＷＯＲＤ",
                                           "🔑 password 🔒",
                                           "\u0301\u0301"};
  for (const std::string& q : inputs) Ids("b", q);
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    std::string q;
    const int len = rng() % 24;
    for (int j = 0; j < len; ++j) q += static_cast<char>(rng() % 256);
    Ids("b", q);
  }
  // A column filter in user text is just words, not syntax.
  EXPECT_EQ(Ids("b", "title:billing").size(), 1u);
}

TEST_F(LexicalIndexTest, WritesBelongToTheCallersTransaction) {
  Status s = db_->Write([&](Connection& c) -> Status {
    RAGD_RETURN_IF_ERROR(index_.Add(c, "b", Corpus()));
    return AbortedError("engine failed after indexing");
  });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_TRUE(Ids("b", "password").empty());  // rolled back with the caller's rows
}

TEST_F(LexicalIndexTest, DropBotRemovesItsTable) {
  AddRows("b", Corpus());
  EXPECT_FALSE(Ids("b", "password").empty());
  ASSERT_TRUE(db_->Write([&](Connection& c) { return index_.DropBot(c, "b"); }).ok());
  EXPECT_TRUE(Ids("b", "password").empty());
  EXPECT_EQ(db_->Write([&](Connection& c) { return index_.EnsureBot(c, "Bad Key"); }).code(),
            StatusCode::kInvalidArgument);
  std::vector<LexicalRow> bad_tag = {{1, "d", "", "x", {"a\x1f"}}};
  EXPECT_EQ(db_->Write([&](Connection& c) { return index_.Add(c, "b", bad_tag); }).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ragd
