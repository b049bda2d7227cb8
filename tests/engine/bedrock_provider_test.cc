// The Bedrock provider against tests/js/bedrock_mock.js over real loopback HTTP: Converse and
// ConverseStream wire format, SigV4 checked by the AWS SDK signer, errors before and inside the
// event stream, retries, cancellation and the circuit breaker.
// Needs node on PATH and `npm ci --prefix tests/js`; missing either fails, never skips.
#include "engine/providers/bedrock_provider.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "aws/credentials.h"
#include "aws/event_stream.h"
#include "core/clock.h"
#include "engine/providers/bedrock_wire.h"
#include "tests/engine/llm_mock_server_util.h"

namespace ragd {
namespace {

using nlohmann::json;
using testing::DeltaRecorder;
using testing::LlmMockServer;
using testing::ResilienceRecorder;
using testing::SimpleLlmRequest;

const AwsCredentials kMockCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                      ""};
constexpr char kModel[] = "amazon.nova-micro-v1:0";
constexpr char kProfile[] = "us.anthropic.claude-3-5-haiku-20241022-v1:0";

class BedrockProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = LlmMockServer::Start("bedrock_mock.js", &start_error_);
    transport_ = NewCurlTransport();
  }
  static void TearDownTestSuite() {
    transport_.reset();
    server_.reset();
  }
  void SetUp() override {
    ASSERT_TRUE(server_ != nullptr) << start_error_;
    server_->Reset();
    server_->Configure({{"access_key_id", kMockCredentials.access_key_id},
                        {"secret_access_key", kMockCredentials.secret_access_key},
                        {"region", "us-east-1"}});
  }

  BedrockOptions Options() {
    BedrockOptions options;
    options.region = "us-east-1";
    options.endpoint = server_->base_url();
    options.credentials = &credentials_;
    options.transport = transport_.get();
    options.resilience = recorder_.Options();
    return options;
  }
  std::unique_ptr<LlmProvider> Provider(const BedrockOptions& options) {
    StatusOr<std::unique_ptr<LlmProvider>> provider = NewBedrockProvider(options);
    EXPECT_TRUE(provider.ok()) << provider.status().ToString();
    return provider.ok() ? std::move(*provider) : nullptr;
  }
  std::unique_ptr<LlmProvider> Provider() { return Provider(Options()); }

  static std::unique_ptr<LlmMockServer> server_;
  static std::unique_ptr<HttpTransport> transport_;
  static std::string start_error_;
  StaticAwsCredentialsProvider credentials_{kMockCredentials};
  ResilienceRecorder recorder_;
};

std::unique_ptr<LlmMockServer> BedrockProviderTest::server_;
std::unique_ptr<HttpTransport> BedrockProviderTest::transport_;
std::string BedrockProviderTest::start_error_;

TEST_F(BedrockProviderTest, ConverseStreamAssemblesTextUsageAndStopReason) {
  server_->Script(json::array({{{"tokens", {"The ", "answer ", "is ", "42 [1]."}},
                                {"stop_reason", "end_turn"},
                                {"usage", {{"inputTokens", 120}, {"outputTokens", 9}}}}}));
  DeltaRecorder deltas;
  StatusOr<LlmResult> result =
      Provider()->Generate(SimpleLlmRequest(kModel, "What is the answer?"), deltas.Sink());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(deltas.deltas(), (std::vector<std::string>{"The ", "answer ", "is ", "42 [1]."}));
  EXPECT_EQ(result->text, "The answer is 42 [1].");
  EXPECT_EQ(result->stop_reason, "end_turn");
  EXPECT_EQ(result->usage.input_tokens, 120);
  EXPECT_EQ(result->usage.output_tokens, 9);

  const json log = server_->Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["operation"], "converse-stream");
  EXPECT_EQ(log[0]["auth"], "ok");
  EXPECT_EQ(log[0]["model_id"], kModel);
  EXPECT_EQ(log[0]["raw_path"], "/model/amazon.nova-micro-v1%3A0/converse-stream");
  const json expected_body = {
      {"messages", {{{"role", "user"}, {"content", {{{"text", "What is the answer?"}}}}}}},
      {"system", {{{"text", "Answer from the numbered sources only."}}}},
      {"inferenceConfig",
       {{"maxTokens", 256},
        {"temperature", 0.1},
        {"topP", 0.8},
        {"stopSequences", {"\n\nHuman:"}}}}};
  EXPECT_EQ(log[0]["body"], expected_body);
  EXPECT_EQ(log[0]["headers"]["content-type"], "application/json");
}

