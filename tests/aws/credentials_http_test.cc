// The container-endpoint and EC2 IMDSv2 links of the credentials chain, against loopback fakes.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "aws/credentials_internal.h"
#include "tests/aws/credentials_test_util.h"

namespace ragd {
namespace {

using cred_test::FakeCredentialsEndpoint;
using cred_test::RecordingTransport;
using cred_test::TempDir;

// No HOME: the shared files cannot interfere.
EnvLookup Env(std::map<std::string, std::string> vars) { return EnvFromMap(std::move(vars)); }

class ContainerCredentialTest : public ::testing::Test {
 protected:
  void SetUp() override { endpoint_.Start(); }
  std::string Loopback() const { return "http://127.0.0.1:" + std::to_string(endpoint_.port()); }

  FakeClock clock_{cred_test::TestEpoch()};
  FakeCredentialsEndpoint endpoint_{clock_};
  TempDir dir_;
};

TEST_F(ContainerCredentialTest, CredentialRelativeUriWithToken) {
  // 169.254.170.2 is routed to the loopback fake.
  RecordingTransport transport({{"http://169.254.170.2", Loopback()}});
  AwsCredentialChain chain(Env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds"},
                                {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer env-token"}}),
                           transport, clock_, cred_test::FastOptions());
  auto got = chain.GetResolvedCredentials();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->credentials.access_key_id, "AKID1");
  EXPECT_EQ(got->credentials.secret_access_key, "secret-1");
  EXPECT_EQ(got->credentials.session_token, "token-1");
  EXPECT_EQ(got->source, "container");
  ASSERT_TRUE(got->expiration.has_value());
  EXPECT_EQ(*got->expiration, cred_test::TestEpoch() + std::chrono::hours(1));
  EXPECT_EQ(endpoint_.last_authorization(), "Bearer env-token");
  auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].url, "http://169.254.170.2/creds");
  EXPECT_EQ(requests[0].timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(requests[0].connect_timeout, std::chrono::milliseconds(1000));
}

TEST_F(ContainerCredentialTest, CredentialFullUriWithTokenFileReReadEachFetch) {
  RecordingTransport transport;
  std::string token_file = dir_.Write("token", "file-token-1\n");
  AwsCredentialChain chain(Env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint_.Url()},
                                {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file},
                                {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "loses-to-the-file"}}),
                           transport, clock_, cred_test::FastOptions());
  ASSERT_TRUE(chain.GetCredentials().ok());
  EXPECT_EQ(endpoint_.last_authorization(), "file-token-1");

  dir_.Write("token", "file-token-2");  // rotated by the agent
  chain.Invalidate();
  auto got = chain.GetCredentials();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->access_key_id, "AKID2");
  EXPECT_EQ(endpoint_.last_authorization(), "file-token-2");
}

TEST_F(ContainerCredentialTest, CredentialTokenFileProblems) {
  RecordingTransport transport;
  AwsCredentialChain missing(Env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint_.Url()},
                                  {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/t"}}),
                             transport, clock_);
  EXPECT_EQ(missing.GetCredentials().status().code(), StatusCode::kFailedPrecondition);
  AwsCredentialChain crlf(Env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint_.Url()},
                               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nX-Injected: 1"}}),
                          transport, clock_);
  auto got = crlf.GetCredentials();
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message().find("Injected"), std::string::npos);
  EXPECT_EQ(transport.count(), 0u);
}

