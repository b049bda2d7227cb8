#include "retrieval/hybrid.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "retrieval/hashing_embedder.h"
#include "tests/retrieval/temp_db_util.h"

namespace ragd {
namespace {

std::vector<int64_t> Ids(const std::vector<HybridHit>& hits) {
  std::vector<int64_t> ids;
  for (const HybridHit& h : hits) ids.push_back(h.chunk_id);
  return ids;
}

TEST(FusionTest, ReciprocalRankFusionMatchesHandComputation) {
  std::vector<VectorHit> v = {{1, 0.9f}, {2, 0.8f}, {3, 0.7f}};
  std::vector<LexicalHit> l = {{3, 12.0}, {4, 5.0}};
  auto hits = FuseReciprocalRank(v, l, 60);
  // 3: 1/63 + 1/61; 1: 1/61; 2: 1/62; 4: 1/62 (tie -> lower id first). Max = 2/61.
  ASSERT_EQ(Ids(hits), (std::vector<int64_t>{3, 1, 2, 4}));
  EXPECT_NEAR(hits[0].score, (1.0 / 63 + 1.0 / 61) / (2.0 / 61), 1e-12);
  EXPECT_NEAR(hits[1].score, (1.0 / 61) / (2.0 / 61), 1e-12);
  EXPECT_EQ(hits[0].vector_rank, 3);
  EXPECT_EQ(hits[0].lexical_rank, 1);
  EXPECT_DOUBLE_EQ(hits[0].lexical_score, 12.0);
  EXPECT_EQ(hits[3].vector_rank, 0);
  EXPECT_EQ(hits[3].lexical_rank, 2);
}

TEST(FusionTest, WeightedMinMaxFusionMatchesHandComputation) {
  std::vector<VectorHit> v = {{1, 0.9f}, {2, 0.5f}, {3, 0.1f}};
  std::vector<LexicalHit> l = {{3, 20.0}, {4, 10.0}, {1, 0.0}};
  auto hits = FuseWeighted(v, l, 0.5, ScoreNormalization::kMinMax);
  // normalised v: 1->1, 2->0.5, 3->0; l: 3->1, 4->0.5, 1->0. Missing = 0.
  // 1: 0.5, 2: 0.25, 3: 0.5, 4: 0.25
  ASSERT_EQ(Ids(hits), (std::vector<int64_t>{1, 3, 2, 4}));
  EXPECT_NEAR(hits[0].score, 0.5, 1e-6);
  EXPECT_NEAR(hits[2].score, 0.25, 1e-6);
  auto lexical_only = FuseWeighted(v, l, 0.0, ScoreNormalization::kMinMax);
  EXPECT_EQ(lexical_only[0].chunk_id, 3);
  auto z = FuseWeighted(v, l, 0.7, ScoreNormalization::kZScore);
  // z(v): mean 0.5, sd sqrt(0.32/3); z(l): mean 10, sd sqrt(200/3). Missing = the list's lowest z.
  const double zv = 0.4 / std::sqrt(0.32 / 3), zl = 10 / std::sqrt(200.0 / 3);
  auto logistic = [](double x) { return 1 / (1 + std::exp(-x)); };
  ASSERT_EQ(Ids(z), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_NEAR(z[0].score, logistic(0.7 * zv - 0.3 * zl), 1e-6);  // 1: top vector, last lexical
  EXPECT_NEAR(z[1].score, logistic(0.7 * 0 - 0.3 * zl), 1e-6);   // 2: no lexical hit
  EXPECT_NEAR(z[3].score, logistic(-0.7 * zv + 0), 1e-6);        // 4: no vector hit
  EXPECT_GT(z[0].score, z[3].score);
}

class HybridSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    embedder_ = NewHashingEmbedder(256);
    vectors_ = VectorIndex::Create(embedder_->id(), embedder_->dim()).value();
    rows_ = {
        {1, "guide", "Accounts", "Reset your password from the login page.", {"faq"}},
        {2, "guide", "Accounts", "Two-factor authentication adds a second login step.", {}},
        {3, "pricing", "Billing", "The premium plan costs ten dollars per month.", {"faq"}},
        {4, "pricing", "Billing", "Refunds are issued within fourteen days.", {}},
        {5, "misc", "Office", "Our office dog is called Biscuit.", {}},
    };
    std::vector<std::string> texts;
    std::vector<int64_t> ids;
    for (const LexicalRow& r : rows_) {
      texts.push_back(r.title + "\n" + r.text);
      ids.push_back(r.chunk_id);
    }
    auto vecs = embedder_->Embed(texts, EmbedPurpose::kDocument).value();
    ASSERT_TRUE(vectors_->Add(ids, vecs).ok());
    ASSERT_TRUE(db_->Write([&](Connection& c) { return lexical_.Add(c, "bot", rows_); }).ok());
  }

