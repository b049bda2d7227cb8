// Remote embedders against loopback fakes over the real libcurl transport: a Bedrock runtime fake
// that verifies every SigV4 signature with our own verifier, and an OpenAI-compatible server.
#include "retrieval/remote/remote_embedder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aws/sigv4_verify_headers.h"
#include "core/log.h"
#include "tests/core/http_test_servers.h"

namespace ragd {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

const std::chrono::system_clock::time_point kEpoch =
    std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + std::chrono::hours(9);

// A deterministic, non-unit vector per text, so a wrong row order or a missing normalisation shows.
std::vector<float> FakeVector(const std::string& text, int dim) {
  uint64_t h = std::hash<std::string>{}(text);
  std::vector<float> v(static_cast<size_t>(dim));
  for (float& x : v) {
    h = h * 6364136223846793005ULL + 1442695040888963407ULL;
    x = float((h >> 33) % 2001) / 1000.0f - 1.0f;
  }
  v[0] += 3.0f;
  return v;
}

// Row i of `got` is the unit-length FakeVector(texts[i]).
void ExpectRows(const std::vector<float>& got, const std::vector<std::string>& texts, int dim) {
  ASSERT_EQ(got.size(), texts.size() * size_t(dim));
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<float> want = FakeVector(texts[i], dim);
    NormalizeRows(want, dim);
    double norm = 0;
    for (int j = 0; j < dim; ++j) {
      ASSERT_NEAR(got[i * dim + j], want[j], 1e-5) << "row " << i << " value " << j;
      norm += double(got[i * dim + j]) * got[i * dim + j];
    }
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
}

json VectorJson(const std::string& text, int dim) { return FakeVector(text, dim); }

struct Injected {
  int status;
  std::string error_type;  // x-amzn-ErrorType
  std::string body;
  std::string retry_after;
};

struct SleepRecorder {
  std::mutex mu;
  std::vector<milliseconds> delays;
  SleepFunction Fn() {
    return [this](milliseconds d) {
      std::lock_guard<std::mutex> lock(mu);
      delays.push_back(d);
    };
  }
};

// Common to both fakes: failures to inject, requests seen, concurrency seen.
class FakeBase {
 public:
  void Inject(Injected failure) {
    std::lock_guard<std::mutex> lock(mu_);
    injected_.push_back(std::move(failure));
  }
  std::vector<json> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

 protected:
  // Records the body; answers an injected failure if one is queued (returns true).
  bool Begin(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    bodies_.push_back(json::parse(req.body, nullptr, false));
    if (injected_.empty()) return false;
    const Injected f = injected_.front();
    injected_.pop_front();
    res.status = f.status;
    if (!f.error_type.empty()) res.set_header("x-amzn-ErrorType", f.error_type + ":http://x/");
    if (!f.retry_after.empty()) res.set_header("Retry-After", f.retry_after);
    res.set_content(f.body, "application/json");
    return true;
  }

  LoopbackHttpServer server_;
  std::mutex mu_;
  std::deque<Injected> injected_;
  std::vector<json> bodies_;
};

const AwsCredentials kCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                  "session-token-1"};

