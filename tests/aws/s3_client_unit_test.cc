// S3Client without a network: request targets, the requests it sends, error mapping, retries
// and multipart abort, against FakeS3Transport.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>

#include "aws/s3_client.h"
#include "aws/s3_client_internal.h"
#include "aws/sigv4_canonical.h"
#include "core/crypto.h"
#include "tests/aws/s3_server_util.h"

namespace ragd {
namespace {

using ::ragd::testing::FakeS3Transport;
using ::ragd::testing::RecordingClock;
using ::ragd::testing::S3ErrorBodyXml;
using ::ragd::testing::S3XmlResponse;
using ::testing::HasSubstr;
using ::testing::Not;

const AwsCredentials kCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const auto kTime = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));

// GCC warns about designated initializers that skip members; build options explicitly.
S3ClientOptions Options(std::string region = "us-east-1", std::string endpoint = "",
                        S3AddressingStyle style = S3AddressingStyle::kAuto) {
  S3ClientOptions options;
  options.region = std::move(region);
  options.endpoint = std::move(endpoint);
  options.addressing_style = style;
  return options;
}

S3ClientOptions WithPartSize(uint64_t part_size) {
  S3ClientOptions options;
  options.part_size = part_size;
  return options;
}

S3PutOptions PutMeta(std::string content_type, std::map<std::string, std::string> metadata) {
  S3PutOptions options;
  options.content_type = std::move(content_type);
  options.metadata = std::move(metadata);
  return options;
}

S3PresignOptions PresignOpts(std::chrono::seconds expires, std::string content_type) {
  S3PresignOptions options;
  options.expires = expires;
  options.content_type = std::move(content_type);
  return options;
}

std::unique_ptr<S3Client> MakeClient(S3ClientOptions options, HttpTransport& transport,
                                     Clock& clock,
                                     AwsCredentialsSource creds = FixedAwsCredentials(kCreds)) {
  StatusOr<std::unique_ptr<S3Client>> client =
      S3Client::Create(std::move(options), transport, clock, std::move(creds));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(*client) : nullptr;
}

std::string TargetUrl(S3ClientOptions options, std::string_view bucket, std::string_view key) {
  FakeS3Transport transport([](const HttpRequest&, int) { return HttpResponse{}; });
  FakeClock clock(kTime);
  auto client = MakeClient(std::move(options), transport, clock);
  StatusOr<S3Target> target = client->Target(bucket, key);
  return target.ok() ? target->Url() : "error: " + target.status().ToString();
}