  std::vector<HybridHit> Search(const std::string& query, const HybridOptions& options) {
    std::vector<float> qv;
    if (options.type != SearchType::kLexical) {
      std::vector<std::string> q = {query};
      qv = embedder_->Embed(q, EmbedPurpose::kQuery).value();
    }
    std::vector<HybridHit> hits;
    Status s = db_->Read([&](Connection& c) -> Status {
      HybridSources sources{vectors_.get(), &lexical_, &c, "bot"};
      RAGD_ASSIGN_OR_RETURN(hits, HybridSearch(sources, query, qv, options));
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return hits;
  }

  testing::TempDatabase temp_{"ragd_hybrid_"};
  Database* db_ = &temp_.db();
  std::unique_ptr<Embedder> embedder_;
  std::unique_ptr<VectorIndex> vectors_;
  LexicalIndex lexical_;
  std::vector<LexicalRow> rows_;
};

TEST_F(HybridSearchTest, EachModeFindsTheRelevantChunk) {
  for (SearchType type : {SearchType::kSemantic, SearchType::kLexical, SearchType::kHybrid}) {
    for (FusionMethod fusion : {FusionMethod::kReciprocalRank, FusionMethod::kWeightedScore}) {
      HybridOptions options;
      options.type = type;
      options.fusion = fusion;
      options.max_results = 3;
      auto hits = Search("how do I reset my password", options);
      ASSERT_FALSE(hits.empty());
      EXPECT_EQ(hits[0].chunk_id, 1) << static_cast<int>(type);
      EXPECT_LE(hits.size(), 3u);
      if (type == SearchType::kHybrid) {
        EXPECT_EQ(hits[0].vector_rank, 1);
        EXPECT_EQ(hits[0].lexical_rank, 1);
        if (fusion == FusionMethod::kReciprocalRank) {
          EXPECT_NEAR(hits[0].score, 1.0, 1e-9);  // first in both lists
        }
      }
      if (type == SearchType::kLexical) {
        EXPECT_EQ(hits[0].vector_rank, 0);
      }
      if (type == SearchType::kSemantic) {
        EXPECT_EQ(hits[0].lexical_rank, 0);
      }
    }
  }
}

TEST_F(HybridSearchTest, FiltersApplyToBothSides) {
  HybridOptions options;
  options.filter.document_ids = {"pricing"};
  auto hits = Search("password refunds plan", options);
  ASSERT_FALSE(hits.empty());
  for (const HybridHit& h : hits) EXPECT_TRUE(h.chunk_id == 3 || h.chunk_id == 4) << h.chunk_id;
  options.filter = SearchFilter{.document_ids = {}, .tags = {"faq"}};
  options.type = SearchType::kSemantic;
  for (const HybridHit& h : Search("office dog", options)) {
    EXPECT_TRUE(h.chunk_id == 1 || h.chunk_id == 3) << h.chunk_id;
  }
}

TEST_F(HybridSearchTest, DefaultIsWeightedZScore) {
  HybridOptions options;
  EXPECT_EQ(options.fusion, FusionMethod::kWeightedScore);
  EXPECT_EQ(options.normalization, ScoreNormalization::kZScore);
  auto hits = Search("refunds within fourteen days", options);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].chunk_id, 4);
  EXPECT_GT(hits[0].score, 0.5);  // above the average candidate
  for (const HybridHit& h : hits) {
    EXPECT_GT(h.score, 0.0);  // in (0, 1), so a bot's min_score in [0, 1] means the same
    EXPECT_LT(h.score, 1.0);
  }
}

TEST_F(HybridSearchTest, MinScoreAndMaxResults) {
  HybridOptions options;
  options.max_results = 10;
  auto all = Search("login password", options);
  ASSERT_GE(all.size(), 3u);
  options.min_score = all[1].score;
  auto top = Search("login password", options);
  EXPECT_LE(top.size(), all.size() - 1);
  for (const HybridHit& h : top) EXPECT_GE(h.score, all[1].score);
  options = HybridOptions{};
  options.max_results = 1;
  EXPECT_EQ(Search("login password", options).size(), 1u);
}

TEST_F(HybridSearchTest, MissingPiecesAreHandled) {
  HybridOptions options;
  options.type = SearchType::kLexical;
  std::vector<HybridHit> hits;
  // No lexical index given for a lexical search: a clear error, not a crash.
  HybridSources none{vectors_.get(), nullptr, nullptr, "bot"};
  EXPECT_EQ(HybridSearch(none, "x", {}, options).status().code(), StatusCode::kInvalidArgument);
  // A bot without vectors still gets lexical results in hybrid mode.
  ASSERT_TRUE(db_->Read([&](Connection& c) -> Status {
                   HybridSources sources{nullptr, &lexical_, &c, "bot"};
                   HybridOptions hybrid;
                   RAGD_ASSIGN_OR_RETURN(hits, HybridSearch(sources, "refunds", {}, hybrid));
                   return OkStatus();
                 })
                  .ok());
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk_id, 4);
}