class FakeBedrock : public FakeBase {
 public:
  explicit FakeBedrock(Clock& clock) : clock_(clock) {
    server_.server().Post(
        R"(/model/(.+)/invoke)",
        [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    server_.Start();
  }

  std::vector<std::string> targets() {
    std::lock_guard<std::mutex> lock(mu_);
    return targets_;
  }
  void set_hold(bool hold) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = hold;
  }
  int peak_in_flight() {
    std::lock_guard<std::mutex> lock(mu_);
    return peak_;
  }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    SignableRequest incoming;
    incoming.method = req.method;
    incoming.path = req.target;
    for (const auto& [name, value] : req.headers) incoming.headers.emplace_back(name, value);
    incoming.body = req.body;
    HeaderVerifyOptions verify;
    verify.region = "eu-west-1";
    verify.service = "bedrock";
    verify.uri_encode_path = true;
    verify.normalize_path = true;
    verify.require_content_sha256 = false;
    const Status signature = VerifyHeaderSignedRequest(
        incoming, verify,
        [](std::string_view akid) -> StatusOr<AwsCredentials> {
          if (akid != kCredentials.access_key_id) return NotFoundError("unknown key");
          return kCredentials;
        },
        clock_.Now());
    {
      std::lock_guard<std::mutex> lock(mu_);
      targets_.push_back(req.target);
    }
    if (!signature.ok()) {
      res.status = 403;
      res.set_header("x-amzn-ErrorType", "InvalidSignatureException:http://x/");
      res.set_content(json{{"message", signature.ToString()}}.dump(), "application/json");
      return;
    }
    if (Begin(req, res)) return;
    // Optionally hold the request until a second one arrives (or 500 ms pass) to observe fan-out:
    // a sequential client never gets there.
    {
      std::unique_lock<std::mutex> lock(mu_);
      peak_ = std::max(peak_, ++in_flight_);
      cv_.notify_all();
      if (hold_) cv_.wait_for(lock, milliseconds(500), [this] { return peak_ >= 2; });
      --in_flight_;
    }
    const json body = json::parse(req.body);
    if (req.path.find("titan") != std::string::npos) {
      const std::string text = body["inputText"].get<std::string>();
      res.set_content(
          json{{"embedding", VectorJson(text, body["dimensions"])}, {"inputTextTokenCount", 3}}
              .dump(),
          "application/json");
      return;
    }
    json embeddings = json::array();
    for (const json& text : body["texts"]) {
      embeddings.push_back(VectorJson(text.get<std::string>(), 1024));
    }
    res.set_content(json{{"embeddings", embeddings},
                         {"id", "x"},
                         {"response_type", "embeddings_floats"},
                         {"texts", body["texts"]}}
                        .dump(),
                    "application/json");
  }

  Clock& clock_;
  std::condition_variable cv_;
  std::vector<std::string> targets_;  // guarded by mu_
  int in_flight_ = 0;                 // guarded by mu_
  int peak_ = 0;                      // guarded by mu_
  bool hold_ = false;                 // guarded by mu_
};

class BedrockEmbedderTest : public ::testing::Test {
 protected:
  std::unique_ptr<Embedder> Make(std::string model, int dimensions = 1024) {
    BedrockEmbedderOptions options;
    options.model_id = std::move(model);
    options.region = "eu-west-1";
    options.endpoint = fake_.Url();
    options.dimensions = dimensions;
    options.retry.base_delay = milliseconds(100);
    options.retry.max_delay = milliseconds(1000);
    options.retry.sleep = sleeps_.Fn();
    auto embedder = NewBedrockEmbedder(options, *http_, clock_, credentials_);
    EXPECT_TRUE(embedder.ok()) << embedder.status().ToString();
    return embedder.ok() ? std::move(*embedder) : nullptr;
  }

  // The fake outlives the transport: the transport's idle keep-alive connections must close
  // before the server stops, or its workers wait for them to time out.
  FakeClock clock_{kEpoch};
  FakeBedrock fake_{clock_};
  std::unique_ptr<HttpTransport> http_ = NewCurlTransport();
  StaticAwsCredentialsProvider credentials_{kCredentials};
  SleepRecorder sleeps_;
};

TEST_F(BedrockEmbedderTest, TitanSignedRequestsOneTextEachInParallel) {
  fake_.set_hold(true);
  auto embedder = Make(kTitanEmbedV2, 256);
  EXPECT_EQ(embedder->id(), "bedrock:amazon.titan-embed-text-v2:0:256");
  EXPECT_EQ(embedder->dim(), 256);
  const std::vector<std::string> texts = {"alpha", "beta", "gamma", "delta", "épsilon"};
  auto got = embedder->Embed(texts, EmbedPurpose::kDocument);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectRows(*got, texts, 256);

  std::vector<json> bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), texts.size());
  for (const std::string& text : texts) {
    const json want = {{"inputText", text}, {"dimensions", 256}, {"normalize", true}};
    EXPECT_NE(std::find(bodies.begin(), bodies.end(), want), bodies.end()) << text;
  }
  // The model id's ':' travels percent-encoded, and the fake accepted every signature.
  for (const std::string& target : fake_.targets()) {
    EXPECT_EQ(target, "/model/amazon.titan-embed-text-v2%3A0/invoke");
  }
  EXPECT_GE(fake_.peak_in_flight(), 2);
  EXPECT_LE(fake_.peak_in_flight(), 4);
}