TEST_F(BedrockProviderTest, ConverseReturnsWholeAnswerAsOneDelta) {
  server_->Script(json::array({{{"tokens", {"Short", " answer"}},
                                {"stop_reason", "max_tokens"},
                                {"usage", {{"inputTokens", 30}, {"outputTokens", 2}}}}}));
  BedrockOptions options = Options();
  options.streaming = false;
  DeltaRecorder deltas;
  LlmRequest request = SimpleLlmRequest(kModel, "q");
  request.system.clear();
  request.messages = {{LlmMessage::Role::kUser, "first"},
                      {LlmMessage::Role::kAssistant, "reply"},
                      {LlmMessage::Role::kUser, "second"}};
  StatusOr<LlmResult> result = Provider(options)->Generate(request, deltas.Sink());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(deltas.deltas(), (std::vector<std::string>{"Short answer"}));
  EXPECT_EQ(result->text, "Short answer");
  EXPECT_EQ(result->stop_reason, "max_tokens");
  EXPECT_EQ(result->usage.input_tokens, 30);
  EXPECT_EQ(result->usage.output_tokens, 2);
  const json log = server_->Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["operation"], "converse");
  EXPECT_EQ(log[0]["auth"], "ok");
  EXPECT_FALSE(log[0]["body"].contains("system"));
  EXPECT_EQ(log[0]["body"]["messages"][1]["role"], "assistant");
  EXPECT_EQ(log[0]["body"]["messages"][2]["content"][0]["text"], "second");
}

TEST_F(BedrockProviderTest, InferenceProfileIdAndArnTravelAsOneSignedPathSegment) {
  const std::string arn =
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/" + std::string(kProfile);
  auto provider = Provider();
  for (const std::string& model : {std::string(kProfile), arn}) {
    StatusOr<LlmResult> result = provider->Generate(SimpleLlmRequest(model, "q"), nullptr);
    ASSERT_TRUE(result.ok()) << model << ": " << result.status().ToString();
  }
  const json log = server_->Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["raw_path"],
            "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream");
  EXPECT_EQ(log[0]["model_id"], kProfile);
  EXPECT_EQ(log[1]["raw_path"],
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F"
            "us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream");
  EXPECT_EQ(log[1]["model_id"], arn);
  EXPECT_EQ(log[0]["auth"], "ok");
  EXPECT_EQ(log[1]["auth"], "ok");
}

TEST_F(BedrockProviderTest, TemporaryCredentialsSendAndSignTheSessionToken) {
  StaticAwsCredentialsProvider temporary(
      {kMockCredentials.access_key_id, kMockCredentials.secret_access_key, "FwoGZXIvYXdzEXAMPLE"});
  BedrockOptions options = Options();
  options.credentials = &temporary;
  StatusOr<LlmResult> result = Provider(options)->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const json log = server_->Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["auth"], "ok");
  EXPECT_EQ(log[0]["headers"]["x-amz-security-token"], "FwoGZXIvYXdzEXAMPLE");
}

TEST_F(BedrockProviderTest, WrongSecretIsRejectedByTheSdkVerifierAsPermissionDenied) {
  StaticAwsCredentialsProvider wrong({kMockCredentials.access_key_id, "not-the-secret", ""});
  BedrockOptions options = Options();
  options.credentials = &wrong;
  DeltaRecorder deltas;
  StatusOr<LlmResult> result =
      Provider(options)->Generate(SimpleLlmRequest(kModel, "q"), deltas.Sink());
  ASSERT_EQ(result.status().code(), StatusCode::kPermissionDenied) << result.status().ToString();
  EXPECT_NE(result.status().message().find("InvalidSignatureException"), std::string::npos);
  EXPECT_NE(result.status().message().find("signature we calculated does not match"),
            std::string::npos);
  EXPECT_TRUE(deltas.deltas().empty());
  const json log = server_->Log();
  ASSERT_EQ(log.size(), 1u);  // not retried
  EXPECT_EQ(log[0]["auth"], "InvalidSignatureException");
}