// A chat bot asks for a handful of results; its fusion still sees deep candidate lists (lexical
// 200, vector 100), so it ranks like the evaluation's deep lists rather than like 40-deep ones.
TEST(HybridDepthTest, SmallResultCountsStillFuseDeepLists) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("ragd_hybrid_depth_" + std::to_string(getpid()) + ".db");
  std::filesystem::remove(path);
  auto db = Database::Open(path.string(), {}).value();
  auto embedder = NewHashingEmbedder(128);
  auto vectors = VectorIndex::Create(embedder->id(), embedder->dim()).value();
  LexicalIndex lexical;
  const std::vector<std::string> words = {"river", "stone", "lamp",  "garden", "window", "cloud",
                                          "bread", "music", "paper", "winter", "horse",  "salt"};
  std::mt19937 rng(11);
  std::uniform_int_distribution<size_t> pick(0, words.size() - 1);
  std::vector<LexicalRow> rows;
  std::vector<std::string> texts;
  std::vector<int64_t> ids;
  for (int64_t id = 1; id <= 400; ++id) {
    std::string text;
    for (int w = 0; w < 8; ++w) text += words[pick(rng)] + " ";
    rows.push_back({id, "d", "", text, {}});
    texts.push_back(text);
    ids.push_back(id);
  }
  ASSERT_TRUE(vectors->Add(ids, embedder->Embed(texts, EmbedPurpose::kDocument).value()).ok());
  ASSERT_TRUE(db->Write([&](Connection& c) { return lexical.Add(c, "deep", rows); }).ok());
  int differs_from_shallow = 0;
  ASSERT_TRUE(db->Read([&](Connection& c) -> Status {
                  HybridSources sources{vectors.get(), &lexical, &c, "deep"};
                  for (const char* query : {"river stone", "lamp garden window", "cloud bread",
                                            "music paper winter", "horse salt river"}) {
                    std::vector<std::string> q = {query};
                    auto qv = embedder->Embed(q, EmbedPurpose::kQuery).value();
                    HybridOptions options;
                    options.max_results = 5;
                    RAGD_ASSIGN_OR_RETURN(auto hits, HybridSearch(sources, query, qv, options));
                    RAGD_ASSIGN_OR_RETURN(auto v100, vectors->Search(qv, 100));
                    RAGD_ASSIGN_OR_RETURN(auto l200, lexical.Search(c, "deep", query, 200));
                    RAGD_ASSIGN_OR_RETURN(auto v40, vectors->Search(qv, 40));
                    RAGD_ASSIGN_OR_RETURN(auto l40, lexical.Search(c, "deep", query, 40));
                    auto deep = FuseWeighted(v100, l200, options.vector_weight,
                                             ScoreNormalization::kZScore);
                    auto shallow =
                        FuseWeighted(v40, l40, options.vector_weight, ScoreNormalization::kZScore);
                    deep.resize(std::min<size_t>(deep.size(), 5));
                    shallow.resize(std::min<size_t>(shallow.size(), 5));
                    EXPECT_EQ(Ids(hits), Ids(deep)) << query;
                    if (Ids(hits) != Ids(shallow)) ++differs_from_shallow;
                  }
                  return OkStatus();
                }).ok());
  EXPECT_GT(differs_from_shallow, 0);  // the depth changes rankings a user sees
  db.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}

}  // namespace
}  // namespace ragd