TEST_F(BedrockEmbedderTest, CohereSplitsAt96AndNormalises) {
  auto embedder = Make(kCohereEmbedEnglishV3);
  EXPECT_EQ(embedder->id(), "bedrock:cohere.embed-english-v3");
  EXPECT_EQ(embedder->dim(), 1024);
  EXPECT_EQ(embedder->max_batch(), 96);
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) texts.push_back("passage " + std::to_string(i));
  auto got = embedder->Embed(texts, EmbedPurpose::kDocument);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectRows(*got, texts, 1024);

  std::vector<json> bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  std::vector<size_t> sizes;
  for (const json& body : bodies) {
    sizes.push_back(body["texts"].size());
    EXPECT_EQ(body["input_type"], "search_document");
    EXPECT_EQ(body["truncate"], "END");
    EXPECT_EQ(body.size(), 3u) << body.dump();
  }
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{8, 96, 96}));
}

TEST_F(BedrockEmbedderTest, CohereQueryPurposeAndLongTextCutAtCharacterBoundary) {
  auto embedder = Make(kCohereEmbedMultilingualV3);
  // 2,047 ASCII characters, then a 2-byte character as the 2,048th: a byte-based cut would split
  // it.
  const std::string long_text = std::string(2047, 'a') + "\xC3\xA9\xC3\xA9tail";
  auto got = embedder->Embed(std::vector<std::string>{long_text}, EmbedPurpose::kQuery);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const json body = fake_.bodies().at(0);
  EXPECT_EQ(body["input_type"], "search_query");
  const std::string sent = body["texts"][0];
  EXPECT_EQ(sent, long_text.substr(0, 2049));
}

TEST_F(BedrockEmbedderTest, ThrottlingAndServerErrorsAreRetriedWithBackoff) {
  auto embedder = Make(kTitanEmbedV2);
  fake_.Inject({429, "ThrottlingException", R"({"message":"Too many requests"})", ""});
  fake_.Inject({500, "InternalServerException", R"({"message":"oops"})", ""});
  auto got = embedder->Embed(std::vector<std::string>{"x"}, EmbedPurpose::kDocument);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectRows(*got, {"x"}, 1024);
  EXPECT_EQ(fake_.bodies().size(), 3u);
  ASSERT_EQ(sleeps_.delays.size(), 2u);
  EXPECT_GE(sleeps_.delays[0], milliseconds(50));  // equal jitter: [step/2, step]
  EXPECT_LE(sleeps_.delays[0], milliseconds(100));
  EXPECT_GE(sleeps_.delays[1], milliseconds(100));
  EXPECT_LE(sleeps_.delays[1], milliseconds(200));
}