TEST_F(BedrockProviderTest, WrongRegionIsRejected) {
  BedrockOptions options = Options();
  options.region = "eu-west-1";
  StatusOr<LlmResult> result = Provider(options)->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  EXPECT_EQ(result.status().code(), StatusCode::kPermissionDenied) << result.status().ToString();
}

TEST_F(BedrockProviderTest, ThrottledTwiceThenSucceedsAfterTwoBackoffs) {
  const json throttled = {{"http_error",
                           {{"status", 429},
                            {"type", "ThrottlingException"},
                            {"message", "Too many requests, please wait before trying again."}}}};
  server_->Script(json::array({throttled, throttled, {{"tokens", {"ok"}}}}));
  DeltaRecorder deltas;
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), deltas.Sink());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->text, "ok");
  EXPECT_EQ(deltas.text(), "ok");
  EXPECT_EQ(server_->Log().size(), 3u);
  ASSERT_EQ(recorder_.attempts.size(), 3u);
  EXPECT_EQ(recorder_.attempts[0].status.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(recorder_.attempts[0].status.message().find("ThrottlingException"), std::string::npos);
  EXPECT_TRUE(recorder_.attempts[0].will_retry);
  EXPECT_TRUE(recorder_.attempts[1].will_retry);
  EXPECT_TRUE(recorder_.attempts[2].status.ok());
  // Full jitter with the fixed draw 0.5: half of 1 ms * 2^retry.
  EXPECT_EQ(recorder_.sleeps, (std::vector<std::chrono::milliseconds>{
                                  std::chrono::milliseconds(0), std::chrono::milliseconds(1)}));
}

TEST_F(BedrockProviderTest, ThrottlingThatOutlastsTheRetriesIsResourceExhausted) {
  const json throttled = {{"http_error", {{"status", 429}, {"type", "ThrottlingException"}}}};
  server_->Script(json::array({throttled, throttled, throttled, throttled, throttled}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(result.status().message().find("after 4 attempts"), std::string::npos);
  EXPECT_EQ(server_->Log().size(), 4u);  // 1 + max_retries
}

TEST_F(BedrockProviderTest, ServiceUnavailableHonoursRetryAfter) {
  server_->Script(json::array(
      {{{"http_error",
         {{"status", 503}, {"type", "ServiceUnavailableException"}, {"retry_after", 2}}}},
       {{"tokens", {"back"}}}}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(recorder_.sleeps, (std::vector<std::chrono::milliseconds>{std::chrono::seconds(2)}));
}

TEST_F(BedrockProviderTest, ClientErrorsAreMappedAndNotRetried) {
  struct Case {
    int status;
    const char* type;
    StatusCode code;
  };
  for (const Case& c : {Case{400, "ValidationException", StatusCode::kInvalidArgument},
                        Case{403, "AccessDeniedException", StatusCode::kPermissionDenied},
                        Case{404, "ResourceNotFoundException", StatusCode::kNotFound}}) {
    server_->Reset();
    server_->Script(json::array(
        {{{"http_error", {{"status", c.status}, {"type", c.type}, {"message", "told you"}}}}}));
    StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
    EXPECT_EQ(result.status().code(), c.code) << c.type << ": " << result.status().ToString();
    EXPECT_NE(result.status().message().find(std::string(c.type) + ": told you"), std::string::npos)
        << result.status().message();
    EXPECT_EQ(server_->Log().size(), 1u) << c.type;
  }
}

TEST_F(BedrockProviderTest, ServerErrorAfterTheFirstDeltaIsNotRetried) {
  server_->Script(json::array(
      {{{"tokens", {"Partial", " answer"}},
        {"exception",
         {{"after_deltas", 1}, {"type", "internalServerException"}, {"message", "boom"}}}}}));
  DeltaRecorder deltas;
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), deltas.Sink());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().ToString();
  EXPECT_NE(result.status().message().find("internalServerException: boom"), std::string::npos);
  EXPECT_EQ(deltas.deltas(), (std::vector<std::string>{"Partial"}));
  EXPECT_EQ(server_->Log().size(), 1u);
  EXPECT_TRUE(recorder_.sleeps.empty());
}

TEST_F(BedrockProviderTest, ExceptionEventsMapToStatuses) {
  struct Case {
    const char* type;
    StatusCode code;
  };
  for (const Case& c : {Case{"throttlingException", StatusCode::kResourceExhausted},
                        Case{"validationException", StatusCode::kInvalidArgument},
                        Case{"modelStreamErrorException", StatusCode::kUnavailable},
                        Case{"serviceUnavailableException", StatusCode::kUnavailable}}) {
    server_->Reset();
    server_->Script(json::array(
        {{{"tokens", {"a", "b"}}, {"exception", {{"after_deltas", 1}, {"type", c.type}}}}}));
    StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
    EXPECT_EQ(result.status().code(), c.code) << c.type << ": " << result.status().ToString();
    EXPECT_NE(result.status().message().find(c.type), std::string::npos);
  }
}

TEST_F(BedrockProviderTest, ThrottlingEventBeforeAnyDeltaIsRetried) {
  server_->Script(
      json::array({{{"exception", {{"after_deltas", 0}, {"type", "throttlingException"}}}},
                   {{"tokens", {"second", " try"}}}}));
  DeltaRecorder deltas;
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), deltas.Sink());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(deltas.text(), "second try");
  EXPECT_EQ(server_->Log().size(), 2u);
}

