#include "engine/providers/extractive_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/chunking/chunker.h"

namespace ragd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

SourcePassage Source(int number, std::string title, std::vector<std::string> headings,
                     std::string text) {
  SourcePassage s;
  s.number = number;
  s.chunk_id = number * 10;
  s.document_id = "doc-" + std::to_string(number);
  s.title = std::move(title);
  s.heading_path = std::move(headings);
  s.text = std::move(text);
  return s;
}

// A small shop's knowledge base: three passages that share vocabulary (days, items, cover).
std::vector<SourcePassage> ShopSources() {
  return {
      Source(
          1, "Returns policy", {"Returns policy"},
          "Returns policy\n\nYou can return unused items within 30 days of delivery for a full "
          "refund. Items must be in their original packaging. Refunds are issued to the original "
          "payment method within 5 business days after we receive the item."),
      Source(2, "Warranty", {"Warranty"},
             "Warranty\n\nAll appliances come with a two-year warranty covering manufacturing "
             "defects. The warranty does not cover accidental damage or normal wear. To make a "
             "warranty claim, contact support with your order number."),
      Source(3, "Shipping", {"Shipping"},
             "Shipping\n\nStandard delivery takes 3 to 5 business days. Express delivery is "
             "available for an extra fee of 9 EUR."),
  };
}

struct Reply {
  StatusOr<LlmResult> result;
  std::vector<std::string> deltas;
};

Reply Ask(const std::string& question, const std::vector<SourcePassage>& sources,
          const ExtractiveOptions& options = {}, int max_tokens = 1024) {
  LlmRequest request;
  request.question = question;
  request.sources = sources;
  request.generation.max_tokens = max_tokens;
  std::vector<std::string> deltas;
  auto provider = NewExtractiveProvider(options);
  StatusOr<LlmResult> result = provider->Generate(request, [&](std::string_view d) {
    deltas.emplace_back(d);
    return true;
  });
  return {std::move(result), std::move(deltas)};
}

