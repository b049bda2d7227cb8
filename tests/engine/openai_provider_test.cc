// The OpenAI-compatible provider against tests/js/openai_mock.js over real loopback HTTP:
// streamed chunks, usage, [DONE], errors, retries and cancellation; and the SSE parser alone.
// Needs node on PATH; missing it fails, never skips.
#include "engine/providers/openai_provider.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/providers/openai_sse.h"
#include "tests/engine/llm_mock_server_util.h"

namespace ragd {
namespace {

using nlohmann::json;
using testing::DeltaRecorder;
using testing::LlmMockServer;
using testing::ResilienceRecorder;
using testing::SimpleLlmRequest;

constexpr char kModel[] = "llama3.1:8b";

class OpenAiProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = LlmMockServer::Start("openai_mock.js", &start_error_);
    transport_ = NewCurlTransport();
  }
  static void TearDownTestSuite() {
    transport_.reset();
    server_.reset();
  }
  void SetUp() override {
    ASSERT_TRUE(server_ != nullptr) << start_error_;
    server_->Reset();
    server_->Configure({{"api_key", nullptr}});
  }

  OpenAiOptions Options() {
    OpenAiOptions options;
    options.base_url = server_->base_url();
    options.transport = transport_.get();
    options.resilience = recorder_.Options();
    return options;
  }
  std::unique_ptr<LlmProvider> Provider(const OpenAiOptions& options) {
    StatusOr<std::unique_ptr<LlmProvider>> provider = NewOpenAiProvider(options);
    EXPECT_TRUE(provider.ok()) << provider.status().ToString();
    return provider.ok() ? std::move(*provider) : nullptr;
  }
  std::unique_ptr<LlmProvider> Provider() { return Provider(Options()); }

  static std::unique_ptr<LlmMockServer> server_;
  static std::unique_ptr<HttpTransport> transport_;
  static std::string start_error_;
  ResilienceRecorder recorder_;
};

std::unique_ptr<LlmMockServer> OpenAiProviderTest::server_;
std::unique_ptr<HttpTransport> OpenAiProviderTest::transport_;
std::string OpenAiProviderTest::start_error_;

TEST_F(OpenAiProviderTest, StreamsDeltasAndReadsUsageBeforeDone) {
  server_->Script(json::array({{{"tokens", {"Paris", " is", " the", " capital [2]."}},
                                {"usage", {{"prompt_tokens", 321}, {"completion_tokens", 6}}}}}));
  DeltaRecorder deltas;
  LlmRequest request = SimpleLlmRequest(kModel, "Capital of France?");
  request.messages = {{LlmMessage::Role::kUser, "Hi"},
                      {LlmMessage::Role::kAssistant, "Hello!"},
                      {LlmMessage::Role::kUser, "Capital of France?"}};
  StatusOr<LlmResult> result = Provider()->Generate(request, deltas.Sink());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(deltas.deltas(), (std::vector<std::string>{"Paris", " is", " the", " capital [2]."}));
  EXPECT_EQ(result->text, "Paris is the capital [2].");
  EXPECT_EQ(result->stop_reason, "end_turn");
  EXPECT_EQ(result->usage.input_tokens, 321);
  EXPECT_EQ(result->usage.output_tokens, 6);

  const json log = server_->Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["path"], "/v1/chat/completions");
  EXPECT_EQ(log[0]["outcome"], "completed");
  const json& body = log[0]["body"];
  EXPECT_EQ(body["model"], kModel);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"], json({{"include_usage", true}}));
  EXPECT_EQ(body["max_tokens"], 256);
  EXPECT_EQ(body["temperature"], 0.1);
  EXPECT_EQ(body["top_p"], 0.8);
  EXPECT_EQ(body["stop"], json({"\n\nHuman:"}));
  const json expected_messages = {
      {{"role", "system"}, {"content", "Answer from the numbered sources only."}},
      {{"role", "user"}, {"content", "Hi"}},
      {{"role", "assistant"}, {"content", "Hello!"}},
      {{"role", "user"}, {"content", "Capital of France?"}}};
  EXPECT_EQ(body["messages"], expected_messages);
  EXPECT_FALSE(log[0]["headers"].contains("authorization"));
}

