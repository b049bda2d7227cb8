#include "engine/usage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "core/schema.h"
#include "engine/conversation_store.h"

namespace ragd {
namespace {

using std::chrono::milliseconds;

// 2026-03-01T00:00:00Z
constexpr int64_t kMarch1 = 1772323200000;
constexpr int64_t kDay = 86'400'000;

class UsageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ragd_usage_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = Database::Open((dir_ / "ragd.db").string(), RagdMigrations());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    store_ = std::make_unique<ConversationStore>(*db_, clock_);
    hr_ = AddBot("hr");
    it_ = AddBot("it");
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

  // One answered question at `at_ms`; returns the stored answer.
  Message Answer(const Conversation& c, int64_t at_ms, int64_t in, int64_t out, double cost,
                 MessageStatus status = MessageStatus::kComplete) {
    clock_.Set(std::chrono::system_clock::time_point(milliseconds(at_ms)));
    auto q = store_->AppendUserMessage(c.id, c.owner_key_id, "question", false);
    EXPECT_TRUE(q.ok());
    AssistantOutcome o;
    o.content = "answer";
    o.status = status;
    o.usage = {in, out};
    o.cost_usd = cost;
    o.provider = "bedrock";
    o.model = "amazon.nova-micro-v1:0";
    auto a = store_->AddAssistantMessage(c.id, c.owner_key_id, q->id, o, false);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : Message{};
  }

  std::map<std::string, UsageRow> Totals(int64_t from, int64_t to, UsageGroupBy by) {
    auto rows = UsageTotals(*db_, from, to, by);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::map<std::string, UsageRow> out;
    if (rows.ok()) {
      for (const UsageRow& r : *rows) out[r.key] = r;
    }
    return out;
  }

