// Chat through the real binary over HTTP: the demo bot answers from data/demo with citations over
// Server-Sent Events; conversations, feedback, search and usage; a Bedrock bot streams through the
// wire-faithful mock (SigV4 verified by the AWS SDK), and degrades to an extractive answer with a
// notice when Bedrock keeps failing.
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

}  // namespace
}  // namespace ragd::testing
