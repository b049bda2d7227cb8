#include "engine/conversation_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "core/schema.h"
#include "engine/guardrails.h"

namespace ragd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kAlice = "key_alice";
constexpr std::string_view kBob = "key_bob";

class ConversationStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ragd_conv_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = Database::Open((dir_ / "ragd.db").string(), RagdMigrations());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    bot_id_ = AddBot("support");
    store_ = std::make_unique<ConversationStore>(*db_, clock_);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  int64_t AddBot(const std::string& key) {
    int64_t id = 0;
    EXPECT_TRUE(db_->Write([&](Connection& conn) -> Status {
                     RAGD_ASSIGN_OR_RETURN(
                         Statement s,
                         conn.Prepare("INSERT INTO bots (key, owner_key_id, visibility, config, "
                                      "embedder_id, created_at_ms, updated_at_ms) VALUES (?, "
                                      "'key_admin', 'shared', '{}', 'hashing', 0, 0)"));
                     s.Bind(1, key);
                     RAGD_RETURN_IF_ERROR(s.Run());
                     id = conn.LastInsertRowId();
                     return OkStatus();
                   })
                    .ok());
    return id;
  }

  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    EXPECT_TRUE(db_->Read([&](Connection& c) -> Status {
                     RAGD_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
                     RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
                     if (row) n = st.Int(0);
                     return OkStatus();
                   })
                    .ok());
    return n;
  }

  Conversation NewConversation(std::string_view owner = kAlice, std::string_view title = "") {
    auto c = store_->Create(bot_id_, owner, title);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : Conversation{};
  }

  // A user question and its answer with the given status.
  void AddTurn(const Conversation& c, const std::string& question, const std::string& answer,
               MessageStatus status = MessageStatus::kComplete) {
    auto q = store_->AppendUserMessage(c.id, c.owner_key_id, question, false);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    AssistantOutcome outcome;
    outcome.content = answer;
    outcome.status = status;
    auto a = store_->AddAssistantMessage(c.id, c.owner_key_id, q->id, outcome, false);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
  }

  std::filesystem::path dir_;
  FakeClock clock_{
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1'780'000'000'000))};
  std::unique_ptr<Database> db_;
  std::unique_ptr<ConversationStore> store_;
  int64_t bot_id_ = 0;
};

TEST_F(ConversationStoreTest, AnotherUsersConversationIsNotFound) {
  Conversation c = NewConversation(kAlice, "Leave policy");
  ASSERT_TRUE(store_->AppendUserMessage(c.id, kAlice, "How many days?", false).ok());

  EXPECT_TRUE(store_->Get(c.id, kAlice).ok());
  EXPECT_EQ(store_->Get(c.id, kBob).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("cnv_doesnotexist", kAlice).status().code(), StatusCode::kNotFound);
  // Same answer as for an id that does not exist: nothing leaks.
  EXPECT_EQ(store_->Get(c.id, kBob).status(), store_->Get("cnv_nope", kBob).status());
  EXPECT_EQ(store_->Messages(c.id, kBob).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->AppendUserMessage(c.id, kBob, "hi", false).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->Rename(c.id, kBob, "mine").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete(c.id, kBob).code(), StatusCode::kNotFound);
  auto bobs = store_->List(kBob, 50, "");
  ASSERT_TRUE(bobs.ok());
  EXPECT_TRUE(bobs->conversations.empty());
  // Still intact for its owner.
  auto msgs = store_->Messages(c.id, kAlice);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ(store_->Get(c.id, kAlice)->title, "Leave policy");
}

TEST_F(ConversationStoreTest, CreateChecksBotAndTitle) {
  EXPECT_EQ(store_->Create(bot_id_ + 100, kAlice, "").status().code(), StatusCode::kNotFound);
  Status too_long = store_->Create(bot_id_, kAlice, std::string(201, 'x')).status();
  EXPECT_EQ(too_long.kind(), ErrorKind::kUnprocessable);
  EXPECT_THAT(too_long.message(), HasSubstr("title"));
  // 200 characters of 2-byte letters are fine: the limit counts characters, not bytes.
  std::string accents;
  for (int i = 0; i < 200; ++i) accents += "é";
  EXPECT_TRUE(store_->Create(bot_id_, kAlice, accents).ok());
}