TEST_F(BedrockProviderTest, TornStreamMidAnswerIsUnavailableAndNotRetried) {
  server_->Script(json::array({{{"tokens", {"one", " two", " three"}}, {"tear_after_deltas", 2}}}));
  DeltaRecorder deltas;
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), deltas.Sink());
  const StatusCode code = result.status().code();
  EXPECT_TRUE(code == StatusCode::kUnavailable || code == StatusCode::kDataLoss)
      << result.status().ToString();
  EXPECT_EQ(deltas.text(), "one two");
  EXPECT_EQ(server_->Log().size(), 1u);
}

TEST_F(BedrockProviderTest, TornStreamBeforeAnyDeltaIsRetried) {
  server_->Script(json::array({{{"tear_after_deltas", 0}}, {{"tokens", {"fine"}}}}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->text, "fine");
  EXPECT_EQ(server_->Log().size(), 2u);
}

TEST_F(BedrockProviderTest, CorruptFrameIsDataLoss) {
  server_->Script(json::array({{{"tokens", {"good", " bad"}}, {"corrupt_after_deltas", 1}}}));
  DeltaRecorder deltas;
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), deltas.Sink());
  EXPECT_EQ(result.status().code(), StatusCode::kDataLoss) << result.status().ToString();
  EXPECT_NE(result.status().message().find("checksum"), std::string::npos);
  EXPECT_EQ(deltas.text(), "good");
  EXPECT_EQ(server_->Log().size(), 1u);
}

TEST_F(BedrockProviderTest, StreamEndingBeforeMessageStopIsDataLoss) {
  server_->Script(
      json::array({{{"tokens", {"cut"}}, {"omit_message_stop", true}, {"omit_metadata", true}}}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  EXPECT_EQ(result.status().code(), StatusCode::kDataLoss) << result.status().ToString();
}

TEST_F(BedrockProviderTest, MissingMetadataGivesEstimatedUsage) {
  server_->Script(json::array({{{"tokens", {"twelve chars"}}, {"omit_metadata", true}}}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->usage.output_tokens, 3);
  EXPECT_GT(result->usage.input_tokens, 0);
}

TEST_F(BedrockProviderTest, CancellationAbortsTheUpstreamPromptly) {
  std::vector<std::string> tokens(100, "tok ");
  server_->Script(json::array({{{"tokens", tokens}, {"delay_ms", 20}}}));
  DeltaRecorder deltas(/*cancel_after=*/2);
  const auto start = std::chrono::steady_clock::now();
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), deltas.Sink());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.status().code(), StatusCode::kCancelled) << result.status().ToString();
  EXPECT_EQ(deltas.deltas().size(), 2u);
  EXPECT_LT(elapsed, std::chrono::milliseconds(1000));  // 100 tokens would take 2 s
  const json log = server_->WaitForLog(
      [](const json& l) { return l.size() == 1 && l[0]["client_closed"] == true; },
      std::chrono::seconds(2));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["client_closed"], true);
  EXPECT_EQ(log[0]["outcome"], "client_closed");
  EXPECT_LT(log[0]["deltas_sent"].get<int>(), 10);
}