std::string Collapse(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

// Splits "s1 [1] s2 [3]" into (sentence, citation) pairs; fails if text is left uncited.
std::vector<std::pair<std::string, int>> Cited(const std::string& answer) {
  std::vector<std::pair<std::string, int>> out;
  size_t begin = 0;
  while (begin < answer.size()) {
    const size_t open = answer.find(" [", begin);
    if (open == std::string::npos) {
      ADD_FAILURE() << "uncited text: " << answer.substr(begin);
      break;
    }
    const size_t close = answer.find(']', open);
    EXPECT_NE(close, std::string::npos);
    out.emplace_back(answer.substr(begin, open - begin),
                     std::stoi(answer.substr(open + 2, close - open - 2)));
    begin = close + 1;
    if (begin < answer.size()) {
      EXPECT_EQ(answer[begin], ' ');
      ++begin;
    }
  }
  return out;
}

// Every sentence of the answer is copied from the source it cites.
void ExpectOnlySourceSentences(const std::string& answer,
                               const std::vector<SourcePassage>& sources) {
  for (const auto& [sentence, number] : Cited(answer)) {
    ASSERT_GE(number, 1);
    ASSERT_LE(number, static_cast<int>(sources.size()));
    EXPECT_THAT(Collapse(sources[number - 1].text), HasSubstr(sentence))
        << "[" << number << "] does not contain: " << sentence;
  }
}

TEST(ExtractiveProviderTest, PicksTheSentenceThatAnswersOverDistractors) {
  const auto sources = ShopSources();
  Reply r = Ask("How many days do I have to return an item?", sources);
  ASSERT_TRUE(r.result.ok()) << r.result.status().ToString();
  const std::string& answer = r.result->text;
  EXPECT_THAT(answer, StartsWith("You can return unused items within 30 days of delivery for a "
                                 "full refund. [1]"));
  ExpectOnlySourceSentences(answer, sources);
  for (const auto& [sentence, number] : Cited(answer)) EXPECT_EQ(number, 1) << sentence;
  EXPECT_EQ(r.result->stop_reason, "end_turn");
}

TEST(ExtractiveProviderTest, CitesTheSourceThatAnswersEvenWhenRankedLower) {
  const auto sources = ShopSources();
  Reply r = Ask("Is accidental damage covered?", sources);
  ASSERT_TRUE(r.result.ok());
  EXPECT_THAT(r.result->text,
              StartsWith("The warranty does not cover accidental damage or normal wear. [2]"));
  ExpectOnlySourceSentences(r.result->text, sources);

  Reply express = Ask("How much does express delivery cost?", sources);
  ASSERT_TRUE(express.result.ok());
  EXPECT_THAT(express.result->text,
              StartsWith("Express delivery is available for an extra fee of 9 EUR. [3]"));
}

TEST(ExtractiveProviderTest, FindsAnFaqAnswerThroughItsQuestionAndNeverQuotesQuestions) {
  const std::vector<SourcePassage> sources = {
      Source(1, "Account help", {"Account help"},
             "Can I change my username?\nUsernames cannot be changed after sign-up, but you can "
             "change your display name."),
      Source(2, "Account help", {"Account help"},
             "How do I reset my password?\nOpen Settings, choose Account and press Reset "
             "password. A link arrives by email within five minutes."),
  };
  Reply r = Ask("How can I reset my password?", sources);
  ASSERT_TRUE(r.result.ok());
  EXPECT_THAT(r.result->text,
              StartsWith("Open Settings, choose Account and press Reset password. [2]"));
  EXPECT_THAT(r.result->text, Not(HasSubstr("?")));
  ExpectOnlySourceSentences(r.result->text, sources);
}

TEST(ExtractiveProviderTest, SaysItCannotFindWhatTheSourcesDoNotSay) {
  const auto sources = ShopSources();
  for (const std::string question :
       {"What are your opening hours on Sundays?", "Can I exchange a kettle for another colour?",
        "What is this?"}) {
    Reply r = Ask(question, sources);
    ASSERT_TRUE(r.result.ok());
    EXPECT_EQ(r.result->text, kExtractiveNoAnswer) << question;
    EXPECT_EQ(r.result->stop_reason, "end_turn");
  }
  Reply none = Ask("How many days do I have to return an item?", {});
  ASSERT_TRUE(none.result.ok());
  EXPECT_EQ(none.result->text, kExtractiveNoAnswer);
}

TEST(ExtractiveProviderTest, StreamsWordByWordAndCountsUsage) {
  const auto sources = ShopSources();
  const std::string question = "Does the warranty cover manufacturing defects?";
  Reply r = Ask(question, sources);
  ASSERT_TRUE(r.result.ok());
  std::string joined;
  for (const std::string& d : r.deltas) {
    joined += d;
    const std::string word = d.substr(0, d.find_last_not_of(' ') + 1);
    EXPECT_FALSE(word.empty());
    EXPECT_EQ(word.find(' '), std::string::npos) << "one word per delta: '" << d << "'";
  }
  EXPECT_EQ(joined, r.result->text);
  EXPECT_GT(r.deltas.size(), 8u);
  int64_t input = CountTokens(question);
  for (const SourcePassage& s : sources) input += CountTokens(s.text);
  EXPECT_EQ(r.result->usage.input_tokens, input);
  EXPECT_EQ(r.result->usage.output_tokens, CountTokens(r.result->text));
}

TEST(ExtractiveProviderTest, StopsPromptlyWhenTheClientGoesAway) {
  LlmRequest request;
  request.question = "How many days do I have to return an item?";
  request.sources = ShopSources();
  int calls = 0;
  auto provider = NewExtractiveProvider();
  StatusOr<LlmResult> result =
      provider->Generate(request, [&](std::string_view) { return ++calls < 3; });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 3);
}

