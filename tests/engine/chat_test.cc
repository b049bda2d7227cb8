// ChatService over a real engine: grounded extractive answers with citations, "don't know" when
// nothing is retrieved, guardrails, ownership, degradation when the model is down, client
// disconnects, and usage recorded per answer.
#include "engine/chat.h"

#include "engine/usage.h"
#include "tests/engine/engine_fixture_util.h"

namespace ragd {
namespace {

const char kWarranty[] =
    "Warranty. Every Northwind frame has a lifetime warranty against manufacturing defects. "
    "Components such as brakes and gears are covered for two years.";
const char kReturns[] =
    "Returns. Unused bikes can be returned within 30 days with the original receipt. "
    "Refunds go back to the card used for the purchase.";

class ChatTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    conversations_ = std::make_unique<ConversationStore>(*db_, Clock::Real());
    RemoteProviderOptions remote;
    remote.openai_base_url = "http://127.0.0.1:1";  // nothing listens: the model is "down"
    transport_ = NewCurlTransport();
    providers_ =
        std::make_unique<ProviderRegistry>(remote, transport_.get(), nullptr, Clock::Real());
    chat_ = std::make_unique<ChatService>(*engine_, *conversations_, *providers_,
                                          DefaultPriceTable(), Clock::Real());
    bot_ = MakeBot("shop");
    BotConfig shared = bot_.config;
    shared.visibility = "shared";  // users other than the owner may chat with it
    bot_ = *engine_->UpdateBot(bot_, shared);
    warranty_ = Ingest(bot_, "warranty.txt", kWarranty);
    returns_ = Ingest(bot_, "returns.txt", kReturns);
  }
  std::string NewConversation(const std::string& owner = "alice") {
    auto c = conversations_->Create(bot_.id, owner, "");
    EXPECT_TRUE(c.ok());
    return c->id;
  }

  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<ConversationStore> conversations_;
  std::unique_ptr<ProviderRegistry> providers_;
  std::unique_ptr<ChatService> chat_;
  Bot bot_;
  Document warranty_, returns_;
  const Caller alice_{"alice", false};
};

TEST_F(ChatTest, AnswersFromTheDocumentsWithCitationsAndStreamsInOrder) {
  const std::string id = NewConversation();
  std::vector<std::string> events;
  std::vector<SourcePassage> sources;
  std::string streamed;
  ChatStream stream;
  stream.on_sources = [&](const std::vector<SourcePassage>& s) {
    events.push_back("sources");
    sources = s;
    return true;
  };
  stream.on_delta = [&](std::string_view d) {
    if (events.back() != "delta") events.push_back("delta");
    streamed += d;
    return true;
  };
  auto turn = chat_->Send(alice_, id, "How long is the warranty on the frame?", stream);
  ASSERT_TRUE(turn.ok()) << turn.status().ToString();
  EXPECT_EQ(events, (std::vector<std::string>{"sources", "delta"}));
  ASSERT_FALSE(sources.empty());
  EXPECT_EQ(sources[0].document_id, warranty_.id);
  EXPECT_EQ(sources[0].number, 1);
  const Message& a = turn->assistant;
  EXPECT_EQ(a.status, MessageStatus::kComplete);
  EXPECT_EQ(a.content, streamed);
  EXPECT_NE(a.content.find("lifetime warranty"), std::string::npos) << a.content;
  EXPECT_NE(a.content.find("[1]"), std::string::npos) << a.content;
  EXPECT_GT(a.input_tokens, 0);
  EXPECT_EQ(a.cost_usd(), 0.0);  // the extractive answerer is free
  // Both messages are stored; the question first.
  auto messages = conversations_->Messages(id, "alice");
  ASSERT_TRUE(messages.ok());
  ASSERT_EQ(messages->size(), 2u);
  EXPECT_EQ((*messages)[0].role, MessageRole::kUser);
  EXPECT_EQ((*messages)[1].sources.size(), sources.size());
}

TEST_F(ChatTest, SaysItDoesNotKnowWhenNothingRelevantIsRetrieved) {
  const std::string id = NewConversation();
  auto turn = chat_->Send(alice_, id, "xylophone quantum zeppelin", ChatStream{});
  ASSERT_TRUE(turn.ok()) << turn.status().ToString();
  EXPECT_TRUE(turn->assistant.sources.empty());
  EXPECT_EQ(turn->assistant.content, kNoSourcesAnswer);
}

