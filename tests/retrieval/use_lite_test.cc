// USE-lite against golden data computed with TF.js (../shared/models/use-lite-en), on the model
// that scripts/fetch_model.sh puts in models/use-lite-en.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "retrieval/use_lite_embedder.h"
#include "retrieval/use_lite_tokenizer.h"

namespace ragd {
namespace {

namespace fs = std::filesystem;

const fs::path kModelDir = fs::path(RAGD_SOURCE_DIR) / "models" / "use-lite-en";
const fs::path kReference =
    fs::path(RAGD_SHARED_DIR) / "models" / "use-lite-en" / "reference_embeddings.json";

double Dot(const float* a, const float* b, int n) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += double(a[i]) * b[i];
  return sum;
}

class UseLiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(kModelDir)) return;
    auto embedder = LoadUseLiteEmbedder(kModelDir);
    ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
    embedder_ = std::move(embedder).value();
    auto tokenizer = UseLiteTokenizer::Load(kModelDir / "vocab.json");
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
    tokenizer_ = std::make_unique<UseLiteTokenizer>(std::move(tokenizer).value());
    std::ifstream in(kReference);
    reference_ = std::make_unique<nlohmann::json>(nlohmann::json::parse(in));
  }
  static void TearDownTestSuite() {
    embedder_.reset();
    tokenizer_.reset();
    reference_.reset();
  }
  void SetUp() override {
    if (embedder_ == nullptr) {
      if (std::getenv("RAGD_REQUIRE_MODEL") != nullptr) {
        FAIL() << kModelDir << " is missing and RAGD_REQUIRE_MODEL is set; run scripts/setup.sh";
      }
      GTEST_SKIP() << kModelDir << " is missing; run scripts/setup.sh";
    }
  }

  std::vector<float> Embed(const std::vector<std::string>& texts) {
    auto out = embedder_->Embed(texts, EmbedPurpose::kDocument);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : std::vector<float>(texts.size() * 512);
  }

  static void ExpectUnitRows(const std::vector<float>& v) {
    ASSERT_EQ(v.size() % 512, 0u);
    for (size_t row = 0; row < v.size(); row += 512) {
      for (size_t i = row; i < row + 512; ++i) ASSERT_TRUE(std::isfinite(v[i])) << i;
      EXPECT_NEAR(Dot(&v[row], &v[row], 512), 1.0, 1e-5);
    }
  }

  // Owned by the suite: loading the model once keeps each test fast.
  static inline std::unique_ptr<Embedder> embedder_;
  static inline std::unique_ptr<UseLiteTokenizer> tokenizer_;
  static inline std::unique_ptr<nlohmann::json> reference_;
};

TEST_F(UseLiteTest, TokensMatchTfjsReference) {
  const auto& sentences = (*reference_)["sentences"];
  ASSERT_EQ(sentences.size(), 5u);
  for (size_t i = 0; i < sentences.size(); ++i) {
    const std::vector<int32_t> expected = (*reference_)["tokens"][i].get<std::vector<int32_t>>();
    EXPECT_EQ(tokenizer_->Encode(sentences[i].get<std::string>()), expected) << sentences[i];
  }
}

