// VerifyPresignedRequest: round trips through Presign, tampering, expiry and malformed parameters.
// (The cross-check test also verifies 300 URLs presigned by the AWS SDK for JavaScript.)
#include "aws/sigv4_verify.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "aws/sigv4.h"

namespace ragd {
namespace {

constexpr char kSecret[] = "ragd-test-secret/abcdefghijklmnopqrstuvwxyz01";

std::chrono::system_clock::time_point SignTime() { return *ParseSigV4AmzDate("20260102T030405Z"); }

// A PUT the API would presign for an upload, as ragd's S3 client builds it.
SignableRequest UploadRequest() {
  SignableRequest request;
  request.method = "PUT";
  request.scheme = "http";
  request.path = "/ragd-uploads/" + UriEncodePath("bots/b1/docs/Q3 report (final)+ü.pdf");
  request.query = {{"x-id", "PutObject"}};
  request.headers = {{"Host", "127.0.0.1:8080"},
                     {"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"},
                     {"x-amz-meta-bot", "b1"},
                     {"x-amz-server-side-encryption", "AES256"}};
  return request;
}

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    credentials_ = {"RAGDKEY1", kSecret, ""};
    options_ = S3SigningOptions("us-east-1", SignTime());
    options_.expires = std::chrono::seconds(600);
    StatusOr<PresignResult> presigned = Presign(UploadRequest(), credentials_, options_);
    ASSERT_TRUE(presigned.ok()) << presigned.status().ToString();
    presigned_ = *presigned;
  }

  // The request as the endpoint receives it when a client PUTs to the URL with `headers`.
  SignableRequest Incoming(const std::string& path_and_query, const HttpHeaders& headers) {
    SignableRequest incoming;
    incoming.method = "PUT";
    const size_t q = path_and_query.find('?');
    incoming.path = path_and_query.substr(0, q);
    incoming.query = *ParseQueryString(path_and_query.substr(q + 1));
    incoming.headers = headers;
    incoming.payload_hash = std::string(kUnsignedPayload);
    return incoming;
  }
  SignableRequest Incoming() {
    return Incoming(presigned_.path_and_query, {{"Host", "127.0.0.1:8080"},
                                                {"x-amz-server-side-encryption", "AES256"},
                                                {"Content-Length", "1234"}});
  }

  Status Verify(const SignableRequest& incoming, std::chrono::seconds after = {}) {
    PresignVerifyOptions verify_options;
    verify_options.region = "us-east-1";
    return VerifyPresignedRequest(
        incoming, verify_options,
        [this](std::string_view id) -> StatusOr<AwsCredentials> {
          if (id != credentials_.access_key_id) return NotFoundError("unknown");
          return credentials_;
        },
        SignTime() + after);
  }

  AwsCredentials credentials_;
  SigningOptions options_;
  PresignResult presigned_;
};

TEST_F(VerifyTest, AcceptsItsOwnPresignedUrlWithinTheWindow) {
  EXPECT_TRUE(Verify(Incoming()).ok()) << Verify(Incoming()).ToString();
  EXPECT_TRUE(Verify(Incoming(), std::chrono::seconds(600)).ok());
  EXPECT_TRUE(Verify(Incoming(), std::chrono::seconds(-899)).ok());  // clock skew allowance
}

TEST_F(VerifyTest, RejectsExpiredAndFutureUrls) {
  EXPECT_EQ(Verify(Incoming(), std::chrono::seconds(601)).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Verify(Incoming(), std::chrono::seconds(-901)).code(), StatusCode::kPermissionDenied);
}

TEST_F(VerifyTest, RejectsTampering) {
  std::vector<std::pair<std::string, SignableRequest>> tampered;
  SignableRequest r = Incoming();
  r.path += "x";
  tampered.emplace_back("path", r);
  r = Incoming();
  r.method = "GET";
  tampered.emplace_back("method", r);
  r = Incoming();
  r.headers[0].second = "evil.example.com";
  tampered.emplace_back("host", r);
  r = Incoming();
  r.headers[1].second = "aws:kms";
  tampered.emplace_back("signed header value", r);
  r = Incoming();
  r.query.emplace_back("x-amz-meta-extra", "1");
  tampered.emplace_back("added parameter", r);
  r = Incoming();
  for (auto& [key, value] : r.query) {
    if (key == "x-amz-meta-bot") value = "b2";
  }
  tampered.emplace_back("hoisted metadata", r);
  r = Incoming();
  for (auto& [key, value] : r.query) {
    if (key == "X-Amz-Expires") value = "604800";
  }
  tampered.emplace_back("expiry", r);
  r = Incoming();
  r.payload_hash = std::string(kEmptyPayloadSha256);
  tampered.emplace_back("payload hash", r);
  for (const auto& [what, request] : tampered) {
    const Status status = Verify(request);
    EXPECT_EQ(status.code(), StatusCode::kUnauthenticated) << what << ": " << status.ToString();
  }
  r = Incoming();
  r.headers.erase(r.headers.begin() + 1);  // signed encryption header not sent
  EXPECT_EQ(Verify(r).code(), StatusCode::kUnauthenticated);
}

