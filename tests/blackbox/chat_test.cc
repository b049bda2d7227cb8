// Chat through the real binary over HTTP: the demo bot answers from data/demo with citations over
// Server-Sent Events; conversations, feedback, search and usage; a Bedrock bot streams through the
// wire-faithful mock (SigV4 verified by the AWS SDK), and degrades to an extractive answer with a
// notice when Bedrock keeps failing.
#include <atomic>
#include <thread>

#include "tests/blackbox/documents_util.h"
#include "tests/engine/llm_mock_server_util.h"

namespace ragd::testing {
namespace {

struct SseEventRecord {
  std::string event;
  nlohmann::json data;
};

std::vector<SseEventRecord> ParseSse(const std::string& body) {
  std::vector<SseEventRecord> events;
  size_t at = 0;
  while (at < body.size()) {
    size_t end = body.find("\n\n", at);
    if (end == std::string::npos) break;
    std::string block = body.substr(at, end - at);
    at = end + 2;
    SseEventRecord e;
    std::string data;
    size_t line_start = 0;
    while (line_start <= block.size()) {
      size_t nl = block.find('\n', line_start);
      std::string line =
          block.substr(line_start, nl == std::string::npos ? std::string::npos : nl - line_start);
      if (line.rfind("event: ", 0) == 0) e.event = line.substr(7);
      if (line.rfind("data: ", 0) == 0) data += line.substr(6);
      if (nl == std::string::npos) break;
      line_start = nl + 1;
    }
    e.data = nlohmann::json::parse(data, nullptr, false);
    events.push_back(std::move(e));
  }
  return events;
}

std::string Answer(const std::vector<SseEventRecord>& events) {
  std::string text;
  for (const auto& e : events) {
    if (e.event == "delta") text += e.data["text"].get<std::string>();
  }
  return text;
}

class ChatServerTest : public DocumentServerTest {
 protected:
  std::string NewConversation(const std::string& bot) {
    auto r = Send("POST", Url("/v1/bots/" + bot + "/conversations"), "", admin_key_);
    EXPECT_TRUE(r.ok() && r->status == 201) << (r.ok() ? r->body : "");
    return JsonOf(r)["conversation_id"];
  }
  std::vector<SseEventRecord> Ask(const std::string& conversation, const std::string& question) {
    auto r = Send("POST", Url("/v1/conversations/" + conversation + "/messages"),
                  nlohmann::json{{"content", question}}.dump(), admin_key_,
                  {{"Accept", "text/event-stream"}});
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
    EXPECT_EQ(FindHeader(r->headers, "content-type").value_or("").rfind("text/event-stream", 0),
              0u);
    return r.ok() ? ParseSse(r->body) : std::vector<SseEventRecord>{};
  }
  void UploadDemoDocs(const std::string& bot) {
    for (const char* name : {"warranty.md", "returns-policy.md", "servicing.md"}) {
      const std::string id =
          Upload(bot, name, "text/markdown",
                 ReadFileBytes(std::string(RAGD_SOURCE_DIR) + "/data/demo/" + name));
      ASSERT_EQ(WaitDone(bot, id)["status"], "indexed");
    }
  }
};

TEST_F(ChatServerTest, ExtractiveBotStreamsACitedAnswerAndEverythingIsRecorded) {
  CreateBot("shop", {{"knowledge", {{"embedder", {{"provider", "hashing"}}}}}});
  UploadDemoDocs("shop");
  const std::string conversation = NewConversation("shop");
  const auto events = Ask(conversation, "How long are carbon frames covered by the warranty?");
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front().event, "sources");
  EXPECT_EQ(events.back().event, "done");
  const nlohmann::json sources = events.front().data["sources"];
  ASSERT_FALSE(sources.empty());
  EXPECT_EQ(sources[0]["number"], 1);
  EXPECT_EQ(sources[0]["title"], "Northwind Cycles warranty");
  const std::string answer = Answer(events);
  EXPECT_NE(answer.find("7 years"), std::string::npos) << answer;
  EXPECT_NE(answer.find("[1]"), std::string::npos) << answer;
  const nlohmann::json done = events.back().data;
  EXPECT_EQ(done["status"], "complete");
  EXPECT_GT(done["usage"]["input_tokens"].get<int>(), 0);
  EXPECT_GT(done["usage"]["output_tokens"].get<int>(), 0);