TEST_F(BedrockEmbedderTest, ExhaustedThrottlingIsResourceExhausted) {
  auto embedder = Make(kTitanEmbedV2);
  for (int i = 0; i < 4; ++i) {
    fake_.Inject({429, "ThrottlingException", R"({"message":"Too many requests"})", ""});
  }
  auto got = embedder->Embed(std::vector<std::string>{"x"}, EmbedPurpose::kDocument);
  EXPECT_EQ(got.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(got.status().message().find("Bedrock throttled the embedding request; retry later"),
            std::string::npos);
  EXPECT_EQ(fake_.bodies().size(), 4u);
  EXPECT_EQ(sleeps_.delays.size(), 3u);
  EXPECT_LE(sleeps_.delays[2], milliseconds(400));
}

TEST_F(BedrockEmbedderTest, ClientErrorsAreNotRetried) {
  auto embedder = Make(kTitanEmbedV2);
  fake_.Inject({400, "ValidationException",
                R"({"message":"Malformed input request: expected minLength: 1"})", ""});
  auto got = embedder->Embed(std::vector<std::string>{""}, EmbedPurpose::kDocument);
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find("ValidationException: Malformed input request"),
            std::string::npos)
      << got.status().ToString();

  fake_.Inject({403, "AccessDeniedException", R"({"Message":"no model access"})", ""});
  got = embedder->Embed(std::vector<std::string>{"y"}, EmbedPurpose::kDocument);
  EXPECT_EQ(got.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(got.status().message().find("no model access"), std::string::npos);
  EXPECT_EQ(fake_.bodies().size(), 2u);
  EXPECT_TRUE(sleeps_.delays.empty());
}

TEST_F(BedrockEmbedderTest, WrongSecretFailsTheFakesSignatureCheck) {
  BedrockEmbedderOptions options;
  options.region = "eu-west-1";
  options.endpoint = fake_.Url();
  StaticAwsCredentialsProvider wrong({kCredentials.access_key_id, "not-the-secret", ""});
  auto embedder = NewBedrockEmbedder(options, *http_, clock_, wrong);
  ASSERT_TRUE(embedder.ok());
  auto got = (*embedder)->Embed(std::vector<std::string>{"x"}, EmbedPurpose::kDocument);
  EXPECT_EQ(got.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(got.status().message().find("not-the-secret"), std::string::npos);
}

TEST_F(BedrockEmbedderTest, ConnectionRefusedIsRetriedThenUnavailable) {
  BedrockEmbedderOptions options;
  options.region = "eu-west-1";
  options.endpoint = "http://127.0.0.1:" + std::to_string(UnusedLoopbackPort());
  options.retry.sleep = sleeps_.Fn();
  auto embedder = NewBedrockEmbedder(options, *http_, clock_, credentials_);
  ASSERT_TRUE(embedder.ok());
  auto got = (*embedder)->Embed(std::vector<std::string>{"x"}, EmbedPurpose::kDocument);
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable) << got.status().ToString();
  EXPECT_EQ(sleeps_.delays.size(), 3u);
}

TEST_F(BedrockEmbedderTest, FactoryRejectsBadOptions) {
  BedrockEmbedderOptions options;
  options.dimensions = 300;
  EXPECT_EQ(NewBedrockEmbedder(options, *http_, clock_, credentials_).status().code(),
            StatusCode::kInvalidArgument);
  options.dimensions = 512;
  options.model_id = "amazon.titan-embed-text-v1";
  EXPECT_EQ(NewBedrockEmbedder(options, *http_, clock_, credentials_).status().code(),
            StatusCode::kInvalidArgument);
  options.model_id = kTitanEmbedV2;
  options.region = "EU WEST";
  EXPECT_EQ(NewBedrockEmbedder(options, *http_, clock_, credentials_).status().code(),
            StatusCode::kInvalidArgument);
}

// --- OpenAI-compatible ---------------------------------------------------------------------

class FakeOpenAi : public FakeBase {
 public:
  explicit FakeOpenAi(std::string path = "/v1/embeddings") {
    server_.server().Post(path, [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        authorizations_.push_back(req.get_header_value("Authorization"));
      }
      if (Begin(req, res)) return;
      const json body = json::parse(req.body);
      json data = json::array();
      // Reversed: the client must go by "index", not by position.
      for (size_t i = body["input"].size(); i-- > 0;) {
        data.push_back(
            {{"object", "embedding"},
             {"index", i},
             {"embedding", VectorJson(body["input"][i].get<std::string>(), dim_.load())}});
      }
      res.set_content(json{{"object", "list"}, {"data", data}, {"model", body["model"]}}.dump(),
                      "application/json");
    });
    server_.Start();
  }
  void set_dim(int dim) { dim_ = dim; }
  std::vector<std::string> authorizations() {
    std::lock_guard<std::mutex> lock(mu_);
    return authorizations_;
  }

 private:
  std::atomic<int> dim_{8};
  std::vector<std::string> authorizations_;  // guarded by mu_
};

class OpenAiEmbedderTest : public ::testing::Test {
 protected:
  OpenAiEmbedderOptions Options() {
    OpenAiEmbedderOptions options;
    options.base_url = fake_.Url();
    options.model = "nomic-embed-text";
    options.batch_size = 2;
    options.retry.base_delay = milliseconds(100);
    options.retry.max_delay = milliseconds(1500);
    options.retry.sleep = sleeps_.Fn();
    return options;
  }
  std::unique_ptr<Embedder> Make(const OpenAiEmbedderOptions& options) {
    auto embedder = NewOpenAiEmbedder(options, *http_, clock_);
    EXPECT_TRUE(embedder.ok()) << embedder.status().ToString();
    return embedder.ok() ? std::move(*embedder) : nullptr;
  }

  FakeClock clock_{kEpoch};
  FakeOpenAi fake_;  // declared before the transport, see BedrockEmbedderTest
  std::unique_ptr<HttpTransport> http_ = NewCurlTransport();
  SleepRecorder sleeps_;
};

TEST_F(OpenAiEmbedderTest, BatchesReorderedRowsAndLearnsDimension) {
  auto embedder = Make(Options());
  EXPECT_EQ(embedder->id(), "openai:nomic-embed-text");
  EXPECT_EQ(embedder->dim(), 0);
  const std::vector<std::string> texts = {"a", "b", "c", "d", "e"};
  auto got = embedder->Embed(texts, EmbedPurpose::kQuery);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(embedder->dim(), 8);
  ExpectRows(*got, texts, 8);
  const std::vector<json> want = {{{"model", "nomic-embed-text"}, {"input", {"a", "b"}}},
                                  {{"model", "nomic-embed-text"}, {"input", {"c", "d"}}},
                                  {{"model", "nomic-embed-text"}, {"input", {"e"}}}};
  EXPECT_EQ(fake_.bodies(), want);
  EXPECT_EQ(fake_.authorizations(), std::vector<std::string>(3, ""));
}