TEST(ContainerUrlTest, CredentialFullUriHostRules) {
  using credentials_internal::ContainerCredentialsUrl;
  for (const char* allowed :
       {"http://127.0.0.1:8080/creds", "http://127.1.2.3/x", "http://localhost/x",
        "http://LOCALHOST:9/x", "http://[::1]:80/x", "http://169.254.170.2/v2/credentials",
        "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1/credentials",
        "https://example.com/creds", "http://user@127.0.0.1/x", "http://evil.com%2f@127.0.0.1/x"}) {
    auto url = ContainerCredentialsUrl(Env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", allowed}}));
    ASSERT_TRUE(url.ok()) << allowed << ": " << url.status().ToString();
    EXPECT_EQ(url->value_or(""), allowed);
  }
  for (const char* rejected :
       {"http://example.com/creds", "http://169.254.169.254/latest", "http://128.0.0.1/x",
        "http://127.0.0.256/x", "http://127.0.0/x", "http://[::2]/x", "http://127.0.0.1.evil.com/",
        "http://localhost.evil.com/", "http://example.com@evil.com/", "ftp://127.0.0.1/x",
        "/relative", "http:///nohost", "http://evil.com\\@127.0.0.1/",
        "http://127.0.0.1 .evil.com/", "http://127.0.0.1%2e.evil.com/", "http://evil_com/x"}) {
    auto url = ContainerCredentialsUrl(Env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", rejected}}));
    EXPECT_EQ(url.status().code(), StatusCode::kInvalidArgument) << rejected;
  }
  // The relative URI wins over the full one.
  auto url = ContainerCredentialsUrl(Env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x"},
                                          {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://bad/"}}));
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->value_or(""), "http://169.254.170.2/v2/x");
}

TEST_F(ContainerCredentialTest, CredentialDisallowedFullUriHostRejected) {
  RecordingTransport transport;
  AwsCredentialChain chain(
      Env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://metadata.evil.example/creds"}}),
      transport, clock_);
  auto got = chain.GetCredentials();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find("metadata.evil.example is not allowed"), std::string::npos)
      << got.status().message();
  EXPECT_EQ(transport.count(), 0u);  // neither the endpoint nor IMDS was asked
}

TEST_F(ContainerCredentialTest, CredentialContainerFailureIsFinalAndRetried) {
  RecordingTransport transport;
  endpoint_.fail_status = 500;
  AwsCredentialChain chain(Env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint_.Url()},
                                {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1"}}),
                           transport, clock_, cred_test::FastOptions());
  auto got = chain.GetCredentials();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  const std::string msg = got.status().message();
  EXPECT_NE(msg.find("HTTP 500 (Broken)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("after trying: environment"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("SECRET-IN-ERROR-BODY"), std::string::npos) << msg;
  EXPECT_EQ(endpoint_.hits, 2);      // container_attempts = 2
  EXPECT_EQ(transport.count(), 2u);  // IMDS never asked
  EXPECT_EQ(clock_.Now(), cred_test::TestEpoch() + std::chrono::seconds(1));  // retry delay

  endpoint_.fail_status = 403;
  chain.Invalidate();
  EXPECT_EQ(chain.GetCredentials().status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(endpoint_.hits, 3);  // 4xx is not retried
}

TEST(ContainerJsonTest, CredentialBadResponsesNeverQuoteTheBody) {
  using credentials_internal::ParseCredentialJson;
  for (const char* body :
       {"not json SECRETX", R"({"AccessKeyId":"SECRETX"})",
        R"({"AccessKeyId":"A","SecretAccessKey":"SECRETX","Token":"T","Expiration":"SECRETX"})",
        R"({"AccessKeyId":"A","SecretAccessKey":"SECRETX","Token":"T"})",
        R"({"Code":"SECRETX","AccessKeyId":"A"})", "[]"}) {
    auto got = ParseCredentialJson(body, "container");
    ASSERT_FALSE(got.ok()) << body;
    EXPECT_EQ(got.status().message().find("SECRETX"), std::string::npos) << got.status().message();
  }
}

// A fake IMDS: PUT /latest/api/token, then role name, then credentials, each checked.
class ImdsCredentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    httplib::Server& s = server_.server();
    s.Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
      Record("PUT " + req.path +
             " ttl=" + req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds"));
      if (token_failures_ > 0) {
        --token_failures_;
        res.status = 503;
        return;
      }
      if (token_status_ != 200) {
        res.status = token_status_;
        return;
      }
      res.set_content(req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds") == "21600"
                          ? "imds-session-token"
                          : "wrong-ttl",
                      "text/plain");
    });
    s.Get(R"(/latest/meta-data/iam/security-credentials/(.*))",
          [this](const httplib::Request& req, httplib::Response& res) {
            const std::string token = req.has_header("X-aws-ec2-metadata-token")
                                          ? req.get_header_value("X-aws-ec2-metadata-token")
                                          : "<none>";
            Record("GET " + req.path + " token=" + token);
            if (token != expected_token_) {
              res.status = 401;
              return;
            }
            if (req.matches[1] == "") {
              if (role_.empty()) {
                res.status = 404;
              } else {
                res.set_content(role_ + "\n", "text/plain");
              }
            } else if (req.matches[1] == "my-role") {
              res.set_content(cred_test::CredentialJson("IMDSKEY", "imds-secret", "imds-token",
                                                        clock_.Now() + std::chrono::hours(6)),
                              "text/plain");
            } else {
              res.status = 404;
            }
          });
    server_.Start();
  }
  void Record(std::string line) {
    std::lock_guard<std::mutex> lock(mu_);
    log_.push_back(std::move(line));
  }
  std::vector<std::string> Log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }
  EnvLookup ImdsEnv(std::map<std::string, std::string> extra = {}) {
    extra["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server_.Url("/");
    return EnvFromMap(std::move(extra));
  }

  FakeClock clock_{cred_test::TestEpoch()};
  LoopbackHttpServer server_;
  RecordingTransport transport_;
  std::mutex mu_;
  std::vector<std::string> log_;
  std::string role_ = "my-role";
  std::string expected_token_ = "imds-session-token";
  int token_status_ = 200;
  int token_failures_ = 0;
};

TEST_F(ImdsCredentialTest, CredentialImdsV2TokenFlow) {
  AwsCredentialChain chain(ImdsEnv(), transport_, clock_, cred_test::FastOptions());
  auto got = chain.GetResolvedCredentials();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->credentials.access_key_id, "IMDSKEY");
  EXPECT_EQ(got->credentials.session_token, "imds-token");
  EXPECT_EQ(got->source, "imds");
  EXPECT_EQ(*got->expiration, cred_test::TestEpoch() + std::chrono::hours(6));
  EXPECT_EQ(Log(), (std::vector<std::string>{
                       "PUT /latest/api/token ttl=21600",
                       "GET /latest/meta-data/iam/security-credentials/ token=imds-session-token",
                       "GET /latest/meta-data/iam/security-credentials/my-role "
                       "token=imds-session-token"}));
  for (const HttpRequest& r : transport_.requests()) {
    EXPECT_EQ(r.timeout, std::chrono::milliseconds(1000));
    EXPECT_EQ(r.connect_timeout, std::chrono::milliseconds(1000));
  }
}

TEST_F(ImdsCredentialTest, CredentialImdsRetriesOnce) {
  token_failures_ = 1;
  AwsCredentialChain chain(ImdsEnv(), transport_, clock_, cred_test::FastOptions());
  ASSERT_TRUE(chain.GetCredentials().ok());
  EXPECT_EQ(Log().size(), 4u);  // PUT (503), PUT, GET role, GET credentials

  token_failures_ = 2;  // both attempts fail
  chain.Invalidate();
  auto got = chain.GetCredentials();
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(got.status().message().find("token request returned HTTP 503"), std::string::npos)
      << got.status().message();
}

TEST_F(ImdsCredentialTest, CredentialImdsDisabled) {
  for (const char* value : {"true", "TRUE", "True"}) {
    AwsCredentialChain chain(ImdsEnv({{"AWS_EC2_METADATA_DISABLED", value}}), transport_, clock_);
    auto got = chain.GetCredentials();
    EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(got.status().message().find("disabled by AWS_EC2_METADATA_DISABLED"),
              std::string::npos);
  }
  EXPECT_EQ(transport_.count(), 0u);
  AwsCredentialChain enabled(ImdsEnv({{"AWS_EC2_METADATA_DISABLED", "false"}}), transport_, clock_);
  EXPECT_TRUE(enabled.GetCredentials().ok());
}

TEST_F(ImdsCredentialTest, CredentialImdsV1FallbackOnlyWhenAllowed) {
  token_status_ = 405;
  expected_token_ = "<none>";
  AwsCredentialChain v1(ImdsEnv(), transport_, clock_);
  auto got = v1.GetCredentials();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->access_key_id, "IMDSKEY");

  AwsCredentialChain v2_only(ImdsEnv({{"AWS_EC2_METADATA_V1_DISABLED", "true"}}), transport_,
                             clock_);
  EXPECT_EQ(v2_only.GetCredentials().status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ImdsCredentialTest, CredentialImdsWithoutRole) {
  role_ = "";
  AwsCredentialChain chain(ImdsEnv(), transport_, clock_);
  auto got = chain.GetCredentials();
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(got.status().message().find("no IAM role attached"), std::string::npos);
}

TEST_F(ImdsCredentialTest, CredentialImdsUnreachable) {
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(UnusedLoopbackPort());
  AwsCredentialChain chain(EnvFromMap({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint}}),
                           transport_, clock_);
  auto got = chain.GetCredentials();
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(got.status().message().find("EC2 IMDS at " + endpoint), std::string::npos)
      << got.status().message();
  EXPECT_EQ(transport_.count(), 2u);  // one retry
}

TEST(ImdsEndpointTest, CredentialImdsEndpointSelection) {
  using credentials_internal::ImdsEndpoint;
  EXPECT_EQ(ImdsEndpoint(Env({})), "http://169.254.169.254");
  EXPECT_EQ(ImdsEndpoint(Env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}})),
            "http://[fd00:ec2::254]");
  EXPECT_EQ(ImdsEndpoint(Env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://10.0.0.1:81/"},
                              {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}})),
            "http://10.0.0.1:81");
}

}  // namespace
}  // namespace ragd