  // The conversation has both messages, the answer with its sources.
  nlohmann::json c = JsonOf(Get(Url("/v1/conversations/" + conversation), admin_key_));
  ASSERT_EQ(c["messages"].size(), 2u);
  EXPECT_EQ(c["messages"][1]["content"], answer);
  EXPECT_EQ(c["messages"][1]["message_id"], done["message_id"]);
  EXPECT_EQ(c["messages"][1]["sources"].size(), sources.size());
  EXPECT_NE(c["title"].get<std::string>().find("carbon frames"), std::string::npos);

  // Feedback, then conversation search finds the question.
  const std::string msg = done["message_id"];
  auto fb = Send("PUT", Url("/v1/conversations/" + conversation + "/messages/" + msg + "/feedback"),
                 R"({"rating":"up","comment":"spot on"})", admin_key_);
  ASSERT_EQ(fb->status, 200) << fb->body;
  EXPECT_EQ(JsonOf(fb)["feedback"]["rating"], "up");
  fb = Send("PUT", Url("/v1/conversations/" + conversation + "/messages/" + msg + "/feedback"),
            R"({"rating":"sideways"})", admin_key_);
  EXPECT_EQ(fb->status, 422);
  auto found = JsonOf(Get(Url("/v1/conversations/search?q=carbon"), admin_key_));
  ASSERT_FALSE(found["results"].empty());
  EXPECT_EQ(found["results"][0]["conversation_id"], conversation);

  // Without Accept: text/event-stream the answer is one JSON document.
  auto json = Send("POST", Url("/v1/conversations/" + conversation + "/messages"),
                   R"({"content":"How many days after delivery may I return it?"})", admin_key_);
  ASSERT_EQ(json->status, 200) << json->body;
  EXPECT_NE(JsonOf(json)["message"]["content"].get<std::string>().find("45 days"),
            std::string::npos);