TEST_F(ConversationStoreTest, TitleDefaultsToFirstUserMessage) {
  Conversation c = NewConversation();
  EXPECT_EQ(c.title, "");
  const std::string first =
      "What is the reimbursement policy for international travel booked through the portal "
      "and approved afterwards?";
  ASSERT_TRUE(store_->AppendUserMessage(c.id, kAlice, first, false).ok());
  ASSERT_TRUE(store_->AppendUserMessage(c.id, kAlice, "And for trains?", false).ok());
  const std::string title = store_->Get(c.id, kAlice)->title;
  EXPECT_EQ(title, "What is the reimbursement policy for international travel…");
  EXPECT_LE(CodePointCount(title), 61);

  Conversation named = NewConversation(kAlice, "  Travel  ");
  EXPECT_EQ(named.title, "Travel");
  ASSERT_TRUE(store_->AppendUserMessage(named.id, kAlice, first, false).ok());
  EXPECT_EQ(store_->Get(named.id, kAlice)->title, "Travel");
}

TEST_F(ConversationStoreTest, DefaultTitleRules) {
  EXPECT_EQ(DefaultConversationTitle("  Short\n\tquestion?  "), "Short question?");
  // No spaces (Chinese): cut at 60 characters, never inside a UTF-8 sequence.
  std::string chinese;
  for (int i = 0; i < 80; ++i) chinese += "假";
  const std::string t = DefaultConversationTitle(chinese);
  EXPECT_EQ(CodePointCount(t), 61);
  EXPECT_TRUE(t.ends_with("假…"));
  // A single very long word is cut, not left empty.
  EXPECT_EQ(CodePointCount(DefaultConversationTitle(std::string(100, 'a'))), 61);
  // Trailing punctuation before the cut is dropped.
  const std::string comma = std::string(50, 'a') + ", " + std::string(20, 'b');
  EXPECT_EQ(DefaultConversationTitle(comma), std::string(50, 'a') + "…");
}

TEST_F(ConversationStoreTest, ListIsNewestFirstWithStableCursor) {
  std::vector<std::string> created;
  for (int i = 0; i < 7; ++i) {
    created.push_back(NewConversation().id);
    // Pairs share a timestamp, so the id tie-break matters.
    if (i % 2 == 1) clock_.Advance(std::chrono::milliseconds(5));
  }
  NewConversation(kBob);  // never listed for Alice

  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = store_->List(kAlice, 3, cursor);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_LE(page->conversations.size(), 3u);
    for (const Conversation& c : page->conversations) seen.push_back(c.id);
    cursor = page->next_cursor;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 7u);
  // Newest first: the last one created is listed first, the first one last.
  EXPECT_EQ(seen.front(), created.back());
  EXPECT_EQ(seen.back() == created[0] || seen.back() == created[1], true);

  // Activity moves a conversation to the front.
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(store_->AppendUserMessage(created[0], kAlice, "bump", false).ok());
  EXPECT_EQ(store_->List(kAlice, 1, "")->conversations[0].id, created[0]);

  Status bad = store_->List(kAlice, 3, "garbage").status();
  EXPECT_EQ(bad.kind(), ErrorKind::kUnprocessable);
  EXPECT_THAT(bad.message(), HasSubstr("cursor"));
  // Filter by bot.
  const int64_t other_bot = AddBot("other");
  ASSERT_TRUE(store_->Create(other_bot, kAlice, "elsewhere").ok());
  auto filtered = store_->List(kAlice, 100, "", other_bot);
  ASSERT_TRUE(filtered.ok());
  ASSERT_EQ(filtered->conversations.size(), 1u);
  EXPECT_EQ(filtered->conversations[0].title, "elsewhere");
}