TEST_F(ChatTest, GuardrailsRefuseDeniedTopicsAndRejectLongInput) {
  BotConfig config = bot_.config;
  config.guardrails.denied_terms = {"competitor"};
  config.guardrails.refusal_message = "I can only talk about Northwind.";
  config.guardrails.max_input_chars = 50;
  ASSERT_TRUE(engine_->UpdateBot(bot_, config).ok());
  const std::string id = NewConversation();
  auto refused = chat_->Send(alice_, id, "Is the competitor cheaper?", ChatStream{});
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->assistant.content, "I can only talk about Northwind.");
  auto too_long = chat_->Send(alice_, id, std::string(51, 'a'), ChatStream{});
  EXPECT_EQ(too_long.status().kind(), ErrorKind::kUnprocessable);
}

TEST_F(ChatTest, PrivateBotOfSomeoneElseIsNotReachableThroughAnOldConversation) {
  const std::string id = NewConversation();
  BotConfig config = bot_.config;
  config.visibility = "private";
  ASSERT_TRUE(engine_->UpdateBot(bot_, config).ok());
  EXPECT_EQ(chat_->Send(alice_, id, "warranty?", ChatStream{}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(ChatTest, AnotherUsersConversationDoesNotExist) {
  const std::string id = NewConversation("bob");
  auto turn = chat_->Send(alice_, id, "How long is the warranty?", ChatStream{});
  EXPECT_EQ(turn.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(conversations_->Messages(id, "bob")->size(), 0u) << "nothing stored for bob either";
}

TEST_F(ChatTest, UnavailableModelDegradesToAnExtractiveAnswerWithANotice) {
  BotConfig config = bot_.config;
  config.model.provider = "openai";
  config.model.model_id = "llama3.1:8b";
  ASSERT_TRUE(engine_->UpdateBot(bot_, config).ok());
  const std::string id = NewConversation();
  std::string notice;
  ChatStream stream;
  stream.on_notice = [&](std::string_view n) {
    notice = std::string(n);
    return true;
  };
  auto turn = chat_->Send(alice_, id, "Can I return a bike after 30 days?", stream);
  ASSERT_TRUE(turn.ok()) << turn.status().ToString();
  EXPECT_EQ(notice, kDegradedNotice);
  EXPECT_EQ(turn->assistant.status, MessageStatus::kComplete);
  EXPECT_EQ(turn->assistant.provider, "extractive");
  EXPECT_NE(turn->assistant.content.find("30 days"), std::string::npos);
}

TEST_F(ChatTest, ClientDisconnectStopsTheAnswerAndKeepsWhatWasSaid) {
  const std::string id = NewConversation();
  int deltas = 0;
  ChatStream stream;
  stream.on_delta = [&](std::string_view) { return ++deltas < 3; };
  auto turn = chat_->Send(alice_, id, "How long is the warranty on the frame?", stream);
  ASSERT_TRUE(turn.ok()) << turn.status().ToString();
  EXPECT_EQ(turn->assistant.status, MessageStatus::kStopped);
  EXPECT_FALSE(turn->assistant.content.empty());
  EXPECT_EQ(deltas, 3);
  // A stopped answer is not history for the next question.
  EXPECT_TRUE(conversations_->History(id, 5)->empty());
}

TEST_F(ChatTest, UsageAddsUpOverAnswers) {
  const std::string id = NewConversation();
  int64_t input = 0, output = 0;
  for (const char* q : {"How long is the frame warranty?", "Can I return a bike?"}) {
    auto turn = chat_->Send(alice_, id, q, ChatStream{});
    ASSERT_TRUE(turn.ok());
    input += turn->assistant.input_tokens;
    output += turn->assistant.output_tokens;
  }
  auto rows = UsageTotals(*db_, 0, INT64_MAX / 2, UsageGroupBy::kUser);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].key, "alice");
  EXPECT_EQ((*rows)[0].messages, 2);
  EXPECT_EQ((*rows)[0].input_tokens, input);
  EXPECT_EQ((*rows)[0].output_tokens, output);
}

}  // namespace
}  // namespace ragd
