#include "retrieval/hashing_embedder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "retrieval/local_embedder.h"

namespace ragd {
namespace {

double Cosine(const std::vector<float>& v, int dim, int a, int b) {
  double sum = 0;
  for (int i = 0; i < dim; ++i) sum += double(v[a * dim + i]) * v[b * dim + i];
  return sum;
}

std::vector<float> EmbedAll(Embedder& e, const std::vector<std::string>& texts) {
  auto out = e.Embed(texts, EmbedPurpose::kDocument);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : std::vector<float>();
}

TEST(HashingEmbedderTest, IdDimAndUnitRows) {
  auto e = NewHashingEmbedder();
  EXPECT_EQ(e->id(), "hashing-512");
  EXPECT_EQ(e->dim(), 512);
  EXPECT_EQ(NewHashingEmbedder(64)->id(), "hashing-64");
  const std::vector<float> v =
      EmbedAll(*e, {"Hello world", "", "???", "日本語のテキスト", "x", std::string("\xff\xfe")});
  ASSERT_EQ(v.size(), 6u * 512);
  for (int row = 0; row < 6; ++row) {
    for (int i = 0; i < 512; ++i) ASSERT_TRUE(std::isfinite(v[row * 512 + i]));
    EXPECT_NEAR(Cosine(v, 512, row, row), 1.0, 1e-5) << row;
  }
}

TEST(HashingEmbedderTest, DeterministicAcrossInstancesAndBatching) {
  const std::vector<std::string> texts = {"Refunds go to the original payment method.",
                                          "The warranty covers manufacturing defects."};
  const std::vector<float> a = EmbedAll(*NewHashingEmbedder(), texts);
  const std::vector<float> b = EmbedAll(*NewHashingEmbedder(), {texts[1]});
  EXPECT_EQ(a, EmbedAll(*NewHashingEmbedder(), texts));
  EXPECT_EQ(std::vector<float>(a.begin() + 512, a.end()), b);
  // Case, punctuation and spacing are not features; a tiny dim still gives a non-trivial vector.
  const std::vector<float> tiny = EmbedAll(*NewHashingEmbedder(8), {"reset password"});
  float sum_abs = 0;
  for (float x : tiny) sum_abs += std::fabs(x);
  EXPECT_GT(sum_abs, 0.5f);
  EXPECT_EQ(tiny, EmbedAll(*NewHashingEmbedder(8), {"Reset  PASSWORD!"}));
}

TEST(HashingEmbedderTest, ParaphrasesScoreAboveUnrelatedPairs) {
  auto e = NewHashingEmbedder();
  const std::vector<std::string> texts = {
      "How do I reset my password?",                      // 0
      "Steps to reset a forgotten password",              // 1
      "The cat sat on the mat.",                          // 2
      "A cat was sitting on the mat",                     // 3
      "Quarterly revenue grew by ten percent.",           // 4
      "Revenue growth this quarter was ten percent",      // 5
      "What is the warranty period for the dishwasher?",  // 6
  };
  const std::vector<float> v = EmbedAll(*e, texts);
  const double reset = Cosine(v, 512, 0, 1), cat = Cosine(v, 512, 2, 3),
               revenue = Cosine(v, 512, 4, 5);
  for (auto [a, b] : {std::pair{0, 2}, {0, 4}, {1, 5}, {2, 4}, {3, 6}, {0, 6}, {4, 6}}) {
    const double unrelated = Cosine(v, 512, a, b);
    EXPECT_LT(unrelated, 0.15) << a << " vs " << b;
    EXPECT_GT(reset, unrelated + 0.2);
    EXPECT_GT(cat, unrelated + 0.2);
    EXPECT_GT(revenue, unrelated + 0.2);
  }
}

TEST(HashingEmbedderTest, CaseWidthAndLigaturesDoNotMatter) {
  auto e = NewHashingEmbedder();
  const std::vector<float> v = EmbedAll(*e, {"Fine PASSWORD reset", "ﬁne ｐａｓｓｗｏｒｄ RESET"});
  EXPECT_NEAR(Cosine(v, 512, 0, 1), 1.0, 1e-6);
}

TEST(HashingEmbedderTest, InflectionsStillOverlap) {
  auto e = NewHashingEmbedder();
  const std::vector<float> v = EmbedAll(*e, {"resetting passwords", "reset password", "banana"});
  EXPECT_GT(Cosine(v, 512, 0, 1), 0.25);
  EXPECT_LT(std::fabs(Cosine(v, 512, 0, 2)), 0.1);
}

TEST(HashingEmbedderTest, ConcurrentCallsAgree) {
  auto e = NewHashingEmbedder();
  const std::vector<std::string> texts(50, "Servicing is recommended every twelve months.");
  const std::vector<float> expected = EmbedAll(*e, texts);
  std::vector<std::vector<float>> got(4);
  std::vector<std::thread> threads;
  for (auto& out : got) threads.emplace_back([&] { out = *e->Embed(texts, EmbedPurpose::kQuery); });
  for (auto& t : threads) t.join();
  for (const auto& out : got) EXPECT_EQ(out, expected);
}

TEST(LocalEmbedderTest, FallsBackToHashingWithAWarningWhenModelIsAbsent) {
  std::vector<std::string> lines;
  SetLogSink([&](std::string_view line) { lines.emplace_back(line); });
  auto e = LoadDefaultLocalEmbedder(std::filesystem::temp_directory_path() / "ragd-no-model-here");
  SetLogSink(nullptr);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->id(), "hashing-512");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"warn\""), std::string::npos);
  EXPECT_NE(lines[0].find("scripts/setup.sh"), std::string::npos);
}

TEST(LocalEmbedderTest, UsesUseLiteWhenModelIsPresent) {
  const std::filesystem::path dir = std::filesystem::path(RAGD_SOURCE_DIR) / "models/use-lite-en";
  if (!std::filesystem::exists(dir)) {
    if (std::getenv("RAGD_REQUIRE_MODEL") != nullptr) FAIL() << dir << " missing";
    GTEST_SKIP() << dir << " is missing; run scripts/setup.sh";
  }
  auto e = LoadDefaultLocalEmbedder(dir);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->id(), "use-lite-en");
}

}  // namespace
}  // namespace ragd
