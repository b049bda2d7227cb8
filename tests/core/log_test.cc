#include "core/log.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "core/log_fields.h"

namespace ragd {
namespace {

class LogCapture {
 public:
  LogCapture() {
    SetLogSink([this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.emplace_back(line);
    });
  }
  ~LogCapture() { SetLogSink(nullptr); }
  std::vector<nlohmann::json> Lines() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<nlohmann::json> out;
    for (const auto& l : lines_) out.push_back(nlohmann::json::parse(l));
    return out;
  }
  std::string All() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& l : lines_) out += l;
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST(LogTest, EveryLineIsJsonWithRequestId) {
  LogCapture capture;
  Logger("req-42").Info("hello", {{"n", 3}});
  Logger().Warn("process level");
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["request_id"], "req-42");
  EXPECT_EQ(lines[0]["msg"], "hello");
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["n"], 3);
  EXPECT_TRUE(lines[0].contains("ts"));
  EXPECT_EQ(lines[1]["request_id"], "-");
}

TEST(LogTest, LevelFilters) {
  LogCapture capture;
  SetLogLevel(LogLevel::kWarn);
  Logger().Info("dropped");
  Logger().Error("kept");
  SetLogLevel(LogLevel::kInfo);
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["msg"], "kept");
}

TEST(LogTest, SecretsNeverReachTheOutput) {
  LogCapture capture;
  const std::string api_key = "rgd_AbCdEfGhIjKl_0123456789abcdefghijABCDEFGHIJ";
  const std::string aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  Logger("r1").Info("got key " + api_key, {{"api_key", "plain-value-1"},
                                           {"aws_secret_access_key", aws_secret},
                                           {"session-token", "plain-value-2"},
                                           {"nested", {{"password", "plain-value-3"}}},
                                           {"note", "Authorization: Bearer abcdef123456"},
                                           {"url",
                                            "http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
                                            "X-Amz-Credential=AKIDEXAMPLE%2F20261123&"
                                            "X-Amz-Signature=deadbeefcafe"},
                                           {"env", "AWS_SECRET_ACCESS_KEY=" + aws_secret}});
  const std::string all = capture.All();
  for (const std::string& secret :
       {api_key, aws_secret, std::string("plain-value-1"), std::string("plain-value-2"),
        std::string("plain-value-3"), std::string("abcdef123456"), std::string("deadbeefcafe"),
        std::string("AKIDEXAMPLE")}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " leaked in " << all;
  }
  // Non-secret context survives.
  EXPECT_NE(all.find("X-Amz-Algorithm=AWS4-HMAC-SHA256"), std::string::npos);
}

TEST(LogTest, IdentifiersAndCountsAreNotMistakenForSecrets) {
  LogCapture capture;
  Logger().Info("usage", {{"key_id", "abc123"}, {"max_tokens", 200}, {"input_tokens", 12}});
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["key_id"], "abc123");
  EXPECT_EQ(lines[0]["max_tokens"], 200);
  EXPECT_EQ(lines[0]["input_tokens"], 12);
}

TEST(LogTest, RedactIsIdempotentAndLeavesPlainTextAlone) {
  EXPECT_EQ(Redact("nothing to see"), "nothing to see");
  EXPECT_EQ(Redact("S3 error AuthorizationQueryParametersError"),
            "S3 error AuthorizationQueryParametersError");
  EXPECT_EQ(Redact("header authorization: AWS4-HMAC-SHA256 Credential=AKID/x, Signature=ab"),
            "header authorization: [REDACTED]");
  const std::string once = Redact("key rgd_abc_def and X-Amz-Signature=123");
  EXPECT_EQ(Redact(once), once);
}