TEST_F(BedrockProviderTest, SlowFirstTokenWithinTheTimeoutSucceeds) {
  server_->Script(json::array({{{"tokens", {"late"}}, {"first_token_delay_ms", 80}}}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->text, "late");
}

TEST_F(BedrockProviderTest, RequestTimeoutBeforeTheFirstTokenIsDeadlineExceeded) {
  server_->Script(json::array({{{"tokens", {"never"}}, {"first_token_delay_ms", 5000}}}));
  BedrockOptions options = Options();
  options.request_timeout = std::chrono::milliseconds(150);
  const auto start = std::chrono::steady_clock::now();
  StatusOr<LlmResult> result = Provider(options)->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  EXPECT_EQ(result.status().code(), StatusCode::kDeadlineExceeded) << result.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(server_->Log().size(), 1u);  // a timeout is not retried: the model may still bill it
}

TEST_F(BedrockProviderTest, CircuitOpensAfterFiveFailuresAndHalfOpensAfterThirtySeconds) {
  FakeClock clock(std::chrono::system_clock::now());  // also the signing time: keep it current
  BedrockOptions options = Options();
  options.clock = &clock;
  options.resilience.retry.max_retries = 0;
  auto provider = Provider(options);
  const json failure = {{"http_error", {{"status", 500}, {"type", "InternalServerException"}}}};
  server_->Script(json::array({failure, failure, failure, failure, failure}));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(provider->Generate(SimpleLlmRequest(kModel, "q"), nullptr).status().code(),
              StatusCode::kUnavailable);
  }
  StatusOr<LlmResult> refused = provider->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("circuit open"), std::string::npos);
  EXPECT_EQ(server_->Log().size(), 5u);  // the sixth call never left the process

  clock.Advance(std::chrono::seconds(29));
  EXPECT_NE(provider->Generate(SimpleLlmRequest(kModel, "q"), nullptr)
                .status()
                .message()
                .find("circuit open"),
            std::string::npos);
  clock.Advance(std::chrono::seconds(1));
  server_->Script(json::array({{{"tokens", {"recovered"}}}}));
  StatusOr<LlmResult> trial = provider->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  ASSERT_TRUE(trial.ok()) << trial.status().ToString();
  EXPECT_EQ(trial->text, "recovered");
  EXPECT_TRUE(provider->Generate(SimpleLlmRequest(kModel, "q"), nullptr).ok());
  EXPECT_EQ(server_->Log().size(), 7u);
}

TEST_F(BedrockProviderTest, ConnectionRefusedIsRetriedThenUnavailable) {
  // A port that was free a moment ago: nothing listens there.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  BedrockOptions options = Options();
  options.endpoint = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  StatusOr<LlmResult> result = Provider(options)->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().ToString();
  EXPECT_EQ(recorder_.attempts.size(), 4u);
}