TEST_F(VerifyTest, RejectsUnknownKeysWrongScopeAndTokens) {
  credentials_.access_key_id = "SOMEONE-ELSE";
  EXPECT_EQ(Verify(Incoming()).code(), StatusCode::kUnauthenticated);
  credentials_.access_key_id = "RAGDKEY1";
  credentials_.session_token = "expected-token";
  EXPECT_EQ(Verify(Incoming()).code(), StatusCode::kUnauthenticated);

  PresignVerifyOptions other_region;
  other_region.region = "eu-west-1";
  const Status status = VerifyPresignedRequest(
      Incoming(), other_region,
      [](std::string_view) -> StatusOr<AwsCredentials> {
        return AwsCredentials{"RAGDKEY1", kSecret, ""};
      },
      SignTime());
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
}

TEST_F(VerifyTest, AcceptsSessionTokensThatMatch) {
  credentials_.session_token = "session/token+=";
  StatusOr<PresignResult> presigned = Presign(UploadRequest(), credentials_, options_);
  ASSERT_TRUE(presigned.ok());
  SignableRequest incoming =
      Incoming(presigned->path_and_query,
               {{"Host", "127.0.0.1:8080"}, {"x-amz-server-side-encryption", "AES256"}});
  EXPECT_TRUE(Verify(incoming).ok());
  credentials_.session_token = "other";
  EXPECT_EQ(Verify(incoming).code(), StatusCode::kUnauthenticated);
}

TEST_F(VerifyTest, RejectsMalformedParametersWithoutRevealingTheSignature) {
  const auto with = [&](const std::string& key, const std::string& value) {
    SignableRequest r = Incoming();
    bool replaced = false;
    for (auto& param : r.query) {
      if (param.first == key) {
        param.second = value;
        replaced = true;
      }
    }
    if (!replaced) r.query.emplace_back(key, value);
    return r;
  };
  const auto without = [&](const std::string& key) {
    SignableRequest r = Incoming();
    std::erase_if(r.query, [&](const auto& param) { return param.first == key; });
    return r;
  };
  std::vector<SignableRequest> bad = {
      without("X-Amz-Signature"),
      without("X-Amz-Credential"),
      without("X-Amz-Date"),
      without("X-Amz-Expires"),
      without("X-Amz-SignedHeaders"),
      with("X-Amz-Algorithm", "AWS4-HMAC-SHA1"),
      with("X-Amz-Credential", "RAGDKEY1/20260102/us-east-1/s3"),
      with("X-Amz-Credential", "RAGDKEY1/20260103/us-east-1/s3/aws4_request"),
      with("X-Amz-Date", "2026-01-02T03:04:05Z"),
      with("X-Amz-Expires", "0"),
      with("X-Amz-Expires", "604801"),
      with("X-Amz-Expires", "10s"),
      with("X-Amz-SignedHeaders", "x-amz-server-side-encryption;host"),
      with("X-Amz-SignedHeaders", "x-amz-server-side-encryption"),
      with("X-Amz-SignedHeaders", "Host"),
      with("X-Amz-Signature", "ABCDEF"),
      with("X-Amz-Signature", std::string(64, 'g')),
  };
  SignableRequest repeated = Incoming();
  repeated.query.emplace_back("X-Amz-Signature", presigned_.details.signature);
  bad.push_back(repeated);
  for (const SignableRequest& request : bad) {
    const Status status = Verify(request);
    EXPECT_EQ(status.code(), StatusCode::kUnauthenticated) << status.ToString();
    EXPECT_EQ(status.message().find(presigned_.details.signature), std::string::npos);
    EXPECT_EQ(status.message().find(kSecret), std::string::npos);
  }
  // A wrong signature's message reveals neither the right one nor the key.
  SignableRequest wrong = with("X-Amz-Signature", std::string(64, '0'));
  const Status status = Verify(wrong);
  EXPECT_EQ(status.message(), "signature does not match");
}

TEST_F(VerifyTest, RecomputesTheSignerDetails) {
  StatusOr<PresignedAuth> auth = ParsePresignedAuth(Incoming().query);
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->access_key_id, "RAGDKEY1");
  EXPECT_EQ(auth->service, "s3");
  EXPECT_EQ(auth->expires, std::chrono::seconds(600));
  const std::vector<std::string> signed_headers = {"host", "x-amz-server-side-encryption"};
  EXPECT_EQ(auth->signed_headers, signed_headers);
  StatusOr<SigV4Details> details = ComputePresignedSignature(
      Incoming(), *auth, kSecret, /*uri_encode_path=*/false, /*normalize_path=*/false);
  ASSERT_TRUE(details.ok());
  EXPECT_EQ(details->canonical_request, presigned_.details.canonical_request);
  EXPECT_EQ(details->string_to_sign, presigned_.details.string_to_sign);
  EXPECT_EQ(details->signature, presigned_.details.signature);
}

}  // namespace
}  // namespace ragd