TEST(S3ClientUnitTest, VirtualHostedAndPathStyleUrls) {
  const std::string key = "dir/a b+c~d/\xc3\xa9.txt";
  EXPECT_EQ(TargetUrl(Options("eu-west-1"), "my-bucket", key),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/dir/a%20b%2Bc~d/%C3%A9.txt");
  EXPECT_EQ(TargetUrl(Options("eu-west-1", "", S3AddressingStyle::kPath), "my-bucket", key),
            "https://s3.eu-west-1.amazonaws.com/my-bucket/dir/a%20b%2Bc~d/%C3%A9.txt");
  // Bucket-level requests.
  EXPECT_EQ(TargetUrl(Options("us-east-1"), "my-bucket", ""),
            "https://my-bucket.s3.us-east-1.amazonaws.com/");
  EXPECT_EQ(TargetUrl(Options("us-east-1", "", S3AddressingStyle::kPath), "my-bucket", ""),
            "https://s3.us-east-1.amazonaws.com/my-bucket");
  // Dotted buckets would break the wildcard certificate: path style over HTTPS.
  EXPECT_EQ(TargetUrl(Options("us-west-2"), "my.bucket", "k"),
            "https://s3.us-west-2.amazonaws.com/my.bucket/k");
  EXPECT_EQ(TargetUrl(Options("cn-north-1"), "b-1", "k"),
            "https://b-1.s3.cn-north-1.amazonaws.com.cn/k");
  // A leading slash in a key is part of the key.
  EXPECT_EQ(TargetUrl({}, "bkt", "/k"), "https://bkt.s3.us-east-1.amazonaws.com//k");
}

TEST(S3ClientUnitTest, CustomEndpoints) {
  EXPECT_EQ(TargetUrl(Options("us-east-1", "http://127.0.0.1:9000"), "bucket", "a b"),
            "http://127.0.0.1:9000/bucket/a%20b");
  EXPECT_EQ(TargetUrl(Options("us-east-1", "http://localhost:9000/"), "bucket", "k"),
            "http://localhost:9000/bucket/k");
  EXPECT_EQ(TargetUrl(Options("us-east-1", "http://[::1]:9000"), "bucket", "k"),
            "http://[::1]:9000/bucket/k");
  EXPECT_EQ(TargetUrl(Options("us-east-1", "https://minio.internal:9000"), "bucket", "k"),
            "https://bucket.minio.internal:9000/k");
  EXPECT_EQ(TargetUrl(Options("us-east-1", "http://store.example/s3/", S3AddressingStyle::kPath),
                      "bucket", "k"),
            "http://store.example/s3/bucket/k");
  EXPECT_EQ(
      TargetUrl(Options("us-east-1", "http://s3.example:1234", S3AddressingStyle::kVirtualHosted),
                "my.bucket", "k"),
      "http://my.bucket.s3.example:1234/k");
  EXPECT_THAT(
      TargetUrl(Options("us-east-1", "", S3AddressingStyle::kVirtualHosted), "Bad_Bucket", "k"),
      HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(TargetUrl({}, "a/b", "k"), HasSubstr("INVALID_ARGUMENT"));
}

TEST(S3ClientUnitTest, CreateValidatesOptions) {
  FakeS3Transport transport([](const HttpRequest&, int) { return HttpResponse{}; });
  FakeClock clock(kTime);
  auto create = [&](S3ClientOptions options, AwsCredentialsSource creds) {
    return S3Client::Create(std::move(options), transport, clock, std::move(creds)).status().code();
  };
  const auto creds = FixedAwsCredentials(kCreds);
  EXPECT_EQ(create(Options(""), creds), StatusCode::kInvalidArgument);
  EXPECT_EQ(create(Options("evil.com/x"), creds), StatusCode::kInvalidArgument);
  EXPECT_EQ(create(Options("us-east-1", "ftp://x"), creds), StatusCode::kInvalidArgument);
  EXPECT_EQ(create(Options("us-east-1", "127.0.0.1:9000"), creds), StatusCode::kInvalidArgument);
  EXPECT_EQ(create(Options("us-east-1", "http://u:p@host"), creds), StatusCode::kInvalidArgument);
  EXPECT_EQ(create(WithPartSize(4 * kMiB), creds), StatusCode::kInvalidArgument);
  EXPECT_EQ(create({}, nullptr), StatusCode::kInvalidArgument);
  EXPECT_EQ(create({}, creds), StatusCode::kOk);
}

TEST(S3ClientUnitTest, PutObjectSignsTheRealPayloadHashAndNoChecksums) {
  FakeS3Transport transport([](const HttpRequest&, int) {
    return S3XmlResponse(200, "", {{"etag", "\"abc\""}});
  });
  FakeClock clock(kTime);
  auto client = MakeClient(Options("eu-west-1"), transport, clock);
  StatusOr<S3PutResult> put =
      client->PutObject("bkt", "a b.txt", "hello", PutMeta("text/plain", {{"origin", "test"}}));
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->etag, "\"abc\"");
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  const HttpRequest& r = requests[0];
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.url, "https://bkt.s3.eu-west-1.amazonaws.com/a%20b.txt?x-id=PutObject");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(FindHeader(r.headers, "x-amz-content-sha256").value_or(""), Sha256Hex("hello"));
  EXPECT_EQ(FindHeader(r.headers, "x-amz-date").value_or(""), "20150830T123600Z");
  EXPECT_EQ(FindHeader(r.headers, "x-amz-meta-origin").value_or(""), "test");
  const std::string auth = FindHeader(r.headers, "authorization").value_or("");
  EXPECT_THAT(auth, HasSubstr("Credential=AKIDEXAMPLE/20150830/eu-west-1/s3/aws4_request"));
  EXPECT_THAT(auth, HasSubstr("SignedHeaders=content-length;content-type;host;x-amz-content-"
                              "sha256;x-amz-date;x-amz-meta-origin,"));
  for (const auto& [name, value] : r.headers) {
    EXPECT_FALSE(AsciiLower(name).starts_with("x-amz-checksum")) << name;
    EXPECT_FALSE(AsciiLower(name).starts_with("x-amz-sdk-checksum")) << name;
  }
}