  // Usage adds up over both answers.
  nlohmann::json usage = JsonOf(Get(Url("/v1/admin/usage?group_by=bot"), admin_key_));
  ASSERT_EQ(usage["groups"].size(), 1u);
  EXPECT_EQ(usage["groups"][0]["key"], "shop");
  EXPECT_EQ(usage["groups"][0]["messages"], 2);
  EXPECT_EQ(usage["totals"]["input_tokens"].get<int64_t>(),
            done["usage"]["input_tokens"].get<int64_t>() +
                JsonOf(json)["message"]["usage"]["input_tokens"].get<int64_t>());
}

TEST_F(ChatServerTest, UsersCannotSeeOrWriteOthersConversations) {
  CreateBot("shop",
            {{"visibility", "shared"}, {"knowledge", {{"embedder", {{"provider", "hashing"}}}}}});
  const std::string conversation = NewConversation("shop");
  auto r = Send("POST", Url("/v1/keys"), R"({"name":"eve","role":"user"})", admin_key_);
  const std::string eve = JsonOf(r)["key"];
  EXPECT_EQ(Get(Url("/v1/conversations/" + conversation), eve)->status, 404);
  EXPECT_EQ(Send("POST", Url("/v1/conversations/" + conversation + "/messages"),
                 R"({"content":"hi"})", eve)
                ->status,
            404);
  EXPECT_EQ(Send("DELETE", Url("/v1/conversations/" + conversation), "", eve)->status, 404);
  EXPECT_EQ(JsonOf(Get(Url("/v1/conversations"), eve))["conversations"].size(), 0u);
  EXPECT_EQ(Get(Url("/v1/admin/usage"), eve)->status, 403);
  EXPECT_EQ(Send("POST", Url("/v1/conversations/" + conversation + "/messages"),
                 R"({"content":""})", admin_key_)
                ->status,
            422);
}

TEST_F(ChatServerTest, BedrockBotStreamsThroughTheMockAndDegradesWhenItFails) {
  std::string error;
  auto bedrock = LlmMockServer::Start("bedrock_mock.js", &error);
  ASSERT_NE(bedrock, nullptr) << error;
  StartServer({"--bedrock-endpoint", bedrock->base_url(), "--aws-region", "us-east-1"},
              {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
               {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}});
  const std::string model = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
  CreateBot("shop", {{"model", {{"provider", "bedrock"}, {"model_id", model}}},
                     {"instruction", "Answer like a bike mechanic."},
                     {"knowledge", {{"embedder", {{"provider", "hashing"}}}}}});
  UploadDemoDocs("shop");
  bedrock->Script(
      nlohmann::json::array({{{"tokens", {"Carbon frames ", "are covered ", "for 7 years [1]."}},
                              {"usage", {{"inputTokens", 812}, {"outputTokens", 9}}}}}));
  const std::string conversation = NewConversation("shop");
  auto events = Ask(conversation, "How long are carbon frames covered?");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(Answer(events), "Carbon frames are covered for 7 years [1].");
  ASSERT_EQ(events.back().event, "done");
  const nlohmann::json done = events.back().data;
  EXPECT_EQ(done["usage"]["input_tokens"], 812);
  EXPECT_EQ(done["usage"]["output_tokens"], 9);
  EXPECT_NEAR(done["cost_usd"].get<double>(), 812 * 0.0008 / 1000 + 9 * 0.004 / 1000, 1e-9);
  const nlohmann::json log = bedrock->Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["auth"], "ok");  // the AWS SDK's verifier accepted ragd's SigV4
  EXPECT_EQ(log[0]["model_id"], model);
  const std::string system = log[0]["body"]["system"][0]["text"];
  EXPECT_NE(system.find("bike mechanic"), std::string::npos);
  const std::string user = log[0]["body"]["messages"].back()["content"][0]["text"];
  EXPECT_NE(user.find("<source id=\"1\""), std::string::npos) << user;
  EXPECT_NE(user.find("Carbon frames are covered for 7 years"), std::string::npos);

  // Bedrock down (500 on every attempt): the user still gets an answer from the documents.
  nlohmann::json failing = nlohmann::json::array();
  for (int i = 0; i < 8; ++i) {
    failing.push_back(
        {{"http_error",
          {{"status", 500}, {"type", "InternalServerException"}, {"message", "boom"}}}});
  }
  bedrock->Script(failing);
  events = Ask(conversation, "Within how many days can I return a bike?");
  bool noticed = false;
  for (const auto& e : events) noticed |= e.event == "notice";
  EXPECT_TRUE(noticed);
  EXPECT_NE(Answer(events).find("45 days"), std::string::npos) << Answer(events);
  ASSERT_EQ(events.back().event, "done");
  EXPECT_FALSE(events.back().data["notice"].is_null());
}

// Streaming turns against the OpenAI-compatible mock, on a server whose worker pool is one thread.
class ChatStreamingTest : public ChatServerTest {
 protected:
  void SetUp() override {
    ChatServerTest::SetUp();
    std::string error;
    mock_ = LlmMockServer::Start("openai_mock.js", &error);
    ASSERT_NE(mock_, nullptr) << error;
  }
  void StartWith(std::vector<std::string> flags) {
    flags.insert(flags.end(),
                 {"--openai-base-url", mock_->base_url(), "--server-worker-threads", "1"});
    StartServer(flags);
    CreateBot("shop", {{"model", {{"provider", "openai"}, {"model_id", "mock-model"}}},
                       {"knowledge", {{"embedder", {{"provider", "hashing"}}}}}});
    UploadDemoDocs("shop");
  }
  // One scenario: `tokens` deltas "t0 " "t1 " ... `delay_ms` apart.
  static nlohmann::json Slow(int tokens, int delay_ms) {
    nlohmann::json s = {{"tokens", nlohmann::json::array()}, {"delay_ms", delay_ms}};
    for (int i = 0; i < tokens; ++i) s["tokens"].push_back("t" + std::to_string(i) + " ");
    return s;
  }
  static std::string SlowText(int tokens) {
    std::string text;
    for (int i = 0; i < tokens; ++i) text += "t" + std::to_string(i) + " ";
    return text;
  }
  // Waits until the mock has seen `n` chat requests; the log as last seen.
  nlohmann::json WaitForRequests(size_t n) {
    return mock_->WaitForLog([n](const nlohmann::json& log) { return log.size() >= n; },
                             std::chrono::seconds(20));
  }

