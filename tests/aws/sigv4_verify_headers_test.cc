// VerifyHeaderSignedRequest: round trips through SignHeaders (as @aws-sdk/client-s3 PutObject
// signs), tampering, clock skew, malformed Authorization headers, and every header-signed request
// of the aws-c-auth suite verified as a server would receive it.
#include "aws/sigv4_verify_headers.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "core/crypto.h"
#include "tests/aws/sigv4_test_util.h"

namespace ragd {
namespace {

constexpr char kSecret[] = "ragd-test-secret/abcdefghijklmnopqrstuvwxyz01";
constexpr char kBody[] = "hello world";

std::chrono::system_clock::time_point SignTime() { return *ParseSigV4AmzDate("20261123T120619Z"); }

class HeaderVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    credentials_ = {"RGDTESTKEY", kSecret, ""};
    // What the SDK sends for PutObject with a Buffer body (see docs/aws.md).
    SignableRequest request;
    request.method = "PUT";
    request.path = "/ragd-uploads/" + UriEncodePath("a b/ü+c.txt");
    request.query = {{"x-id", "PutObject"}};
    request.headers = {{"content-type", "text/plain"},
                       {"content-length", "11"},
                       {"x-amz-sdk-checksum-algorithm", "CRC32"},
                       {"x-amz-checksum-crc32", "DUoRhQ=="},
                       {"user-agent", "aws-sdk-js/3"},
                       {"host", "127.0.0.1:8080"},
                       {"amz-sdk-request", "attempt=1; max=3"}};
    request.body = kBody;
    SigningOptions options = S3SigningOptions("us-east-1", SignTime());
    StatusOr<HeaderSigningResult> signed_request = SignHeaders(request, credentials_, options);
    ASSERT_TRUE(signed_request.ok()) << signed_request.status().ToString();
    incoming_ = request;
    incoming_.body = {};  // the server has not read the body when it verifies
    for (const auto& header : signed_request->headers_to_add) {
      incoming_.headers.emplace_back(AsciiLower(header.first), header.second);
    }
  }

  Status Verify(const SignableRequest& incoming, std::chrono::seconds after = {}) {
    HeaderVerifyOptions options;
    options.region = "us-east-1";
    return VerifyHeaderSignedRequest(
        incoming, options,
        [this](std::string_view id) -> StatusOr<AwsCredentials> {
          if (id != credentials_.access_key_id) return NotFoundError("unknown");
          return credentials_;
        },
        SignTime() + after);
  }

  void SetHeader(SignableRequest& r, const std::string& name, const std::string& value) {
    for (auto& header : r.headers) {
      if (header.first == name) header.second = value;
    }
  }

  AwsCredentials credentials_;
  SignableRequest incoming_;
};

TEST_F(HeaderVerifyTest, AcceptsWhatSignHeadersProduced) {
  EXPECT_TRUE(Verify(incoming_).ok()) << Verify(incoming_).ToString();
  StatusOr<HeaderAuth> auth = ParseHeaderAuth(incoming_.headers);
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->access_key_id, "RGDTESTKEY");
  EXPECT_EQ(auth->region, "us-east-1");
  EXPECT_EQ(auth->service, "s3");
  EXPECT_EQ(auth->content_sha256, Sha256Hex(kBody));
  // Unsignable headers may be added or changed on the way.
  SignableRequest proxied = incoming_;
  proxied.headers.emplace_back("x-forwarded-for", "10.0.0.1");
  proxied.headers.emplace_back("connection", "close");
  SetHeader(proxied, "user-agent", "changed by a proxy");
  EXPECT_TRUE(Verify(proxied).ok());
}