TEST_F(OpenAiEmbedderTest, BearerKeyAndBaseUrlEndingInV1) {
  OpenAiEmbedderOptions options = Options();
  options.base_url = fake_.Url() + "/v1/";
  options.api_key = "sk-test-123";
  auto got = Make(options)->Embed(std::vector<std::string>{"a"}, EmbedPurpose::kDocument);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(fake_.authorizations(), std::vector<std::string>{"Bearer sk-test-123"});
}

TEST_F(OpenAiEmbedderTest, DimensionMismatchIsFailedPrecondition) {
  OpenAiEmbedderOptions options = Options();
  options.dim = 16;
  auto configured = Make(options);
  EXPECT_EQ(configured->dim(), 16);
  EXPECT_EQ(
      configured->Embed(std::vector<std::string>{"a"}, EmbedPurpose::kDocument).status().code(),
      StatusCode::kFailedPrecondition);

  auto learned = Make(Options());
  ASSERT_TRUE(learned->Embed(std::vector<std::string>{"a"}, EmbedPurpose::kDocument).ok());
  fake_.set_dim(12);  // someone swapped the model behind the URL
  auto got = learned->Embed(std::vector<std::string>{"b"}, EmbedPurpose::kDocument);
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(got.status().message().find("12-dimensional"), std::string::npos);
  EXPECT_EQ(learned->dim(), 8);
}

TEST_F(OpenAiEmbedderTest, RetriesHonourRetryAfterAndKeepSecretsOut) {
  std::vector<std::string> lines;
  std::mutex lines_mu;
  SetLogSink([&](std::string_view line) {
    std::lock_guard<std::mutex> lock(lines_mu);
    lines.emplace_back(line);
  });
  OpenAiEmbedderOptions options = Options();
  options.api_key = "sk-secret-456";
  auto embedder = Make(options);
  fake_.Inject({503, "", R"({"error":"model is loading"})", ""});
  fake_.Inject({429, "", R"({"error":{"message":"slow down"}})", "1"});
  auto got = embedder->Embed(std::vector<std::string>{"a"}, EmbedPurpose::kDocument);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(sleeps_.delays.size(), 2u);
  EXPECT_LE(sleeps_.delays[0], milliseconds(100));
  EXPECT_EQ(sleeps_.delays[1], milliseconds(1000));  // Retry-After: 1

  for (int i = 0; i < 4; ++i) fake_.Inject({500, "", R"({"error":"boom"})", ""});
  got = embedder->Embed(std::vector<std::string>{"a"}, EmbedPurpose::kDocument);
  SetLogSink(nullptr);
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(got.status().message().find("boom"), std::string::npos);
  EXPECT_EQ(got.status().message().find("sk-secret-456"), std::string::npos);
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) EXPECT_EQ(line.find("sk-secret-456"), std::string::npos);
}

TEST_F(OpenAiEmbedderTest, ClientErrorsAndMalformedResponses) {
  auto embedder = Make(Options());
  fake_.Inject(
      {404, "", R"({"error":"model \"nomic-embed-text\" not found, try pulling it"})", ""});
  auto got = embedder->Embed(std::vector<std::string>{"a"}, EmbedPurpose::kDocument);
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
  EXPECT_NE(got.status().message().find("try pulling it"), std::string::npos);

  const json duplicate = {
      {"data",
       {{{"index", 0}, {"embedding", {1.0, 0.0}}}, {{"index", 0}, {"embedding", {0.0, 1.0}}}}}};
  fake_.Inject({200, "", duplicate.dump(), ""});
  got = embedder->Embed(std::vector<std::string>{"a", "b"}, EmbedPurpose::kDocument);
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(embedder->dim(), 0);  // a rejected response does not fix the dimension
  fake_.Inject({200, "", R"({"data":[{"index":0,"embedding":[]}]})", ""});
  got = embedder->Embed(std::vector<std::string>{"a"}, EmbedPurpose::kDocument);
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
  fake_.Inject({200, "", "<html>proxy error</html>", ""});
  got = embedder->Embed(std::vector<std::string>{"a"}, EmbedPurpose::kDocument);
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(sleeps_.delays.empty());
}

}  // namespace
}  // namespace ragd
