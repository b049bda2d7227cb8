// The in-memory BM25 index must give what FTS5 gives (LexicalIndex::Search on a bot below the
// common-terms gate): the same chunks in the same order with the same scores, through adds,
// replacements and removals.
#include "retrieval/lexical_memory.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "retrieval/porter_tokenizer.h"
#include "tests/retrieval/temp_db_util.h"

namespace ragd {
namespace {

std::vector<std::string> Tokens(std::string_view text) {
  std::unique_ptr<PorterTokenizer> t = PorterTokenizer::Create().value();
  std::vector<std::string> out;
  EXPECT_TRUE(t->Tokenize(text, false, [&](std::string_view tok) { out.emplace_back(tok); }).ok());
  return out;
}

TEST(PorterTokenizerTest, FoldsRemovesDiacriticsAndStemsLikeFts5) {
  EXPECT_EQ(Tokens("Resetting PASSWORDS, résumés!"),
            (std::vector<std::string>{"reset", "password", "resum"}));
  EXPECT_EQ(Tokens("e-mail x2 ünïcödé"), (std::vector<std::string>{"e", "mail", "x2", "unicod"}));
  EXPECT_TRUE(Tokens("  ;;  ").empty());
}

class LexicalMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override { memory_ = LexicalMemoryIndex::Create(options_).value(); }

  void Add(const std::vector<LexicalRow>& rows) {
    ASSERT_TRUE(db_->Write([&](Connection& c) { return fts_.Add(c, "bot", rows); }).ok());
    ASSERT_TRUE(memory_->Add(rows).ok());
  }
  void Remove(const std::vector<int64_t>& ids) {
    int64_t from_fts = 0;
    ASSERT_TRUE(db_->Write([&](Connection& c) -> Status {
                     RAGD_ASSIGN_OR_RETURN(from_fts, fts_.Remove(c, "bot", ids));
                     return OkStatus();
                   })
                    .ok());
    EXPECT_EQ(memory_->Remove(ids), from_fts);
  }
  std::vector<LexicalHit> FromFts(const std::string& query, int k) {
    std::vector<LexicalHit> hits;
    EXPECT_TRUE(db_->Read([&](Connection& c) -> Status {
                     RAGD_ASSIGN_OR_RETURN(hits, fts_.Search(c, "bot", query, k));
                     return OkStatus();
                   })
                    .ok());
    return hits;
  }
  std::vector<LexicalHit> FromMemory(const std::string& query, int k) {
    auto hits = memory_->Search(query, k);
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    EXPECT_TRUE(hits.ok() && hits->has_value()) << "fell back for: " << query;
    return hits.ok() && hits->has_value() ? **hits : std::vector<LexicalHit>{};
  }
  // Same chunks, same order, same scores (ties may come in either order only if their scores are
  // equal to rounding).
  void ExpectSame(const std::string& query, int k) {
    const std::vector<LexicalHit> want = FromFts(query, k), got = FromMemory(query, k);
    ASSERT_EQ(got.size(), want.size()) << query;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR(got[i].score, want[i].score, 1e-9 * want[i].score) << query << " rank " << i;
      if (got[i].id != want[i].id) {
        EXPECT_NEAR(got[i].score, want[i].score, 1e-12 * want[i].score)
            << query << " rank " << i << ": " << got[i].id << " vs " << want[i].id;
      }
    }
  }

  // Zipf-distributed words over a small vocabulary (many common terms, as in large bots), with
  // inflections the stemmer folds and accents the tokenizer removes.
  std::string Text(std::mt19937& rng, int words) {
    static const std::vector<std::string> kVocab = [] {
      std::vector<std::string> v = {"password", "passwords", "resetting", "reset",   "invoice",
                                    "invoices", "résumé",    "resume",    "billing", "account",
                                    "Security", "the",       "and",       "of",      "to",
                                    "x2",       "café"};
      for (int i = 0; i < 250; ++i) v.push_back("w" + std::to_string(i) + "z");
      return v;
    }();
    std::vector<double> weights;
    for (size_t i = 0; i < kVocab.size(); ++i) weights.push_back(1.0 / (1.0 + i));
    std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
    std::string out;
    for (int i = 0; i < words; ++i) {
      if (i > 0) out += (i % 7 == 0) ? ". " : " ";
      out += kVocab[pick(rng)];
    }
    return out;
  }

  testing::TempDatabase temp_{"ragd_lexmem_"};
  Database* db_ = &temp_.db();
  LexicalOptions options_;
  LexicalIndex fts_{options_};
  std::unique_ptr<LexicalMemoryIndex> memory_;
};