// Golden ids from the TF.js tokenizer itself (@tensorflow-models/universal-sentence-encoder
// 1.3.3, run in node on this vocab.json): its quirks (null scores in vocab.json, a duplicated
// piece, unknown symbols, spaces, astral and combining characters) must be reproduced exactly.
TEST_F(UseLiteTest, TokenizerMatchesTfjsOnTrickyInputs) {
  const std::vector<std::pair<std::string, std::vector<int32_t>>> cases = {
      {"  ", {30, 30, 30}},
      {"a", {11}},
      {"x:30 at 10:00 :) :-( ://", {649, 4177, 38, 320, 5920, 658, 604, 24, 234, 30, 255}},
      {"\u201d5 \u201d55", {30, 4464, 30, 236, 4524}},
      {"tab\there\nnewline", {5520, 0, 586, 53, 0, 2664, 721}},
      {"  leading and trailing  ", {30, 30, 2428, 12, 5578, 23, 30, 30}},
      {"na\u00efve caf\u00e9 r\u00e9sum\u00e9",
       {1216, 0, 105, 976, 209, 1133, 1067, 1133, 7, 400, 1133}},
      {"\u00dcn\u00efc\u00f6d\u00e9 \u1e9e \u00df",
       {30, 0, 85, 0, 131, 6781, 29, 1133, 30, 0, 30, 0}},
      {"1234567890 3.14159 -42", {575, 4706, 4123, 4446, 3407, 1766, 2363, 1681, 564, 116, 5392}},
      {"C++ & Rust vs. Go!!!", {177, 5491, 370, 293, 2240, 3181, 6, 584, 1300}},
      {"\u00a0nbsp\u00a0here", {30, 1107, 1436, 157, 280}},
      {"a\u0301 combining", {30, 4328, 1982, 2996, 23}},
      {"\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522 math",
       {4302, 6451, 4728}},
      {"\U0001f1eb\U0001f1f7 flags \U0001f44d\U0001f3fd", {30, 0, 3801, 7, 30, 0}},
      {"\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430?",
       {30, 0, 7976, 7955, 0, 7954, 7949, 8, 30, 0, 7950, 0, 30, 0, 7954, 0, 7950, 54}},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(tokenizer_->Encode(text), expected) << text;
}

TEST_F(UseLiteTest, EmbeddingsMatchTfjsReference) {
  const std::vector<std::string> sentences = (*reference_)["sentences"];
  const std::vector<float> got = Embed(sentences);
  ExpectUnitRows(got);
  double min_cosine = 1;
  for (size_t i = 0; i < sentences.size(); ++i) {
    const std::vector<float> expected = (*reference_)["embeddings"][i].get<std::vector<float>>();
    ASSERT_EQ(expected.size(), 512u);
    const double cosine = Dot(&got[i * 512], expected.data(), 512) /
                          std::sqrt(Dot(expected.data(), expected.data(), 512));
    EXPECT_GE(cosine, 0.999) << sentences[i];
    min_cosine = std::min(min_cosine, cosine);
  }
  RecordProperty("min_cosine_to_reference", std::to_string(min_cosine));
  // What a user sees: the paraphrases are close, unrelated sentences are not.
  const auto cos = [&](int a, int b) { return Dot(&got[a * 512], &got[b * 512], 512); };
  EXPECT_GT(cos(2, 3), 0.6);   // cat on the mat / kitten on the rug
  EXPECT_GT(cos(0, 1), 0.45);  // reset password / forgot login credentials
  EXPECT_LT(cos(0, 4), 0.2);
  EXPECT_LT(cos(2, 4), 0.2);
}

TEST_F(UseLiteTest, BatchEqualsOneByOne) {
  std::vector<std::string> texts = (*reference_)["sentences"];
  texts.push_back("");
  texts.push_back(std::string(3000, 'x') + " long");
  texts.push_back("Short.");
  const std::vector<float> batch = Embed(texts);
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::vector<float> single = Embed({texts[i]});
    for (int j = 0; j < 512; ++j) ASSERT_NEAR(batch[i * 512 + j], single[j], 2e-6) << i;
  }
}

TEST_F(UseLiteTest, BatchLargerThanOnePassIsSplitConsistently) {
  // About 1000 tokens and 300 texts (two thirds empty): several passes through the network in
  // one call, split both by token count and by number of texts.
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) {
    texts.push_back(i % 3 == 0 ? "Document number " + std::to_string(i) + " is here." : "");
  }
  const std::vector<float> batch = Embed(texts);
  ExpectUnitRows(batch);
  for (size_t i : {0u, 1u, 150u, 297u, 299u}) {
    const std::vector<float> single = Embed({texts[i]});
    for (int j = 0; j < 512; ++j) ASSERT_NEAR(batch[i * 512 + j], single[j], 2e-6) << i;
  }
}

TEST_F(UseLiteTest, EmptyStringGivesAFixedUnitVector) {
  EXPECT_TRUE(tokenizer_->Encode("").empty());
  const std::vector<float> v = Embed({"", "The cat sat on the mat.", ""});
  ExpectUnitRows(v);
  for (int j = 0; j < 512; ++j) ASSERT_EQ(v[j], v[1024 + j]);
  EXPECT_LT(Dot(&v[0], &v[512], 512), 0.9);
}

TEST_F(UseLiteTest, LongInputIsClippedTo128Tokens) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "The quick brown fox jumps over the lazy dog. ";
  ASSERT_GT(tokenizer_->Encode(text).size(), 128u);
  // Only the first 128 tokens count, so a different tail changes nothing (up to float rounding:
  // OpenBLAS kernels may treat rows of one batch differently, e.g. without AVX-512).
  const std::vector<float> v =
      Embed({text, text + "Quarterly revenue grew by ten percent.", "The quick brown fox."});
  ExpectUnitRows(v);
  for (int j = 0; j < 512; ++j) ASSERT_NEAR(v[j], v[512 + j], 2e-6) << j;
  EXPECT_GT(Dot(&v[0], &v[1024], 512), 0.5);
}

TEST_F(UseLiteTest, NonLatinAndInvalidUtf8DoNotBreakAnything) {
  const std::vector<std::string> texts = {"日本語のテキストです。",
                                          "Привет, как дела?",
                                          "مرحبا بالعالم",
                                          "😀😀 emoji 🎉",
                                          std::string("bad \xff\xfe utf-8 \xc3"),
                                          std::string("nul\0inside", 10),
                                          "\t\n  \r"};
  ExpectUnitRows(Embed(texts));
}