TEST_F(ConversationStoreTest, RenameAndDelete) {
  Conversation c = NewConversation();
  EXPECT_EQ(store_->Rename(c.id, kAlice, "   ").status().kind(), ErrorKind::kUnprocessable);
  auto renamed = store_->Rename(c.id, kAlice, "Budget questions");
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(store_->Get(c.id, kAlice)->title, "Budget questions");
  AddTurn(c, "How is the travel budget approved?", "By your manager [1].");
  ASSERT_TRUE(store_->Delete(c.id, kAlice).ok());
  EXPECT_EQ(store_->Get(c.id, kAlice).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages"), 0);
  EXPECT_EQ(store_->Delete(c.id, kAlice).code(), StatusCode::kNotFound);
}

TEST_F(ConversationStoreTest, TurnLifecycleStoresEverything) {
  Conversation c = NewConversation();
  clock_.Advance(std::chrono::seconds(3));
  auto question = store_->AppendUserMessage(c.id, kAlice, "What is the notice period?", false);
  ASSERT_TRUE(question.ok());
  EXPECT_EQ(question->seq, 1);
  EXPECT_EQ(question->status, MessageStatus::kComplete);
  EXPECT_GT(store_->Get(c.id, kAlice)->updated_at_ms, c.updated_at_ms);

  auto pending = store_->BeginAssistant(c.id, kAlice, question->id);
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  EXPECT_EQ(pending->status, MessageStatus::kPending);
  EXPECT_EQ(pending->seq, 2);
  EXPECT_EQ(store_->Messages(c.id, kAlice)->at(1).status, MessageStatus::kPending);

  AssistantOutcome outcome;
  outcome.content = "Four weeks [1].";
  outcome.sources = {
      {1, 42, "doc_abc", "Handbook", 7, {"HR", "Leaving"}, "Notice: four weeks.", 0.8}};
  outcome.provider = "bedrock";
  outcome.model = "amazon.nova-micro-v1:0";
  outcome.usage = {1200, 35};
  outcome.cost_usd = 0.000046123;
  outcome.latency_ms = 850;
  outcome.stop_reason = "end_turn";
  outcome.notice = "served from cache";
  auto answer = store_->FinishAssistant(pending->id, outcome, false);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(store_->FinishAssistant(pending->id, outcome, false).status().code(),
            StatusCode::kFailedPrecondition);

  auto messages = store_->Messages(c.id, kAlice);
  ASSERT_TRUE(messages.ok());
  ASSERT_EQ(messages->size(), 2u);
  const Message& m = (*messages)[1];
  EXPECT_EQ(m.role, MessageRole::kAssistant);
  EXPECT_EQ(m.reply_to, question->id);
  EXPECT_EQ(m.content, "Four weeks [1].");
  EXPECT_EQ(m.status, MessageStatus::kComplete);
  ASSERT_EQ(m.sources.size(), 1u);
  EXPECT_EQ(m.sources[0].title, "Handbook");
  EXPECT_EQ(m.sources[0].page, 7);
  EXPECT_EQ(m.sources[0].chunk_id, 42);
  EXPECT_THAT(m.sources[0].heading_path, ElementsAre("HR", "Leaving"));
  EXPECT_EQ(m.sources[0].text, "Notice: four weeks.");
  EXPECT_EQ(m.provider, "bedrock");
  EXPECT_EQ(m.model, "amazon.nova-micro-v1:0");
  EXPECT_EQ(m.input_tokens, 1200);
  EXPECT_EQ(m.output_tokens, 35);
  EXPECT_EQ(m.cost_nanousd, 46123);
  EXPECT_EQ(m.latency_ms, 850);
  EXPECT_EQ(m.stop_reason, "end_turn");
  EXPECT_EQ(m.notice, "served from cache");
  EXPECT_EQ(m.error, "");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM usage_records"), 1);

  // An error turn keeps its error; a reply_to from elsewhere is refused.
  auto q2 = store_->AppendUserMessage(c.id, kAlice, "And for contractors?", false);
  AssistantOutcome failed;
  failed.status = MessageStatus::kError;
  failed.error = "the model is unavailable";
  auto e = store_->AddAssistantMessage(c.id, kAlice, q2->id, failed, false);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(store_->GetMessage(e->id, kAlice)->error, "the model is unavailable");
  EXPECT_EQ(store_->GetMessage(e->id, kBob).status().code(), StatusCode::kNotFound);
  Conversation other = NewConversation();
  EXPECT_EQ(store_->BeginAssistant(other.id, kAlice, q2->id).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->BeginAssistant(c.id, kAlice, answer->id).status().code(),
            StatusCode::kInvalidArgument);
  AssistantOutcome negative;
  negative.cost_usd = -1;
  EXPECT_FALSE(store_->AddAssistantMessage(c.id, kAlice, q2->id, negative, false).ok());
}

TEST_F(ConversationStoreTest, HistoryHasCompleteTurnsOnlyOldestFirst) {
  Conversation c = NewConversation();
  AddTurn(c, "q1", "a1");
  AddTurn(c, "q2", "a2 (stopped)", MessageStatus::kStopped);
  AddTurn(c, "q3", "a3 (failed)", MessageStatus::kError);
  AddTurn(c, "q4", "a4");
  ASSERT_TRUE(store_->AppendUserMessage(c.id, kAlice, "q5 (current)", false).ok());

  auto history = store_->History(c.id, 10);
  ASSERT_TRUE(history.ok());
  std::vector<std::string> texts;
  for (const LlmMessage& m : *history) {
    texts.push_back((m.role == LlmMessage::Role::kUser ? "U:" : "A:") + m.text);
  }
  EXPECT_THAT(texts, ElementsAre("U:q1", "A:a1", "U:q4", "A:a4"));
  auto last = store_->History(c.id, 1);
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ((*last)[0].text, "q4");
  EXPECT_TRUE(store_->History(c.id, 0)->empty());
}

TEST_F(ConversationStoreTest, RedactsPiiWhenTheBotAsks) {
  Conversation c = NewConversation();
  auto q = store_->AppendUserMessage(c.id, kAlice,
                                     "I am jane.roe@example.com, call +44 20 7946 0958", true);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->content, "I am [EMAIL], call [PHONE]");
  EXPECT_EQ(store_->Get(c.id, kAlice)->title, "I am [EMAIL], call [PHONE]");
  AssistantOutcome outcome;
  outcome.content = "Noted, jane.roe@example.com.";
  auto a = store_->AddAssistantMessage(c.id, kAlice, q->id, outcome, true);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(store_->Messages(c.id, kAlice)->at(1).content, "Noted, [EMAIL].");
  EXPECT_TRUE(store_->Search(kAlice, "jane", 10)->empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages WHERE content LIKE '%jane%'"), 0);

  auto plain = store_->AppendUserMessage(c.id, kAlice, "jane.roe@example.com again", false);
  EXPECT_EQ(plain->content, "jane.roe@example.com again");
}

TEST_F(ConversationStoreTest, FeedbackIsValidatedAndStored) {
  Conversation c = NewConversation();
  AddTurn(c, "What is the notice period?", "Four weeks [1].");
  auto messages = store_->Messages(c.id, kAlice);
  const Message question = (*messages)[0];
  const Message answer = (*messages)[1];

  auto field_of = [&](const Feedback& f) {
    Status s = store_->SetFeedback(answer.id, kAlice, f).status();
    EXPECT_EQ(s.kind(), ErrorKind::kUnprocessable) << s.ToString();
    return s.message().substr(0, s.message().find(':'));
  };
  EXPECT_EQ(field_of({"meh", "", "", 0}), "rating");
  EXPECT_EQ(field_of({"", "", "", 0}), "rating");
  EXPECT_EQ(field_of({"down", "rude", "", 0}), "category");
  EXPECT_EQ(field_of({"down", "inaccurate", std::string(2001, 'x'), 0}), "comment");

  clock_.Advance(std::chrono::seconds(10));
  auto set = store_->SetFeedback(answer.id, kAlice, {"down", "inaccurate", "It is 30 days.", 0});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  const Message stored = store_->GetMessage(answer.id, kAlice).value();
  ASSERT_TRUE(stored.feedback.has_value());
  EXPECT_EQ(stored.feedback->rating, "down");
  EXPECT_EQ(stored.feedback->category, "inaccurate");
  EXPECT_EQ(stored.feedback->comment, "It is 30 days.");
  EXPECT_EQ(stored.feedback->at_ms, UnixMillis(clock_.Now()));
  // Replaced by a later vote; cleared on request.
  ASSERT_TRUE(store_->SetFeedback(answer.id, kAlice, {"up", "", "", 0}).ok());
  EXPECT_EQ(store_->GetMessage(answer.id, kAlice)->feedback->rating, "up");
  ASSERT_TRUE(store_->ClearFeedback(answer.id, kAlice).ok());
  EXPECT_FALSE(store_->GetMessage(answer.id, kAlice)->feedback.has_value());

  EXPECT_EQ(store_->SetFeedback(question.id, kAlice, {"up", "", "", 0}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->SetFeedback(answer.id, kBob, {"up", "", "", 0}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->SetFeedback("msg_nope", kAlice, {"up", "", "", 0}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(ConversationStoreTest, SearchFindsOnlyTheCallersMessages) {
  Conversation mine = NewConversation(kAlice, "Refunds");
  AddTurn(mine, "How do refunds work for cancelled flights?", "Refunds take 7 days [1].");
  AddTurn(mine, "Is the café open on Sundays?", "Yes [2].");
  Conversation theirs = NewConversation(kBob);
  AddTurn(theirs, "Refund for my hotel?", "No [1].");

  auto hits = store_->Search(kAlice, "refund", 10);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 2u);  // prefix: "refund" matches "refunds"
  for (const MessageSearchHit& h : *hits) {
    EXPECT_EQ(h.conversation_id, mine.id);
    EXPECT_EQ(h.conversation_title, "Refunds");
    EXPECT_THAT(h.snippet, HasSubstr("efunds"));
  }
  // Every word must occur; case and accents do not matter.
  EXPECT_EQ(store_->Search(kAlice, "REFUNDS flights", 10)->size(), 1u);
  EXPECT_EQ(store_->Search(kAlice, "refunds hotel", 10)->size(), 0u);
  auto cafe = store_->Search(kAlice, "CAFE sundays", 10);
  ASSERT_EQ(cafe->size(), 1u);
  EXPECT_EQ(cafe->at(0).role, MessageRole::kUser);
  EXPECT_EQ(store_->Search(kBob, "refund", 10)->size(), 1u);
  EXPECT_EQ(store_->Search(kAlice, "refund", 1)->size(), 1u);
}

TEST_F(ConversationStoreTest, SearchTakesQuerySyntaxLiterally) {
  Conversation c = NewConversation();
  AddTurn(c, "What's the refund policy: \"full\" or partial?", "Full refund [1].");
  for (std::string_view q : {"\"",
                             "refund\"",
                             "a:b",
                             "*",
                             "refund*",
                             "NEAR(refund",
                             "AND",
                             "-refund",
                             "^refund",
                             "refund OR",
                             "\"unbalanced",
                             "content:refund",
                             "refund:",
                             "(",
                             ")",
                             "{content}: x",
                             "'; DROP TABLE messages; --",
                             "\xe2\x80\x9crefund\xe2\x80\x9d",
                             "NOT",
                             "refund AND NOT"}) {
    auto hits = store_->Search(kAlice, q, 10);
    EXPECT_TRUE(hits.ok()) << q << ": " << hits.status().ToString();
  }
  EXPECT_EQ(store_->Search(kAlice, "refund:", 10)->size(), 2u);
  EXPECT_EQ(store_->Search(kAlice, "\"full\"", 10)->size(), 2u);
  EXPECT_EQ(store_->Search(kAlice, "policy: partial?", 10)->size(), 1u);
  EXPECT_TRUE(store_->Search(kAlice, "   ", 10)->empty());
  EXPECT_TRUE(store_->Search(kAlice, "?!", 10)->empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages"), 2);
  EXPECT_EQ(SafeFtsQuery("a\"b  c*"), "\"a\"\"b\"* \"c*\"*");
}

TEST_F(ConversationStoreTest, DeletingKeepsSearchIndexConsistentAndUsage) {
  Conversation c = NewConversation();
  AddTurn(c, "parental leave duration", "Sixteen weeks [1].");
  Conversation keep = NewConversation();
  AddTurn(keep, "parental leave for fathers", "Ten weeks [2].");
  ASSERT_EQ(store_->Search(kAlice, "parental", 10)->size(), 2u);
  ASSERT_TRUE(store_->Delete(c.id, kAlice).ok());
  EXPECT_EQ(store_->Search(kAlice, "parental", 10)->size(), 1u);
  EXPECT_TRUE(store_->Search(kAlice, "sixteen", 10)->empty());
  EXPECT_TRUE(
      db_->Write([](Connection& conn) {
           return conn.Exec(
               "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)");
         })
          .ok());
  // The spend of the deleted conversation stays on the books.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM usage_records"), 2);
}

TEST_F(ConversationStoreTest, PendingAnswersFailAfterACrash) {
  Conversation c = NewConversation();
  auto q = store_->AppendUserMessage(c.id, kAlice, "question", false);
  auto pending = store_->BeginAssistant(c.id, kAlice, q->id);
  ASSERT_TRUE(pending.ok());
  auto failed = store_->FailPendingMessages("interrupted by a restart");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(*failed, 1);
  const Message m = store_->GetMessage(pending->id, kAlice).value();
  EXPECT_EQ(m.status, MessageStatus::kError);
  EXPECT_EQ(m.error, "interrupted by a restart");
  EXPECT_EQ(*store_->FailPendingMessages("again"), 0);
}

TEST_F(ConversationStoreTest, ConcurrentTurnsGetDistinctSequenceNumbers) {
  Conversation c = NewConversation();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto q = store_->AppendUserMessage(c.id, kAlice, "q" + std::to_string(t), false);
        EXPECT_TRUE(q.ok()) << q.status().ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  auto messages = store_->Messages(c.id, kAlice);
  ASSERT_EQ(messages->size(), 40u);
  for (size_t i = 0; i < messages->size(); ++i) EXPECT_EQ((*messages)[i].seq, int64_t(i) + 1);
}

}  // namespace
}  // namespace ragd
