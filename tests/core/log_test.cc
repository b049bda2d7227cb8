#include "core/log.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

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

}  // namespace
}  // namespace ragd