TEST_F(HeaderVerifyTest, AnyTamperingFails) {
  std::vector<std::pair<std::string, SignableRequest>> cases;
  auto add = [&](const std::string& what, auto mutate) {
    SignableRequest r = incoming_;
    mutate(r);
    cases.emplace_back(what, r);
  };
  add("method", [](SignableRequest& r) { r.method = "POST"; });
  add("key", [](SignableRequest& r) { r.path = "/ragd-uploads/a%20b/other.txt"; });
  add("bucket", [](SignableRequest& r) { r.path.replace(1, 4, "evil"); });
  add("query", [](SignableRequest& r) { r.query.emplace_back("acl", ""); });
  add("content-type", [this](SignableRequest& r) { SetHeader(r, "content-type", "text/html"); });
  add("content-length", [this](SignableRequest& r) { SetHeader(r, "content-length", "12"); });
  add("payload hash", [this](SignableRequest& r) {
    SetHeader(r, "x-amz-content-sha256", Sha256Hex("other body"));
  });
  add("unsigned payload", [this](SignableRequest& r) {
    SetHeader(r, "x-amz-content-sha256", std::string(kUnsignedPayload));
  });
  add("checksum", [this](SignableRequest& r) { SetHeader(r, "x-amz-checksum-crc32", "AAAAAA=="); });
  add("signature", [](SignableRequest& r) {
    for (auto& h : r.headers) {
      if (h.first == "authorization") h.second.back() = h.second.back() == '0' ? '1' : '0';
    }
  });
  add("host", [this](SignableRequest& r) { SetHeader(r, "host", "127.0.0.1:8081"); });
  add("removed signed header", [](SignableRequest& r) {
    std::erase_if(r.headers, [](auto& h) { return h.first == "amz-sdk-request"; });
  });
  for (const auto& [what, request] : cases) {
    const Status s = Verify(request);
    EXPECT_EQ(s.code(), StatusCode::kUnauthenticated) << what << ": " << s.ToString();
    EXPECT_EQ(s.message().find(kSecret), std::string::npos);
  }
}

TEST_F(HeaderVerifyTest, TimeScopeAndKeyChecks) {
  EXPECT_TRUE(Verify(incoming_, std::chrono::seconds(900)).ok());
  EXPECT_TRUE(Verify(incoming_, std::chrono::seconds(-900)).ok());
  EXPECT_EQ(Verify(incoming_, std::chrono::seconds(901)).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Verify(incoming_, std::chrono::seconds(-901)).code(), StatusCode::kPermissionDenied);

  HeaderVerifyOptions other_region;
  other_region.region = "eu-west-1";
  const auto lookup = [this](std::string_view) -> StatusOr<AwsCredentials> { return credentials_; };
  EXPECT_EQ(VerifyHeaderSignedRequest(incoming_, other_region, lookup, SignTime()).code(),
            StatusCode::kPermissionDenied);
  const auto unknown = [](std::string_view) -> StatusOr<AwsCredentials> {
    return NotFoundError("no");
  };
  EXPECT_EQ(VerifyHeaderSignedRequest(incoming_, {}, unknown, SignTime()).code(),
            StatusCode::kUnauthenticated);
  const auto with_token = [this](std::string_view) -> StatusOr<AwsCredentials> {
    return AwsCredentials{credentials_.access_key_id, kSecret, "token"};
  };
  EXPECT_EQ(VerifyHeaderSignedRequest(incoming_, {}, with_token, SignTime()).code(),
            StatusCode::kUnauthenticated);

  SignableRequest no_sha = incoming_;
  std::erase_if(no_sha.headers, [](auto& h) { return h.first == "x-amz-content-sha256"; });
  EXPECT_EQ(Verify(no_sha).code(), StatusCode::kInvalidArgument);
}

