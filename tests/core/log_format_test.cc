// The direct JSON formatter behind log lines must produce exactly what nlohmann::json::dump
// produced before (the lines are parsed by users and tests).
#include "core/log_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace ragd {
namespace {

std::string Direct(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

std::string Nlohmann(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(LogFormatTest, EscapingMatchesNlohmannOnTrickyStrings) {
  std::vector<std::string> cases = {
      "",
      "plain /v1/me",
      "quote \" backslash \\ slash /",
      "tab\tnew\nline\rcr\bbs\fff",
      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xE4\xB8\xAD",  // 2, 3 and 4-byte UTF-8
      "\x7F del is not escaped",
      "lone continuation \x80 here",
      "truncated at end \xE2\x82",
      "truncated then ascii \xE2\x82x",
      "overlong \xC0\x80 and \xE0\x80\x80",
      "surrogate \xED\xA0\x80",
      "above max \xF4\x90\x80\x80",
      "invalid lead \xF8\x88\x80\x80\x80 and \xFF",
      "\xC3",
      "\xF0\x9F\x98",
  };
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls.push_back(static_cast<char>(c));
  cases.push_back(controls);
  for (const std::string& s : cases) EXPECT_EQ(Direct(s), Nlohmann(s)) << "input: " << s;
}

TEST(LogFormatTest, EscapingMatchesNlohmannOnRandomBytes) {
  std::mt19937 rng(1234);
  // Mostly high bytes and control characters: the parts where escaping and UTF-8 checks differ.
  const std::string alphabet = std::string("ab\"\\/\n\t\x01\x1F\x7F") +
                               "\x80\xBF\xC2\xC3\xDF\xE0\xE1\xED\xEF\xF0\xF4\xF5\xFF\x90\xA0\x9F";
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> len(0, 12);
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    for (int n = len(rng); n > 0; --n) s.push_back(alphabet[pick(rng)]);
    ASSERT_EQ(Direct(s), Nlohmann(s)) << "case " << i;
  }
}

TEST(LogFormatTest, NumbersMatchNlohmann) {
  for (double v : {0.0, -0.0, 1.0, 2.5, 0.001, 0.0001, 0.00001, 1.234, 12.345, 1e15, 1e16, 1e20,
                   123456789.125, -0.5, 1e-300, 1.7976931348623157e308, 3.14159}) {
    std::string out;
    AppendJsonDouble(out, v);
    EXPECT_EQ(out, nlohmann::json(v).dump()) << v;
  }
  // Every latency the access log can print ("ms" with microsecond resolution).
  for (int micros = 0; micros < 200000; micros += 7) {
    const double ms = std::round(micros * 1.0) / 1e3;
    std::string out;
    AppendJsonDouble(out, ms);
    ASSERT_EQ(out, nlohmann::json(ms).dump()) << micros;
  }
  std::string special;
  AppendJsonDouble(special, std::nan(""));
  EXPECT_EQ(special, "null");
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{200}, INT64_MIN, INT64_MAX}) {
    std::string out;
    AppendJsonInt(out, v);
    EXPECT_EQ(out, nlohmann::json(v).dump());
  }
}

TEST(LogFormatTest, RandomDoublesParseBackExactly) {
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> mant(-10, 10);
  std::uniform_int_distribution<int> exp(-30, 30);
  for (int i = 0; i < 5000; ++i) {
    const double v = mant(rng) * std::pow(10.0, exp(rng));
    std::string out;
    AppendJsonDouble(out, v);
    ASSERT_EQ(nlohmann::json::parse(out).get<double>(), v) << out;
  }
}

TEST(LogFormatTest, TimestampIsUtcWithMillis) {
  std::string ts;
  AppendUtcMillis(ts);
  ASSERT_EQ(ts.size(), 24u) << ts;
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts[19], '.');
  EXPECT_EQ(ts.back(), 'Z');
  std::string again;
  AppendUtcMillis(again);  // from the per-thread cache
  EXPECT_EQ(again.substr(0, 4), ts.substr(0, 4));
}

TEST(LogFormatTest, SecretNamesAndHints) {
  for (const char* name : {"api_key", "aws_secret_access_key", "session-token", "Password",
                           "x.Authorization", "cookie", "credentials"}) {
    EXPECT_TRUE(IsSecretFieldName(name)) << name;
  }
  for (const char* name : {"key_id", "max_tokens", "input_tokens", "route", "monkey", "", "id"}) {
    EXPECT_FALSE(IsSecretFieldName(name)) << name;
  }
  EXPECT_FALSE(MayHoldSecret("/v1/bots/{bot}/documents"));
  EXPECT_FALSE(MayHoldSecret("GET"));
  for (const char* text : {"rgd_abc", "Authorization: x", "?X-Amz-Signature=1", "x-amz-security",
                           "my secret", "AWS_SECRET", "Bearer abc", "aws_session_token=1"}) {
    EXPECT_TRUE(MayHoldSecret(text)) << text;
  }
}

}  // namespace
}  // namespace ragd