TEST_F(OpenAiProviderTest, ServersThatIgnoreIncludeUsageGetAnEstimate) {
  server_->Script(json::array({{{"tokens", {"sixteen chars ok"}}, {"ignore_usage", true}}}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->usage.output_tokens, 4);
  EXPECT_GT(result->usage.input_tokens, 0);
}

TEST_F(OpenAiProviderTest, IncludeUsageCanBeTurnedOff) {
  OpenAiOptions options = Options();
  options.include_usage = false;
  StatusOr<LlmResult> result = Provider(options)->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(server_->Log()[0]["body"].contains("stream_options"));
}

TEST_F(OpenAiProviderTest, FinishReasonsMapToBedrockVocabulary) {
  server_->Script(json::array({{{"tokens", {"trunc"}}, {"finish_reason", "length"}}}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->stop_reason, "max_tokens");
  EXPECT_EQ(MapOpenAiFinishReason("content_filter"), "content_filtered");
  EXPECT_EQ(MapOpenAiFinishReason("tool_calls"), "tool_use");
  EXPECT_EQ(MapOpenAiFinishReason("eos"), "eos");
}

TEST_F(OpenAiProviderTest, BearerKeyIsSentAndAWrongOneIsUnauthenticated) {
  server_->Configure({{"api_key", "sk-test-123"}});
  OpenAiOptions options = Options();
  options.api_key = "sk-test-123";
  ASSERT_TRUE(Provider(options)->Generate(SimpleLlmRequest(kModel, "q"), nullptr).ok());
  EXPECT_EQ(server_->Log()[0]["headers"]["authorization"], "Bearer <redacted>");

  options.api_key = "sk-wrong";
  StatusOr<LlmResult> result = Provider(options)->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  EXPECT_EQ(result.status().code(), StatusCode::kUnauthenticated) << result.status().ToString();
  EXPECT_NE(result.status().message().find("invalid_api_key"), std::string::npos);
  EXPECT_EQ(result.status().message().find("sk-wrong"), std::string::npos);
  EXPECT_EQ(server_->Log().size(), 2u);  // not retried
}

TEST_F(OpenAiProviderTest, RateLimitedTwiceThenSucceedsHonouringRetryAfter) {
  const json limited = {{"http_error",
                         {{"status", 429},
                          {"type", "requests"},
                          {"code", "rate_limit_exceeded"},
                          {"message", "Rate limit reached"},
                          {"retry_after", 1},
                          {"retry_after_ms", 250}}}};
  const json limited_plain = {{"http_error", {{"status", 429}, {"type", "requests"}}}};
  server_->Script(json::array({limited, limited_plain, {{"tokens", {"done"}}}}));
  DeltaRecorder deltas;
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), deltas.Sink());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(deltas.text(), "done");
  EXPECT_EQ(server_->Log().size(), 3u);
  // retry-after-ms wins over retry-after; the second pause is the jittered backoff (0.5 * 2 ms).
  EXPECT_EQ(recorder_.sleeps, (std::vector<std::chrono::milliseconds>{
                                  std::chrono::milliseconds(250), std::chrono::milliseconds(1)}));
  ASSERT_EQ(recorder_.attempts.size(), 3u);
  EXPECT_EQ(recorder_.attempts[0].status.code(), StatusCode::kResourceExhausted);
}

TEST_F(OpenAiProviderTest, RetryAfterBeyondTheLimitFailsAtOnce) {
  server_->Script(json::array({{{"http_error", {{"status", 429}, {"retry_after", 3600}}}}}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(server_->Log().size(), 1u);
  EXPECT_TRUE(recorder_.sleeps.empty());
}

TEST_F(OpenAiProviderTest, InsufficientQuotaIsNotRetried) {
  server_->Script(json::array(
      {{{"http_error",
         {{"status", 429}, {"type", "insufficient_quota"}, {"code", "insufficient_quota"}}}}}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(server_->Log().size(), 1u);
}

TEST_F(OpenAiProviderTest, ServerErrorIsRetriedBeforeTheFirstDelta) {
  server_->Script(json::array({{{"http_error", {{"status", 500}}}},
                               {{"http_error", {{"status", 502}}}},
                               {{"tokens", {"third time"}}}}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->text, "third time");
  EXPECT_EQ(server_->Log().size(), 3u);
}

TEST_F(OpenAiProviderTest, ErrorChunkAfterTheFirstDeltaIsNotRetried) {
  server_->Script(
      json::array({{{"tokens", {"Half", " an answer"}},
                    {"error_after_deltas", {{"after", 1}, {"message", "model overloaded"}}}}}));
  DeltaRecorder deltas;
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), deltas.Sink());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().ToString();
  EXPECT_NE(result.status().message().find("model overloaded"), std::string::npos);
  EXPECT_EQ(deltas.text(), "Half");
  EXPECT_EQ(server_->Log().size(), 1u);
}

TEST_F(OpenAiProviderTest, TornStreamIsUnavailableAndNotRetriedAfterADelta) {
  server_->Script(json::array({{{"tokens", {"a", "b", "c"}}, {"tear_after_deltas", 2}}}));
  DeltaRecorder deltas;
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), deltas.Sink());
  const StatusCode code = result.status().code();
  EXPECT_TRUE(code == StatusCode::kUnavailable || code == StatusCode::kDataLoss)
      << result.status().ToString();
  EXPECT_EQ(deltas.text(), "ab");
  EXPECT_EQ(server_->Log().size(), 1u);
}

TEST_F(OpenAiProviderTest, MissingDoneIsToleratedAfterAFinishReason) {
  server_->Script(json::array({{{"tokens", {"no done"}}, {"omit_done", true}}}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->text, "no done");
}

TEST_F(OpenAiProviderTest, CrlfLinesAndKeepAliveCommentsAreParsed) {
  server_->Script(json::array(
      {{{"tokens", {"x", "y"}}, {"crlf", true}, {"keepalive_comments", true}, {"delay_ms", 5}}}));
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->text, "xy");
  EXPECT_EQ(result->usage.output_tokens, 2);
}

TEST_F(OpenAiProviderTest, CancellationAbortsTheUpstreamPromptly) {
  std::vector<std::string> tokens(100, "w ");
  server_->Script(json::array({{{"tokens", tokens}, {"delay_ms", 20}}}));
  DeltaRecorder deltas(/*cancel_after=*/3);
  const auto start = std::chrono::steady_clock::now();
  StatusOr<LlmResult> result = Provider()->Generate(SimpleLlmRequest(kModel, "q"), deltas.Sink());
  EXPECT_EQ(result.status().code(), StatusCode::kCancelled) << result.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  EXPECT_EQ(deltas.deltas().size(), 3u);
  const json log = server_->WaitForLog(
      [](const json& l) { return l.size() == 1 && l[0]["client_closed"] == true; },
      std::chrono::seconds(2));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["outcome"], "client_closed");
  EXPECT_LT(log[0]["deltas_sent"].get<int>(), 10);
}