TEST(ExtractiveProviderTest, IsDeterministicAndDeduplicatesOverlappingPassages) {
  auto sources = ShopSources();
  // Overlapping chunks repeat a sentence: quote it once.
  sources.push_back(Source(4, "Returns policy", {"Returns policy"},
                           "Refunds are issued to the original payment method within 5 business "
                           "days after we receive the item. Store credit never expires."));
  const std::string question = "When are refunds issued to the payment method?";
  Reply first = Ask(question, sources);
  ASSERT_TRUE(first.result.ok());
  const std::string& answer = first.result->text;
  const std::string refund = "Refunds are issued to the original payment method";
  ASSERT_THAT(answer, HasSubstr(refund));
  EXPECT_EQ(answer.find(refund), answer.rfind(refund)) << answer;
  ExpectOnlySourceSentences(answer, sources);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Ask(question, sources).result->text, answer);
}

TEST(ExtractiveProviderTest, RespectsSentenceAndTokenLimits) {
  const auto sources = ShopSources();
  ExtractiveOptions one;
  one.max_sentences = 1;
  Reply r = Ask("Does the warranty cover damage?", sources, one);
  ASSERT_TRUE(r.result.ok());
  EXPECT_EQ(Cited(r.result->text).size(), 1u);

  std::string rambling = "The warranty";  // one 60-word sentence
  for (int i = 0; i < 58; ++i) rambling += " covers";
  ExtractiveOptions short_answers;
  short_answers.max_words = 10;
  Reply clipped = Ask("What does the warranty cover?",
                      {Source(1, "", {}, rambling + " everything.")}, short_answers);
  ASSERT_TRUE(clipped.result.ok());
  EXPECT_EQ(clipped.result->text,
            "The warranty covers covers covers covers covers covers covers covers [1]");

  Reply cut = Ask("How many days do I have to return an item?", sources, {}, 5);
  ASSERT_TRUE(cut.result.ok());
  EXPECT_EQ(cut.result->stop_reason, "max_tokens");
  EXPECT_LE(cut.result->usage.output_tokens, 5);
  EXPECT_THAT(cut.result->text, StartsWith("You can return"));
}

TEST(ExtractiveProviderTest, FallsBackToTheLastUserMessage) {
  LlmRequest request;
  request.messages = {{LlmMessage::Role::kUser, "Hello"},
                      {LlmMessage::Role::kAssistant, "Hi!"},
                      {LlmMessage::Role::kUser, "How long does standard delivery take?"}};
  request.sources = ShopSources();
  StatusOr<LlmResult> result = NewExtractiveProvider()->Generate(request, nullptr);
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result->text, StartsWith("Standard delivery takes 3 to 5 business days. [3]"));
  EXPECT_EQ(NewExtractiveProvider()->name(), "extractive");
}

TEST(ExtractiveProviderTest, AnswersInOtherLanguagesAndSurvivesBadBytes) {
  const std::vector<SourcePassage> german = {
      Source(1, "Garantie", {},
             "Die Garantie gilt zwei Jahre ab Kaufdatum. Für Schäden durch "
             "Stürze übernehmen wir keine Haftung."),
      Source(2, "Versand", {}, "Der Versand dauert drei bis fünf Werktage.")};
  Reply de = Ask("Wie lange gilt die Garantie?", german);
  ASSERT_TRUE(de.result.ok());
  EXPECT_THAT(de.result->text, StartsWith("Die Garantie gilt zwei Jahre ab Kaufdatum. [1]"));

  const std::vector<SourcePassage> japanese = {
      Source(1, "送料", {}, "送料は全国一律五百円です。"),
      Source(2, "保証", {}, "保証期間はお買い上げから二年間です。修理は無料です。")};
  Reply ja = Ask("保証期間は何年ですか？", japanese);
  ASSERT_TRUE(ja.result.ok());
  EXPECT_THAT(ja.result->text, StartsWith("保証期間はお買い上げから二年間です。 [2]"));

  const std::vector<SourcePassage> junk = {
      Source(1, "\xff", {"\xc3"}, "Bad \xff\xfe bytes here. Returns \xe2\x82 are fine."),
      Source(2, "", {}, "")};
  Reply bad = Ask("returns \xff?", junk);
  ASSERT_TRUE(bad.result.ok());
  EXPECT_FALSE(bad.result->text.empty());
}

}  // namespace
}  // namespace ragd
