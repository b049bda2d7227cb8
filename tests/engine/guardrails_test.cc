#include "engine/guardrails.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ragd {
namespace {

using ::testing::HasSubstr;

GuardrailsConfig WithTerms(std::vector<std::string> terms) {
  GuardrailsConfig config;
  config.denied_terms = std::move(terms);
  config.refusal_message = "I can only help with HR questions.";
  return config;
}

// The matched term, or "" when the text passes.
std::string Hit(const GuardrailsConfig& config, std::string_view text) {
  auto decision = CheckInput(config, text);
  EXPECT_TRUE(decision.ok()) << decision.status().ToString();
  if (!decision.ok() || !decision->refused) return "";
  EXPECT_EQ(decision->refusal_message, config.refusal_message);
  return decision->matched_term;
}

TEST(CheckInputTest, LengthCountsCharactersNotBytes) {
  GuardrailsConfig config;
  config.max_input_chars = 10;
  EXPECT_TRUE(CheckInput(config, "éééééééééé").ok());            // 10 characters, 20 bytes
  EXPECT_TRUE(CheckInput(config, "日本語の質問ですか？").ok());  // 10 characters, 30 bytes
  Status s = CheckInput(config, "😀😀😀😀😀😀😀😀😀😀😀").status();         // 11 characters
  EXPECT_EQ(s.kind(), ErrorKind::kUnprocessable);
  EXPECT_EQ(s.message(), "content: at most 10 characters");
  EXPECT_FALSE(CheckInput(config, "abcdefghijk").ok());
}

TEST(CheckInputTest, RejectsEmptyAndMalformedText) {
  GuardrailsConfig config;
  EXPECT_THAT(CheckInput(config, "").status().message(), HasSubstr("content"));
  EXPECT_EQ(CheckInput(config, " \n\t ").status().kind(), ErrorKind::kUnprocessable);
  EXPECT_THAT(CheckInput(config, "bad \xff byte").status().message(), HasSubstr("UTF-8"));
}

TEST(CheckInputTest, DeniedTermsMatchCaseInsensitivelyAsWords) {
  const GuardrailsConfig config = WithTerms({"Bitcoin", "ass", "gun", "credit card", "straße"});
  EXPECT_EQ(Hit(config, "How do I buy BITCOIN with my salary?"), "Bitcoin");
  EXPECT_EQ(Hit(config, "bitcoin."), "Bitcoin");
  EXPECT_EQ(Hit(config, "Can I bring guns to work?"), "gun");
  EXPECT_EQ(Hit(config, "Where do I enter my CREDIT\n  card?"), "credit card");
  // Unicode-aware folding: ß = SS, full-width letters, zero-width characters inside the word.
  EXPECT_EQ(Hit(config, "Wo ist die HAUPTSTRASSE?"), "");  // inside a longer word
  EXPECT_EQ(Hit(config, "Welche STRASSE ist gemeint?"), "straße");
  EXPECT_EQ(Hit(config, "ｂｉｔｃｏｉｎ please"), "Bitcoin");
  EXPECT_EQ(Hit(config, "bit\u200bcoin please"), "Bitcoin");

  // Not inside other words.
  EXPECT_EQ(Hit(config, "Which class do I assess for the gunther project?"), "");
  EXPECT_EQ(Hit(config, "What is my credit cardinality?"), "");
  EXPECT_EQ(Hit(config, "How many vacation days do I have?"), "");
}

TEST(CheckInputTest, TermsInScriptsWithoutSpacesMatchAnywhere) {
  const GuardrailsConfig config = WithTerms({"赌博", "ИГРА"});
  EXPECT_EQ(Hit(config, "公司里可以赌博吗？"), "赌博");
  EXPECT_EQ(Hit(config, "Это игра?"), "ИГРА");
  EXPECT_EQ(Hit(config, "Это игральный автомат?"), "");  // Cyrillic has word boundaries
  EXPECT_EQ(Hit(config, "公司里可以休假吗？"), "");
}

TEST(CheckInputTest, NoTermsMeansNoRefusal) {
  auto d = CheckInput(GuardrailsConfig{}, "anything at all");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->refused);
  EXPECT_EQ(Hit(WithTerms({"", "  "}), "blank terms are ignored"), "");
}