TEST_F(HeaderVerifyTest, MalformedAuthorizationHeaders) {
  const std::string good = *FindHeader(incoming_.headers, "authorization");
  const std::string credential = good.substr(good.find("Credential="));
  const std::vector<std::string> bad = {
      "",
      "AWS4-HMAC-SHA256",
      "AWS AKID:signature",
      "AWS4-HMAC-SHA512 " + credential,
      testing::ReplaceAll(good, "Credential=", "Credentials="),
      testing::ReplaceAll(good, "/aws4_request", "/aws5_request"),
      testing::ReplaceAll(good, "/20261123/", "/20261124/"),
      testing::ReplaceAll(good, "SignedHeaders=amz-sdk-request;content-length",
                          "SignedHeaders=content-length;amz-sdk-request"),
      testing::ReplaceAll(good, "SignedHeaders=amz-sdk-request;", "SignedHeaders=Amz-Sdk-Request;"),
      testing::ReplaceAll(good, "host;", ""),
      testing::ReplaceAll(good, ";x-amz-date", ""),
      good.substr(0, good.size() - 1),
      good + "A",
      good + ", Signature=" + std::string(64, 'a'),
      good.substr(0, good.find(", Signature")),
  };
  for (const std::string& value : bad) {
    SignableRequest r = incoming_;
    SetHeader(r, "authorization", value);
    const StatusOr<HeaderAuth> auth = ParseHeaderAuth(r.headers);
    EXPECT_EQ(auth.status().code(), StatusCode::kInvalidArgument) << value;
    EXPECT_EQ(Verify(r).code(), StatusCode::kInvalidArgument) << value;
  }
  // Components in another order and without spaces are fine.
  const std::string sig = good.substr(good.find("Signature="));
  const std::string sh = good.substr(good.find("SignedHeaders="));
  SignableRequest reordered = incoming_;
  SetHeader(reordered, "authorization",
            "AWS4-HMAC-SHA256 " + sig + "," + sh.substr(0, sh.find(',')) + "," +
                credential.substr(0, credential.find(',')));
  EXPECT_TRUE(Verify(reordered).ok()) << *FindHeader(reordered.headers, "authorization");
  // A missing or malformed X-Amz-Date.
  SignableRequest no_date = incoming_;
  std::erase_if(no_date.headers, [](auto& h) { return h.first == "x-amz-date"; });
  EXPECT_EQ(ParseHeaderAuth(no_date.headers).status().code(), StatusCode::kInvalidArgument);
  SignableRequest bad_date = incoming_;
  SetHeader(bad_date, "x-amz-date", "2026-11-23T12:06:19Z");
  EXPECT_EQ(ParseHeaderAuth(bad_date.headers).status().code(), StatusCode::kInvalidArgument);
}

TEST(UnsignedAmzHeadersTest, ListsOnlyUnsignedAmzHeaders) {
  const HttpHeaders headers = {
      {"Host", "h"},         {"X-Amz-Date", "d"},          {"x-amz-meta-a", "1"},
      {"X-Amz-Meta-A", "2"}, {"x-amz-acl", "public-read"}, {"content-type", "text/plain"}};
  EXPECT_EQ(UnsignedAmzHeaders(headers, {"host", "x-amz-date"}),
            (std::vector<std::string>{"x-amz-acl", "x-amz-meta-a"}));
  EXPECT_TRUE(
      UnsignedAmzHeaders(headers, {"host", "x-amz-acl", "x-amz-date", "x-amz-meta-a"}).empty());
}

// Every header-signed request of the aws-c-auth suite, received by a server that knows the keys.
TEST(HeaderVerifySuite, AcceptsEveryCAuthSuiteSignedRequest) {
  const std::string dir = testing::SharedDir() + "/testdata/sigv4/aws-c-auth-signing-test-suite/v4";
  const std::vector<std::string> names = testing::ListSubdirs(dir);
  ASSERT_EQ(names.size(), 38u) << dir;
  for (const std::string& name : names) {
    const std::string prefix = dir + "/" + name + "/";
    const nlohmann::json context =
        nlohmann::json::parse(*testing::ReadFileBytes(prefix + "context.json"));
    std::optional<std::string> text = testing::ReadFileBytes(prefix + "header-signed-request.txt");
    ASSERT_TRUE(text.has_value()) << name;
    std::optional<testing::RawRequest> raw = testing::ParseRawRequest(*text);
    ASSERT_TRUE(raw.has_value()) << name;
    SignableRequest request = testing::ToSignable(*raw);
    const AwsCredentials credentials{context["credentials"]["access_key_id"],
                                     context["credentials"]["secret_access_key"],
                                     context["credentials"].value("token", "")};
    HeaderVerifyOptions options;
    options.region = context["region"];
    options.service = context["service"];
    options.normalize_path = context["normalize"];
    options.uri_encode_path = true;
    options.require_content_sha256 = false;
    const Status s = VerifyHeaderSignedRequest(
        request, options,
        [&](std::string_view id) -> StatusOr<AwsCredentials> {
          if (id != credentials.access_key_id) return NotFoundError("unknown");
          return credentials;
        },
        testing::ParseIsoTime(context["timestamp"].get<std::string>()));
    EXPECT_TRUE(s.ok()) << name << ": " << s.ToString();
  }
}

}  // namespace
}  // namespace ragd