TEST(S3ClientUnitTest, RejectsBadInputBeforeSending) {
  FakeS3Transport transport([](const HttpRequest&, int) { return HttpResponse{}; });
  FakeClock clock(kTime);
  auto client = MakeClient({}, transport, clock);
  EXPECT_EQ(client->PutObject("bkt", "", "x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client->PutObject("", "k", "x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client->PutObject("bkt", "k", "x", PutMeta("", {{"bad name", "v"}})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client->PutObject("bkt", "k", "x", PutMeta("", {{"n", "line\nbreak"}})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client->UploadPart("bkt", "k", "id", 0, "x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      client->PresignGet("bkt", "k", PresignOpts(std::chrono::seconds(900), "a/b")).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(client->PresignPut("bkt", "k", PresignOpts(std::chrono::days(8), "")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(transport.requests().empty());
}

TEST(S3ClientUnitTest, MapsS3ErrorsToStatuses) {
  struct Case {
    int http;
    std::string code;
    StatusCode want;
  };
  const std::vector<Case> cases = {
      {404, "NoSuchKey", StatusCode::kNotFound},
      {404, "NoSuchBucket", StatusCode::kNotFound},
      {404, "", StatusCode::kNotFound},
      {403, "AccessDenied", StatusCode::kPermissionDenied},
      {403, "SignatureDoesNotMatch", StatusCode::kPermissionDenied},
      {403, "InvalidAccessKeyId", StatusCode::kPermissionDenied},
      {403, "", StatusCode::kPermissionDenied},
      {400, "ExpiredToken", StatusCode::kUnauthenticated},
      {400, "EntityTooSmall", StatusCode::kInvalidArgument},
      {400, "EntityTooLarge", StatusCode::kResourceExhausted},
      {412, "PreconditionFailed", StatusCode::kFailedPrecondition},
      {416, "InvalidRange", StatusCode::kOutOfRange},
      {409, "BucketAlreadyExists", StatusCode::kAlreadyExists},
      {301, "PermanentRedirect", StatusCode::kFailedPrecondition},
      {503, "SlowDown", StatusCode::kUnavailable},
      {500, "InternalError", StatusCode::kUnavailable},
      {501, "NotImplemented", StatusCode::kUnimplemented},
      {400, "RequestTimeout", StatusCode::kDeadlineExceeded},
  };
  for (const Case& c : cases) {
    const std::string body = c.code.empty() ? "" : S3ErrorBodyXml(c.code, "Some &quot;text&quot;");
    Status s = S3ErrorStatus("GetObject", "s3://b/k", c.http, {{"x-amz-request-id", "RID9"}}, body);
    EXPECT_EQ(s.code(), c.want) << c.http << " " << c.code;
    if (!c.code.empty()) {
      EXPECT_EQ(s.message(), "S3 GetObject s3://b/k: " + c.code + ": Some \"text\" (HTTP " +
                                 std::to_string(c.http) + ", request id RID9)");
    } else {
      EXPECT_EQ(s.message(),
                "S3 GetObject s3://b/k: HTTP " + std::to_string(c.http) + " (request id RID9)");
    }
  }
  EXPECT_EQ(S3ErrorStatus("x", "s3://b", 400, {}, S3ErrorBodyXml("EntityTooLarge", "m")).kind(),
            ErrorKind::kTooLarge);
}

TEST(S3ClientUnitTest, ErrorMessagesNeverCarrySignatureDetails) {
  // S3's SignatureDoesNotMatch body echoes the access key, string to sign and canonical request.
  const std::string body =
      "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does "
      "not match the signature you provided.</Message><AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId>"
      "<StringToSign>AWS4-HMAC-SHA256\n20150830T123600Z</StringToSign><SignatureProvided>"
      "deadbeef</SignatureProvided><CanonicalRequest>GET\n/\n</CanonicalRequest></Error>";
  FakeS3Transport transport([&](const HttpRequest&, int) { return S3XmlResponse(403, body); });
  FakeClock clock(kTime);
  auto client = MakeClient({}, transport, clock);
  Status s = client->DeleteObject("bkt", "k");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("SignatureDoesNotMatch: The request signature"));
  for (const char* secret :
       {"AKIDEXAMPLE", "deadbeef", "AWS4-HMAC", kCreds.secret_access_key.c_str()}) {
    EXPECT_THAT(s.message(), Not(HasSubstr(secret)));
  }
}

TEST(S3ClientUnitTest, RetriesSlowDownWithBackoffAndResignsEachAttempt) {
  FakeS3Transport transport([](const HttpRequest&, int index) {
    if (index < 2) return S3XmlResponse(503, S3ErrorBodyXml("SlowDown", "Please reduce"));
    return S3XmlResponse(200, "", {{"etag", "\"ok\""}});
  });
  RecordingClock clock(kTime);
  std::atomic<int> fetches{0};
  AwsCredentialsSource creds = [&]() -> StatusOr<AwsCredentials> {
    AwsCredentials c = kCreds;
    c.session_token = "token-" + std::to_string(++fetches);
    return c;
  };
  auto client = MakeClient({}, transport, clock, creds);
  StatusOr<S3PutResult> put = client->PutObject("bkt", "k", "body");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(fetches.load(), 3);
  std::set<std::string> authorizations;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(FindHeader(requests[i].headers, "x-amz-security-token").value_or(""),
              "token-" + std::to_string(i + 1));
    authorizations.insert(FindHeader(requests[i].headers, "authorization").value_or(""));
    EXPECT_EQ(requests[i].body, "body");
  }
  EXPECT_EQ(authorizations.size(), 3u);  // a fresh signature each time
  const auto sleeps = clock.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);
  // Base 100 ms doubling, "equal jitter": [step/2, step].
  EXPECT_GE(sleeps[0].count(), 50);
  EXPECT_LE(sleeps[0].count(), 100);
  EXPECT_GE(sleeps[1].count(), 100);
  EXPECT_LE(sleeps[1].count(), 200);
}

TEST(S3ClientUnitTest, GivesUpAfterThreeRetries) {
  FakeS3Transport transport([](const HttpRequest&, int) {
    return S3XmlResponse(500, S3ErrorBodyXml("InternalError", "We encountered an internal error."));
  });
  RecordingClock clock(kTime);
  auto client = MakeClient({}, transport, clock);
  StatusOr<S3ObjectInfo> head = client->HeadObject("bkt", "k");
  EXPECT_EQ(head.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(head.status().message(), HasSubstr("InternalError"));
  EXPECT_EQ(transport.requests().size(), 4u);
  ASSERT_EQ(clock.sleeps().size(), 3u);
  EXPECT_GE(clock.sleeps()[2].count(), 200);
  EXPECT_LE(clock.sleeps()[2].count(), 400);
}

TEST(S3ClientUnitTest, RetriesOnlyTransientFailures) {
  struct Case {
    std::function<StatusOr<HttpResponse>(int)> answer;
    size_t attempts;
    StatusCode code;
  };
  const std::vector<Case> cases = {
      {[](int i) -> StatusOr<HttpResponse> {
         if (i == 0) return UnavailableError("connection reset");
         return S3XmlResponse(204, "");
       },
       2, StatusCode::kOk},
      {[](int i) -> StatusOr<HttpResponse> {
         if (i == 0) return S3XmlResponse(400, S3ErrorBodyXml("RequestTimeout", "idle"));
         return S3XmlResponse(204, "");
       },
       2, StatusCode::kOk},
      {[](int i) -> StatusOr<HttpResponse> {
         if (i == 0) return S3XmlResponse(429, "");
         return S3XmlResponse(204, "");
       },
       2, StatusCode::kOk},
      {[](int) -> StatusOr<HttpResponse> { return S3XmlResponse(404, ""); }, 1,
       StatusCode::kNotFound},
      {[](int) -> StatusOr<HttpResponse> {
         return S3XmlResponse(403, S3ErrorBodyXml("AccessDenied", "no"));
       },
       1, StatusCode::kPermissionDenied},
      {[](int) -> StatusOr<HttpResponse> { return DeadlineExceededError("timeout"); }, 1,
       StatusCode::kDeadlineExceeded},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    FakeS3Transport transport(
        [&](const HttpRequest&, int index) { return cases[i].answer(index); });
    RecordingClock clock(kTime);
    auto client = MakeClient({}, transport, clock);
    EXPECT_EQ(client->DeleteObject("bkt", "k").code(), cases[i].code) << "case " << i;
    EXPECT_EQ(transport.requests().size(), cases[i].attempts) << "case " << i;
  }
}

TEST(S3ClientUnitTest, CredentialFailuresAreNotRetried) {
  FakeS3Transport transport([](const HttpRequest&, int) { return S3XmlResponse(200, ""); });
  RecordingClock clock(kTime);
  auto client = MakeClient({}, transport, clock, [] {
    return StatusOr<AwsCredentials>(UnavailableError("IMDS unreachable"));
  });
  Status s = client->DeleteObject("bkt", "k");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("credentials"));
  EXPECT_TRUE(transport.requests().empty());
  EXPECT_TRUE(clock.sleeps().empty());
}

}  // namespace
}  // namespace ragd