  std::unique_ptr<LlmMockServer> mock_;
};

TEST_F(ChatStreamingTest, ConcurrentStreamsAllProgressAndOrdinaryRequestsStillAnswer) {
  StartWith({});
  constexpr int kStreams = 3;
  constexpr int kTokens = 10;
  std::vector<std::string> conversations;
  nlohmann::json scripts = nlohmann::json::array();
  for (int i = 0; i < kStreams; ++i) {
    conversations.push_back(NewConversation("shop"));
    scripts.push_back(Slow(kTokens, 100));  // ~1 s each
  }
  mock_->Script(scripts);
  std::vector<std::vector<SseEventRecord>> results(kStreams);
  std::vector<std::thread> clients;
  for (int i = 0; i < kStreams; ++i) {
    clients.emplace_back([&, i] {
      results[i] = Ask(conversations[i], "How long are carbon frames covered by the warranty?");
    });
  }
  // All upstream calls are open at once although the worker pool has a single thread...
  const nlohmann::json log = WaitForRequests(kStreams);
  ASSERT_EQ(log.size(), static_cast<size_t>(kStreams));
  EXPECT_EQ(log[0]["outcome"], "pending") << "the first stream ended before the last began";
  // ...and that thread still serves ordinary requests while they stream.
  const auto before = std::chrono::steady_clock::now();
  auto list = Get(Url("/v1/conversations"), admin_key_);
  const auto took = std::chrono::steady_clock::now() - before;
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->status, 200);
  EXPECT_LT(took, std::chrono::milliseconds(700));
  EXPECT_EQ(mock_->Log()[0]["outcome"], "pending") << "the GET waited for a stream";
  for (std::thread& t : clients) t.join();
  for (int i = 0; i < kStreams; ++i) {
    ASSERT_FALSE(results[i].empty());
    EXPECT_EQ(results[i].back().event, "done");
    EXPECT_EQ(Answer(results[i]), SlowText(kTokens));  // coalesced or not, the exact text
  }
}