TEST(RedactPiiTest, Emails) {
  EXPECT_EQ(RedactPii("Write to jane.doe+billing@example.co.uk."), "Write to [EMAIL].");
  EXPECT_EQ(RedactPii("<ops-team@mail.corp-intra.com>, 'o'brien@x.io'"), "<[EMAIL]>, '[EMAIL]'");
  EXPECT_EQ(RedactPii("josé.garcía@correo.es escribió"), "[EMAIL] escribió");
  // Not addresses.
  EXPECT_EQ(RedactPii("ping @alice or user@localhost"), "ping @alice or user@localhost");
  EXPECT_EQ(RedactPii("price@5.00"), "price@5.00");
}

TEST(RedactPiiTest, PhoneNumbers) {
  for (const char* phone :
       {"+1 (415) 555-2671", "+44 20 7946 0958", "+44 (0)20 7946 0958", "+33 1 42 68 53 00",
        "+49-30-901820", "+91 98765 43210", "+14155552671", "(415) 555-2671", "415-555-2671",
        "415.555.2671", "415 555 2671", "1-800-555-0199", "1 (800) 555-0199"}) {
    EXPECT_EQ(RedactPii(std::string("Call ") + phone + " today"), "Call [PHONE] today") << phone;
  }
  EXPECT_EQ(RedactPii("Phones: 415-555-2671, +44 20 7946 0958."), "Phones: [PHONE], [PHONE].");
}

TEST(RedactPiiTest, CardNumbers) {
  for (const char* card : {"4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111",
                           "5555 5555 5555 4444", "3782 822463 10005", "378282246310005",
                           "3056 930902 5904", "4222222222222", "6011-1111-1111-1117"}) {
    EXPECT_EQ(RedactPii(std::string("card: ") + card + "."), "card: [CARD].") << card;
  }
  EXPECT_EQ(RedactPii("4111 1111 1111 1111 12/27"), "[CARD] 12/27");
}

TEST(RedactPiiTest, LeavesOrdinaryNumbersAlone) {
  for (const char* text :
       {"Due 2024-01-15 at 10:30", "Due 01/15/2024", "Due 15.01.2024",
        "Founded in 1999, renamed in 2024", "Costs $1,299.99 or € 1 299,00 or USD 12,345,678.90",
        "Order 4111111111111112 (bad checksum)", "ISBN 978-0-13-468599-1", "ISBN 9780134685991",
        "Host 192.168.100.200 port 8080", "Version 1.2.3 build 20240115",
        "pi is 3.14159265358979323846", "Ref 41-1111-1111-1111-11", "Call 555-0199 (7 digits)",
        "Timestamp 1700000000000", "3 +5 = 8 and +1 day", "ID4111111111111111",
        "Account 123-456-7890 (not a NANP number)", "Temperature -12.5"}) {
    EXPECT_EQ(RedactPii(text), text);
  }
}

TEST(RedactPiiTest, MixedMessage) {
  EXPECT_EQ(RedactPii("I'm Bob (bob@example.org, 415-555-2671); card 4111 1111 1111 1111 "
                      "exp 12/26, order #58213 from 2024-03-01."),
            "I'm Bob ([EMAIL], [PHONE]); card [CARD] exp 12/26, order #58213 from 2024-03-01.");
  EXPECT_EQ(RedactPii(""), "");
  EXPECT_EQ(RedactPii("日本語 のテキスト"), "日本語 のテキスト");
}

TEST(CodePointCountTest, Counts) {
  EXPECT_EQ(CodePointCount(""), 0);
  EXPECT_EQ(CodePointCount("abc"), 3);
  EXPECT_EQ(CodePointCount("é😀日"), 3);
}

}  // namespace
}  // namespace ragd