TEST_F(LexicalMemoryTest, MatchesFts5ThroughAddsReplacementsAndRemovals) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> length(3, 120);
  std::vector<LexicalRow> rows;
  for (int64_t id = 1; id <= 1500; ++id) {
    rows.push_back({id * 3, "doc", Text(rng, 1 + length(rng) % 6), Text(rng, length(rng)), {}});
  }
  Add(rows);
  EXPECT_EQ(memory_->rows(), 1500);
  std::vector<std::string> queries = {"password reset",
                                      "resetting passwords the passwords",
                                      "résumé café",
                                      "kangaroo",
                                      "the and of",
                                      "invoice w3z w3z",
                                      "SECURITY account billing"};
  for (int i = 0; i < 120; ++i) queries.push_back(Text(rng, 1 + i % 30));
  for (const std::string& q : queries) {
    ExpectSame(q, 10);
    ExpectSame(q, 200);
  }

  // Replace a third of the chunks with new text (same ids), remove another third.
  std::vector<LexicalRow> replaced;
  std::vector<int64_t> removed;
  for (int64_t id = 1; id <= 1500; ++id) {
    if (id % 3 == 0) replaced.push_back({id * 3, "doc", "", Text(rng, length(rng)), {}});
    if (id % 3 == 1) removed.push_back(id * 3);
  }
  removed.push_back(999999);  // not present: ignored
  Add(replaced);
  Remove(removed);
  EXPECT_EQ(memory_->rows(), 1000);
  for (const std::string& q : queries) ExpectSame(q, 10);
  // A chunk removed and added back scores as a new one.
  Add({{3 * 4, "doc", "Security", "password password reset", {}}});
  ExpectSame("password reset security", 5);
  const std::vector<LexicalHit> all = FromMemory("password reset security", 2000);
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const LexicalHit& h) { return h.id == 12; }));
}

TEST_F(LexicalMemoryTest, StemsFoldsAndIgnoresUnknownWords) {
  Add({{1, "d", "Password help", "How to reset your password when you forgot it.", {}},
       {2, "d", "Billing", "Invoices are sent monthly by email.", {}},
       {4, "d", "Résumé tips", "Write a concise résumé; recruiters skim.", {}}});
  auto ids = [&](const std::string& q) {
    std::vector<int64_t> out;
    for (const LexicalHit& h : FromMemory(q, 10)) out.push_back(h.id);
    return out;
  };
  EXPECT_EQ(ids("resetting passwords"), std::vector<int64_t>{1});
  EXPECT_EQ(ids("RESUME"), std::vector<int64_t>{4});
  EXPECT_EQ(ids("invoice kangaroo"), std::vector<int64_t>{2});
  EXPECT_TRUE(ids("kangaroo").empty());
  EXPECT_TRUE(ids("  ?! ").empty());
  EXPECT_TRUE(FromMemory("password", 0).empty());
}

TEST_F(LexicalMemoryTest, WordsFts5SplitsAreLeftToFts5) {
  Add({{1, "d", "", "x y z", {}}});
  // U+24B6 (circled A) is alphabetic, so one query word, but unicode61 separates on it.
  auto hits = memory_->Search("x\u24b6y", 10);
  ASSERT_TRUE(hits.ok());
  EXPECT_FALSE(hits->has_value());
}

TEST_F(LexicalMemoryTest, SearchesRunWhileChunksChange) {
  std::mt19937 rng(5);
  std::vector<LexicalRow> rows;
  for (int64_t id = 1; id <= 400; ++id) rows.push_back({id, "d", "", Text(rng, 40), {}});
  ASSERT_TRUE(memory_->Add(rows).ok());
  std::atomic<bool> done{false};
  std::atomic<int> searches{0};
  std::thread reader([&] {
    while (!done) {
      auto hits = memory_->Search("password reset invoice w1z", 20);
      ASSERT_TRUE(hits.ok() && hits->has_value());
      for (size_t i = 1; i < (*hits)->size(); ++i) {
        ASSERT_GE((**hits)[i - 1].score, (**hits)[i].score);
      }
      ++searches;
    }
  });
  for (int round = 0; round < 50; ++round) {
    std::vector<int64_t> gone;
    for (int64_t id = 1 + round * 8; id <= 8 + round * 8; ++id) gone.push_back(id);
    memory_->Remove(gone);
    std::vector<LexicalRow> more;
    for (int64_t id = 1000 + round * 8; id < 1008 + round * 8; ++id) {
      more.push_back({id, "d", "", Text(rng, 40), {}});
    }
    ASSERT_TRUE(memory_->Add(more).ok());
  }
  while (searches < 20) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_EQ(memory_->rows(), 400);
  EXPECT_GT(memory_->MemoryBytes(), 0u);
}

}  // namespace
}  // namespace ragd