TEST_F(ChatStreamingTest, BeyondMaxStreamsA503WithRetryAfterAndNothingStored) {
  StartWith({"--server-max-streams", "1"});
  const std::string busy = NewConversation("shop");
  const std::string refused = NewConversation("shop");
  mock_->Script(nlohmann::json::array({Slow(10, 100)}));
  std::thread client([&] { Ask(busy, "How long are carbon frames covered?"); });
  WaitForRequests(1);
  auto r = Send("POST", Url("/v1/conversations/" + refused + "/messages"),
                nlohmann::json{{"content", "And the returns policy?"}}.dump(), admin_key_,
                {{"Accept", "text/event-stream"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_EQ(FindHeader(r->headers, "retry-after").value_or(""), "1");
  EXPECT_EQ(JsonOf(r)["error"]["code"], "unavailable");
  client.join();
  EXPECT_EQ(JsonOf(Get(Url("/v1/conversations/" + refused), admin_key_))["messages"].size(), 0u);
  // The slot is free again once the first stream ended.
  const auto events = Ask(refused, "Within how many days can I return a bike?");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "done");
}

TEST_F(ChatStreamingTest, ClientDisconnectStopsTheUpstreamAndStoresTheAnswerAsStopped) {
  StartWith({});
  const std::string conversation = NewConversation("shop");
  mock_->Script(nlohmann::json::array({Slow(60, 50)}));  // 3 s if nobody stops it
  std::unique_ptr<HttpTransport> http = NewCurlTransport();
  HttpRequest request;
  request.method = "POST";
  request.url = Url("/v1/conversations/" + conversation + "/messages");
  request.headers = {{"Authorization", "Bearer " + admin_key_},
                     {"Content-Type", "application/json"},
                     {"Accept", "text/event-stream"}};
  request.body = nlohmann::json{{"content", "How long are carbon frames covered?"}}.dump();
  std::string received;
  auto streamed = http->SendStreaming(request, [&](std::string_view chunk) {
    received += chunk;
    return received.find("event: delta") == std::string::npos;  // hang up after a delta
  });
  EXPECT_EQ(streamed.status().code(), StatusCode::kCancelled);
  const auto started = std::chrono::steady_clock::now();
  const nlohmann::json log = mock_->WaitForLog(
      [](const nlohmann::json& l) { return !l.empty() && l[0]["client_closed"] == true; },
      std::chrono::seconds(10));
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log[0]["client_closed"], true) << log.dump();
  EXPECT_LT(log[0]["deltas_sent"].get<int>(), 60);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  nlohmann::json answer;
  for (int i = 0; i < 500; ++i) {
    nlohmann::json c = JsonOf(Get(Url("/v1/conversations/" + conversation), admin_key_));
    if (c["messages"].size() == 2 && c["messages"][1]["status"] != "pending") {
      answer = c["messages"][1];
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(answer.is_object());
  EXPECT_EQ(answer["status"], "stopped");
  const std::string content = answer["content"];
  EXPECT_FALSE(content.empty());
  EXPECT_EQ(SlowText(60).rfind(content, 0), 0u) << content;  // a prefix of the answer
  EXPECT_LT(content.size(), SlowText(60).size());
}

TEST_F(ChatStreamingTest, ClientLeavingBeforeTheFirstTokenClosesTheUpstreamWithinTwoSeconds) {
  StartWith({});
  const std::string conversation = NewConversation("shop");
  // A model that takes 30 s to its first token: only a cancel that reaches the silent transfer
  // frees the upstream connection in time.
  mock_->Script(nlohmann::json::array({{{"tokens", {"never"}}, {"first_token_delay_ms", 30000}}}));
  std::unique_ptr<HttpTransport> http = NewCurlTransport();
  HttpRequest request;
  request.method = "POST";
  request.url = Url("/v1/conversations/" + conversation + "/messages");
  request.headers = {{"Authorization", "Bearer " + admin_key_},
                     {"Content-Type", "application/json"},
                     {"Accept", "text/event-stream"}};
  request.body = nlohmann::json{{"content", "How long are carbon frames covered?"}}.dump();
  std::string received;
  std::chrono::steady_clock::time_point hung_up;
  auto streamed = http->SendStreaming(request, [&](std::string_view chunk) {
    received += chunk;
    if (received.find("event: sources") == std::string::npos) return true;
    WaitForRequests(1);  // the model call is under way and silent
    hung_up = std::chrono::steady_clock::now();
    return false;
  });
  EXPECT_EQ(streamed.status().code(), StatusCode::kCancelled) << streamed.status().ToString();
  EXPECT_EQ(received.find("event: delta"), std::string::npos);
  const nlohmann::json log = mock_->WaitForLog(
      [](const nlohmann::json& l) { return !l.empty() && l[0]["client_closed"] == true; },
      std::chrono::seconds(5));
  const auto took = std::chrono::steady_clock::now() - hung_up;
  ASSERT_EQ(log.size(), 1u) << log.dump();
  EXPECT_EQ(log[0]["outcome"], "client_closed") << log.dump();
  EXPECT_EQ(log[0]["deltas_sent"], 0);
  EXPECT_LT(took, std::chrono::seconds(2));
  nlohmann::json answer;
  for (int i = 0; i < 500; ++i) {
    nlohmann::json c = JsonOf(Get(Url("/v1/conversations/" + conversation), admin_key_));
    if (c["messages"].size() == 2 && c["messages"][1]["status"] != "pending") {
      answer = c["messages"][1];
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(answer.is_object());
  EXPECT_EQ(answer["status"], "stopped");
  EXPECT_EQ(answer["stop_reason"], "cancelled");
  EXPECT_EQ(answer["content"], "");
}

}  // namespace
}  // namespace ragd::testing