TEST(LogTest, DirectFieldsParseBackToTheValuesLogged) {
  LogCapture capture;
  const std::string tricky = "quote\" back\\ nl\n tab\t ctl\x01 caf\xC3\xA9 \xF0\x9F\x98\x80";
  const std::string invalid = "bad \xC3 utf8 \xFF";
  LogFields fields;
  fields.Str("path", tricky)
      .Str("raw", invalid)
      .Int("status", 404)
      .Num("ms", 1.234)
      .Num("whole", 2)
      .Bool("cached", true)
      .Str("msg", "must not replace msg")
      .Str("request_id", "must not replace the id");
  Log(LogLevel::kInfo, "req-\"7", "request \u00e9", fields);
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  const auto& j = lines[0];
  EXPECT_EQ(j["path"], tricky);
  // Invalid UTF-8 is replaced exactly as nlohmann's dump did before.
  EXPECT_EQ(j["raw"], nlohmann::json::parse(nlohmann::json(invalid).dump(
                          -1, ' ', false, nlohmann::json::error_handler_t::replace)));
  EXPECT_EQ(j["status"], 404);
  EXPECT_EQ(j["ms"], 1.234);
  EXPECT_EQ(j["whole"], 2.0);
  EXPECT_EQ(j["cached"], true);
  EXPECT_EQ(j["msg"], "request \u00e9");
  EXPECT_EQ(j["request_id"], "req-\"7");
  EXPECT_EQ(j["level"], "info");
  EXPECT_TRUE(j.contains("ts"));
  EXPECT_EQ(j.size(), 10u);
}

TEST(LogTest, DirectFieldsNeverCarrySecrets) {
  LogCapture capture;
  const std::string api_key = "rgd_AbCdEfGhIjKl_0123456789abcdefghijABCDEFGHIJ";
  LogFields fields;
  fields.Str("api_key", "plain-value-1")
      .Str("path", "/v1/keys/" + api_key)
      .Str("note", "Authorization: Bearer abcdef123456")
      .Str("url", "http://h/b/k?X-Amz-Signature=deadbeefcafe")
      .Int("session_token", 987654321)
      .Str("key_id", "abc123")
      .Int("max_tokens", 200);
  Log(LogLevel::kInfo, "r1", "got " + api_key, fields);
  const std::string all = capture.All();
  for (const std::string& secret :
       {api_key, std::string("plain-value-1"), std::string("abcdef123456"),
        std::string("deadbeefcafe"), std::string("987654321")}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " leaked in " << all;
  }
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["api_key"], "[REDACTED]");
  EXPECT_EQ(lines[0]["session_token"], "[REDACTED]");
  EXPECT_EQ(lines[0]["key_id"], "abc123");
  EXPECT_EQ(lines[0]["max_tokens"], 200);
}

TEST(LogTest, NlohmannFieldsKeepTheirTypesAndNesting) {
  LogCapture capture;
  Logger("r2").Info("mixed", {{"n", -3},
                              {"x", 0.5},
                              {"ok", false},
                              {"none", nullptr},
                              {"list", {1, "two", {{"token", "t-secret-1"}}}},
                              {"obj", {{"a", "b\n"}, {"password", nullptr}}}});
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  const auto& j = lines[0];
  EXPECT_EQ(j["n"], -3);
  EXPECT_EQ(j["x"], 0.5);
  EXPECT_EQ(j["ok"], false);
  EXPECT_TRUE(j["none"].is_null());
  EXPECT_EQ(j["list"][1], "two");
  EXPECT_EQ(j["list"][2]["token"], "[REDACTED]");
  EXPECT_EQ(j["obj"]["a"], "b\n");
  EXPECT_TRUE(j["obj"]["password"].is_null());  // null cannot leak anything and stays null
}

TEST(LogTest, DisabledLevelsWriteNoDirectFieldLines) {
  LogCapture capture;
  SetLogLevel(LogLevel::kWarn);
  Log(LogLevel::kInfo, "r", "dropped", LogFields().Int("n", 1));
  SetLogLevel(LogLevel::kInfo);
  EXPECT_TRUE(capture.Lines().empty());
}

}  // namespace
}  // namespace ragd