TEST_F(BedrockProviderTest, OptionsAreValidated) {
  BedrockOptions options = Options();
  options.region.clear();
  EXPECT_EQ(NewBedrockProvider(options).status().code(), StatusCode::kInvalidArgument);
  options = Options();
  options.credentials = nullptr;
  EXPECT_EQ(NewBedrockProvider(options).status().code(), StatusCode::kInvalidArgument);
  options = Options();
  options.endpoint = "bedrock.local";
  EXPECT_EQ(NewBedrockProvider(options).status().code(), StatusCode::kInvalidArgument);
  auto provider = Provider();
  EXPECT_EQ(provider->Generate(SimpleLlmRequest("", "q"), nullptr).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(provider->name(), "bedrock");
}

// The stream reader on its own: frames split at every byte boundary decode to the same answer.
TEST(ConverseStreamReaderTest, DecodesFramesSplitAnywhere) {
  auto frame = [](const std::string& type, const json& payload) {
    EventStreamMessage m;
    m.headers = {{":event-type", std::string(type)},
                 {":content-type", std::string("application/json")},
                 {":message-type", std::string("event")}};
    m.payload = payload.dump();
    return *EncodeEventStreamMessage(m);
  };
  const std::string stream =
      frame("messageStart", {{"role", "assistant"}}) +
      frame("contentBlockDelta", {{"contentBlockIndex", 0}, {"delta", {{"text", "Grüße, "}}}}) +
      frame("contentBlockDelta", {{"contentBlockIndex", 0}, {"delta", {{"text", "world"}}}}) +
      frame("contentBlockStop", {{"contentBlockIndex", 0}}) +
      frame("messageStop", {{"stopReason", "stop_sequence"}}) +
      frame("metadata", {{"usage", {{"inputTokens", 7}, {"outputTokens", 3}}}});
  for (size_t split = 1; split < stream.size(); split += 7) {
    std::string text;
    DeltaSink sink = [&](std::string_view d) {
      text += d;
      return true;
    };
    ConverseStreamReader reader(sink);
    ASSERT_TRUE(reader.Feed(std::string_view(stream).substr(0, split)));
    ASSERT_TRUE(reader.Feed(std::string_view(stream).substr(split)));
    ASSERT_TRUE(reader.Finish().ok()) << reader.Finish().ToString();
    EXPECT_EQ(text, "Grüße, world");
    EXPECT_EQ(reader.result().stop_reason, "stop_sequence");
    EXPECT_EQ(reader.result().usage.input_tokens, 7);
    EXPECT_EQ(reader.result().usage.output_tokens, 3);
  }
  // Cut inside the last frame: DataLoss at the end.
  DeltaSink ignore = [](std::string_view) { return true; };
  ConverseStreamReader reader(ignore);
  ASSERT_TRUE(reader.Feed(std::string_view(stream).substr(0, stream.size() - 5)));
  EXPECT_EQ(reader.Finish().code(), StatusCode::kDataLoss);
}

TEST(BedrockWireTest, HttpErrorsMapByStatusAndType) {
  EXPECT_EQ(BedrockHttpError(429, {}, R"({"message":"slow down"})").code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(BedrockHttpError(429, {{"x-amzn-errortype", "ModelNotReadyException"}}, "{}").code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(BedrockHttpError(408, {}, "{}").code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(BedrockHttpError(424, {}, "{}").code(), StatusCode::kUnavailable);
  EXPECT_EQ(BedrockHttpError(502, {}, "<html>bad gateway</html>").code(), StatusCode::kUnavailable);
  const Status typed = BedrockHttpError(
      400, {{"x-amzn-errortype", "ValidationException:http://internal.amazon.com/coral/x/"}},
      R"({"message":"maxTokens too large"})");
  EXPECT_EQ(typed.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(typed.message(), "bedrock: HTTP 400 ValidationException: maxTokens too large");
}

TEST_F(BedrockProviderTest, CancelWhileTheModelIsSilentClosesTheUpstreamWithinAboutASecond) {
  // The model would take 20 s to its first token; the client leaves after 300 ms.
  server_->Script(json::array({{{"tokens", {"never"}}, {"first_token_delay_ms", 20000}}}));
  LlmRequest request = SimpleLlmRequest(kModel, "q");
  const auto start = std::chrono::steady_clock::now();
  request.cancelled = [start] {
    return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(300);
  };
  DeltaRecorder deltas;
  StatusOr<LlmResult> result = Provider()->Generate(request, deltas.Sink());
  const auto returned = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.status().code(), StatusCode::kCancelled) << result.status().ToString();
  EXPECT_TRUE(deltas.deltas().empty());
  EXPECT_LT(returned, std::chrono::milliseconds(2000));
  const json log = server_->WaitForLog(
      [](const json& l) { return l.size() == 1 && l[0]["client_closed"] == true; },
      std::chrono::seconds(2));
  ASSERT_EQ(log.size(), 1u);  // not retried
  EXPECT_EQ(log[0]["outcome"], "client_closed");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
}

}  // namespace
}  // namespace ragd