TEST_F(UseLiteTest, UnknownSymbolsBecomeOneUnknownToken) {
  const std::vector<int32_t> tokens = tokenizer_->Encode("😀😀😀");
  ASSERT_FALSE(tokens.empty());
  EXPECT_EQ(tokens.back(), 0);
  EXPECT_EQ(std::count(tokens.begin(), tokens.end(), 0), 1);
  // NFKC: the ligature and full-width forms tokenize like their plain letters.
  EXPECT_EQ(tokenizer_->Encode("ﬁne ＡＢＣ"), tokenizer_->Encode("fine ABC"));
}

TEST_F(UseLiteTest, ConcurrentCallersGetTheSameVectors) {
  const std::vector<std::string> texts = (*reference_)["sentences"];
  const std::vector<float> expected = Embed(texts);
  std::vector<std::vector<float>> got(4);
  std::vector<std::thread> threads;
  for (auto& out : got) {
    threads.emplace_back([&] { out = *embedder_->Embed(texts, EmbedPurpose::kQuery); });
  }
  for (auto& t : threads) t.join();
  for (const auto& out : got) EXPECT_EQ(out, expected);
}

TEST_F(UseLiteTest, IdAndDim) {
  EXPECT_EQ(embedder_->id(), "use-lite-en");
  EXPECT_EQ(embedder_->dim(), 512);
}

// Loading errors; these need no model for the NotFound case.
class UseLiteLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ragd_use_lite_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Links every model file into dir_ except `replaced`.
  bool LinkModelExcept(const std::string& replaced) {
    if (!fs::exists(kModelDir)) return false;
    for (const auto& entry : fs::directory_iterator(kModelDir)) {
      if (entry.path().filename() != replaced) {
        fs::create_symlink(entry.path(), dir_ / entry.path().filename());
      }
    }
    return true;
  }
  static std::string ReadAll(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }
  fs::path dir_;
};

TEST_F(UseLiteLoadTest, MissingModelIsNotFoundAndSaysHowToFix) {
  auto embedder = LoadUseLiteEmbedder(dir_);
  ASSERT_FALSE(embedder.ok());
  EXPECT_EQ(embedder.status().code(), StatusCode::kNotFound);
  EXPECT_NE(embedder.status().message().find("model.json"), std::string::npos);
  EXPECT_NE(embedder.status().message().find("run scripts/setup.sh"), std::string::npos);
}

TEST_F(UseLiteLoadTest, MissingShardIsNotFoundNamingIt) {
  if (!LinkModelExcept("group1-shard4of7")) GTEST_SKIP() << "model not fetched";
  auto embedder = LoadUseLiteEmbedder(dir_);
  ASSERT_FALSE(embedder.ok());
  EXPECT_EQ(embedder.status().code(), StatusCode::kNotFound);
  EXPECT_NE(embedder.status().message().find("group1-shard4of7"), std::string::npos);
}

TEST_F(UseLiteLoadTest, TruncatedShardIsDataLoss) {
  if (!LinkModelExcept("group1-shard7of7")) GTEST_SKIP() << "model not fetched";
  const std::string bytes = ReadAll(kModelDir / "group1-shard7of7");
  std::ofstream(dir_ / "group1-shard7of7", std::ios::binary).write(bytes.data(), 1000000);
  auto embedder = LoadUseLiteEmbedder(dir_);
  ASSERT_FALSE(embedder.ok());
  EXPECT_EQ(embedder.status().code(), StatusCode::kDataLoss) << embedder.status().ToString();
  EXPECT_NE(embedder.status().message().find("truncated"), std::string::npos);
}

TEST_F(UseLiteLoadTest, CorruptFilesAreDataLoss) {
  if (!LinkModelExcept("model.json")) GTEST_SKIP() << "model not fetched";
  std::ofstream(dir_ / "model.json") << "{\"modelTopology\": ";
  auto embedder = LoadUseLiteEmbedder(dir_);
  ASSERT_FALSE(embedder.ok());
  EXPECT_EQ(embedder.status().code(), StatusCode::kDataLoss);

  // Same size, one flipped byte in the middle of a shard.
  fs::remove(dir_ / "model.json");
  fs::create_symlink(kModelDir / "model.json", dir_ / "model.json");
  fs::remove(dir_ / "group1-shard1of7");
  std::string bytes = ReadAll(kModelDir / "group1-shard1of7");
  bytes[bytes.size() / 2] ^= 0x40;
  std::ofstream(dir_ / "group1-shard1of7", std::ios::binary) << bytes;
  embedder = LoadUseLiteEmbedder(dir_);
  ASSERT_FALSE(embedder.ok());
  EXPECT_EQ(embedder.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(embedder.status().message().find("SHA-256"), std::string::npos);
}

}  // namespace
}  // namespace ragd