  std::filesystem::path dir_;
  FakeClock clock_{std::chrono::system_clock::time_point(milliseconds(kMarch1))};
  std::unique_ptr<Database> db_;
  std::unique_ptr<ConversationStore> store_;
  int64_t hr_ = 0;
  int64_t it_ = 0;
};

TEST_F(UsageTest, TotalsByBotUserAndDayAddUpExactly) {
  Conversation alice_hr = *store_->Create(hr_, "key_alice", "");
  Conversation bob_hr = *store_->Create(hr_, "key_bob", "");
  Conversation alice_it = *store_->Create(it_, "key_alice", "");

  std::vector<Message> stored;
  // The last millisecond of March 1 and the first of March 2 land on different days.
  stored.push_back(Answer(alice_hr, kMarch1 + kDay - 1, 1000, 200, 0.000123457));
  stored.push_back(Answer(bob_hr, kMarch1 + kDay, 2000, 100, 0.000250001));
  stored.push_back(Answer(alice_it, kMarch1 + kDay + 5, 300, 30, 0.1));
  stored.push_back(Answer(alice_it, kMarch1 + 2 * kDay + 7, 0, 0, 0, MessageStatus::kError));
  stored.push_back(Answer(bob_hr, kMarch1 + 2 * kDay + 9, 500, 50, 0.2, MessageStatus::kStopped));

  int64_t in = 0, out = 0, nanos = 0;
  for (const Message& m : stored) {
    in += m.input_tokens;
    out += m.output_tokens;
    nanos += m.cost_nanousd;
  }
  const int64_t from = kMarch1, to = kMarch1 + 3 * kDay;

  for (UsageGroupBy by : {UsageGroupBy::kBot, UsageGroupBy::kUser, UsageGroupBy::kDay}) {
    int64_t n = 0, sum_in = 0, sum_out = 0, sum_nanos = 0;
    for (const auto& [key, row] : Totals(from, to, by)) {
      n += row.messages;
      sum_in += row.input_tokens;
      sum_out += row.output_tokens;
      sum_nanos += row.cost_nanousd;
    }
    EXPECT_EQ(n, 5);
    EXPECT_EQ(sum_in, in);
    EXPECT_EQ(sum_out, out);
    EXPECT_EQ(sum_nanos, nanos);
  }

  auto by_bot = Totals(from, to, UsageGroupBy::kBot);
  ASSERT_EQ(by_bot.size(), 2u);
  EXPECT_EQ(by_bot["hr"].bot_id, hr_);
  EXPECT_EQ(by_bot["hr"].messages, 3);
  EXPECT_EQ(by_bot["hr"].input_tokens, 3500);
  EXPECT_EQ(by_bot["hr"].cost_nanousd, 123457 + 250001 + 200000000);
  EXPECT_EQ(by_bot["it"].messages, 2);
  EXPECT_EQ(by_bot["it"].errors, 1);

  auto by_user = Totals(from, to, UsageGroupBy::kUser);
  ASSERT_EQ(by_user.size(), 2u);
  EXPECT_EQ(by_user["key_alice"].messages, 3);
  EXPECT_EQ(by_user["key_bob"].output_tokens, 150);

  auto by_day = Totals(from, to, UsageGroupBy::kDay);
  ASSERT_EQ(by_day.size(), 3u);
  EXPECT_EQ(by_day["2026-03-01"].messages, 1);
  EXPECT_EQ(by_day["2026-03-02"].messages, 2);
  EXPECT_EQ(by_day["2026-03-03"].messages, 2);
  auto days = UsageTotals(*db_, from, to, UsageGroupBy::kDay);
  ASSERT_TRUE(days.ok());
  EXPECT_EQ(days->front().key, "2026-03-01");
  EXPECT_EQ(days->back().key, "2026-03-03");

  // The range is half-open: [from, to).
  EXPECT_EQ(Totals(from, kMarch1 + kDay, UsageGroupBy::kDay).size(), 1u);
  EXPECT_EQ(Totals(kMarch1 + kDay, kMarch1 + kDay, UsageGroupBy::kDay).size(), 0u);
  EXPECT_EQ(UsageTotals(*db_, to, from, UsageGroupBy::kDay).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(UsageTest, ManySmallCostsSumWithoutRoundingDrift) {
  Conversation c = *store_->Create(hr_, "key_alice", "");
  for (int i = 0; i < 10; ++i) Answer(c, kMarch1 + i, 10, 10, 0.1);
  auto rows = UsageTotals(*db_, kMarch1, kMarch1 + kDay, UsageGroupBy::kBot);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].cost_nanousd, 1'000'000'000);
  EXPECT_EQ((*rows)[0].cost_usd(), 1.0);  // ten doubles 0.1 would sum to 0.9999999999999999
}

TEST_F(UsageTest, DeletedConversationStillCountsDeletedBotDoesNot) {
  Conversation c = *store_->Create(hr_, "key_alice", "");
  Conversation d = *store_->Create(it_, "key_alice", "");
  Answer(c, kMarch1 + 1, 100, 10, 0.001);
  Answer(d, kMarch1 + 2, 100, 10, 0.001);
  ASSERT_TRUE(store_->Delete(c.id, "key_alice").ok());
  auto by_bot = Totals(kMarch1, kMarch1 + kDay, UsageGroupBy::kBot);
  ASSERT_EQ(by_bot.size(), 2u);
  EXPECT_EQ(by_bot["hr"].messages, 1);

  ASSERT_TRUE(db_->Write([&](Connection& conn) -> Status {
                   RAGD_ASSIGN_OR_RETURN(Statement s,
                                         conn.Prepare("DELETE FROM bots WHERE id = ?"));
                   s.Bind(1, it_);
                   return s.Run();
                 })
                  .ok());
  by_bot = Totals(kMarch1, kMarch1 + kDay, UsageGroupBy::kBot);
  ASSERT_EQ(by_bot.size(), 1u);
  EXPECT_EQ(by_bot.count("hr"), 1u);
}

TEST_F(UsageTest, PendingAnswersAreNotCountedUntilFinished) {
  Conversation c = *store_->Create(hr_, "key_alice", "");
  auto q = store_->AppendUserMessage(c.id, "key_alice", "q", false);
  auto pending = store_->BeginAssistant(c.id, "key_alice", q->id);
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(Totals(kMarch1, kMarch1 + kDay, UsageGroupBy::kUser).empty());
  AssistantOutcome o;
  o.usage = {7, 3};
  ASSERT_TRUE(store_->FinishAssistant(pending->id, o, false).ok());
  EXPECT_EQ(Totals(kMarch1, kMarch1 + kDay, UsageGroupBy::kUser)["key_alice"].input_tokens, 7);
}

TEST(UsageGroupByTest, Parses) {
  EXPECT_EQ(*ParseUsageGroupBy("bot"), UsageGroupBy::kBot);
  EXPECT_EQ(*ParseUsageGroupBy("user"), UsageGroupBy::kUser);
  EXPECT_EQ(*ParseUsageGroupBy("day"), UsageGroupBy::kDay);
  Status bad = ParseUsageGroupBy("week").status();
  EXPECT_EQ(bad.kind(), ErrorKind::kUnprocessable);
  EXPECT_THAT(bad.message(), ::testing::HasSubstr("group_by"));
}

}  // namespace
}  // namespace ragd