TEST_F(OpenAiProviderTest, ConcurrentCallsEachGetTheirOwnAnswer) {
  auto provider = Provider();
  std::vector<std::thread> threads;
  std::vector<StatusOr<LlmResult>> results(4, UnknownError("not run"));
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      results[i] = provider->Generate(SimpleLlmRequest(kModel, "q" + std::to_string(i)), nullptr);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->text, "Hello from the mock.");
  }
  EXPECT_EQ(server_->Log().size(), 4u);
}

TEST(OpenAiUrlTest, V1IsAppendedOnce) {
  EXPECT_EQ(OpenAiChatCompletionsUrl("http://127.0.0.1:11434"),
            "http://127.0.0.1:11434/v1/chat/completions");
  EXPECT_EQ(OpenAiChatCompletionsUrl("https://api.openai.com/v1/"),
            "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ(OpenAiChatCompletionsUrl("http://gw.local/llm"),
            "http://gw.local/llm/v1/chat/completions");
  OpenAiOptions options;
  options.base_url = "ftp://x";
  EXPECT_EQ(NewOpenAiProvider(options).status().code(), StatusCode::kInvalidArgument);
}

std::vector<SseEvent> ParseAll(const std::vector<std::string>& chunks) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (const std::string& chunk : chunks) {
    bool stopped = false;
    EXPECT_TRUE(parser
                    .Feed(
                        chunk,
                        [&](const SseEvent& e) {
                          events.push_back(e);
                          return true;
                        },
                        &stopped)
                    .ok());
  }
  return events;
}

TEST(SseParserTest, SameEventsWhateverTheChunkingAndLineEndings) {
  const std::string stream =
      ": comment\r\n"
      "event: error\r\n"
      "data: {\"a\":1}\r\n"
      "\r\n"
      "data:first\n"
      "data: second\n"
      "id: 7\n"
      "\n"
      "data: cr\r"
      "\r"
      "data: [DONE]\n\n"
      "data: cut off at the end";
  for (size_t split = 0; split <= stream.size(); ++split) {
    std::vector<SseEvent> events = ParseAll({stream.substr(0, split), stream.substr(split)});
    ASSERT_EQ(events.size(), 4u) << "split at " << split;
    EXPECT_EQ(events[0].event, "error");
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].event, "");
    EXPECT_EQ(events[1].data, "first\nsecond");
    EXPECT_EQ(events[2].data, "cr");
    EXPECT_EQ(events[3].data, "[DONE]");
  }
}

TEST(SseParserTest, OverlongLineIsDataLoss) {
  SseParser parser(/*max_line_bytes=*/16);
  bool stopped = false;
  auto ignore = [](const SseEvent&) { return true; };
  EXPECT_TRUE(parser.Feed("data: 0123456789", ignore, &stopped).ok());
  EXPECT_EQ(parser.Feed("abcdef", ignore, &stopped).code(), StatusCode::kDataLoss);
}

TEST_F(OpenAiProviderTest, CancelWhileTheModelIsSilentClosesTheUpstreamWithinAboutASecond) {
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
