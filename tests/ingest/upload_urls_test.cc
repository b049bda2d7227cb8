// Upload URL issuers (local endpoint and S3) and the local endpoint's key pair: every URL issued
// verifies as a presigned S3 request, and signs what the request asked to pin.
#include "ingest/upload_urls.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "aws/s3_client.h"
#include "aws/sigv4_verify.h"
#include "core/crypto.h"
#include "core/schema.h"
#include "ingest/object_credentials.h"

namespace ragd {
namespace {

const AwsCredentials kCredentials{"RGDTESTKEY0000000000", "test-secret-0123456789abcdef", ""};

std::chrono::system_clock::time_point T0() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
}

// The request a client sends to `url` with `headers`, as the endpoint sees it.
SignableRequest Incoming(const std::string& url, HttpHeaders headers) {
  const size_t scheme_end = url.find("://") + 3;
  const size_t path_start = url.find('/', scheme_end);
  const size_t q = url.find('?');
  SignableRequest r;
  r.method = "PUT";
  r.path = url.substr(path_start, q - path_start);
  r.query = *ParseQueryString(url.substr(q + 1));
  headers.emplace_back("host", url.substr(scheme_end, path_start - scheme_end));
  r.headers = std::move(headers);
  r.payload_hash = std::string(kUnsignedPayload);
  return r;
}

Status Verify(const SignableRequest& r, const AwsCredentials& credentials, std::string region,
              std::chrono::system_clock::time_point now) {
  PresignVerifyOptions options;
  options.region = std::move(region);
  return VerifyPresignedRequest(
      r, options,
      [&](std::string_view id) -> StatusOr<AwsCredentials> {
        if (id != credentials.access_key_id) return NotFoundError("unknown");
        return credentials;
      },
      now);
}

class LocalIssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalUploadUrlOptions options;
    options.endpoint = "http://127.0.0.1:8080";
    options.credentials = kCredentials;
    options.max_upload_bytes = 1000;
    auto issuer = LocalUploadUrlIssuer::Create(options, clock_);
    ASSERT_TRUE(issuer.ok()) << issuer.status().ToString();
    issuer_ = *std::move(issuer);
  }
  FakeClock clock_{T0()};
  std::unique_ptr<LocalUploadUrlIssuer> issuer_;
};

TEST_F(LocalIssuerTest, PathStyleUrlAtTheEndpointThatVerifies) {
  UploadUrlRequest request;
  request.key = "bots/b1/Q3 report (final)+ü.pdf";
  request.content_type = "application/pdf";
  request.size = 123;
  StatusOr<UploadUrl> url = issuer_->Issue(request);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->method, "PUT");
  EXPECT_EQ(
      url->url.rfind("http://127.0.0.1:8080/ragd-uploads/" + UriEncodePath(request.key) + "?", 0),
      0u)
      << url->url;
  EXPECT_NE(url->url.find("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"),
            std::string::npos)
      << url->url;
  EXPECT_NE(url->url.find("X-Amz-Expires=900"), std::string::npos);
  EXPECT_EQ(url->headers, (HttpHeaders{{"Content-Type", "application/pdf"}}));
  EXPECT_EQ(url->expires_at, T0() + std::chrono::seconds(900));

  const HttpHeaders sent = {{"content-type", "application/pdf"}, {"content-length", "123"}};
  EXPECT_TRUE(Verify(Incoming(url->url, sent), kCredentials, "us-east-1", T0()).ok());
  EXPECT_TRUE(
      Verify(Incoming(url->url, sent), kCredentials, "us-east-1", T0() + std::chrono::seconds(900))
          .ok());
  EXPECT_EQ(
      Verify(Incoming(url->url, sent), kCredentials, "us-east-1", T0() + std::chrono::seconds(901))
          .code(),
      StatusCode::kPermissionDenied);
  // The pinned headers are part of the signature.
  EXPECT_FALSE(
      Verify(Incoming(url->url, {{"content-type", "text/html"}, {"content-length", "123"}}),
             kCredentials, "us-east-1", T0())
          .ok());
  EXPECT_FALSE(
      Verify(Incoming(url->url, {{"content-type", "application/pdf"}, {"content-length", "124"}}),
             kCredentials, "us-east-1", T0())
          .ok());
}

TEST_F(LocalIssuerTest, UnpinnedUrlSignsOnlyHost) {
  UploadUrlRequest request;
  request.key = "k";
  request.expiry = std::chrono::seconds(5);
  StatusOr<UploadUrl> url = issuer_->Issue(request);
  ASSERT_TRUE(url.ok());
  EXPECT_NE(url->url.find("X-Amz-SignedHeaders=host&"), std::string::npos) << url->url;
  EXPECT_TRUE(url->headers.empty());
  EXPECT_EQ(url->expires_at, T0() + std::chrono::seconds(5));
  EXPECT_TRUE(Verify(Incoming(url->url, {{"content-type", "anything/at-all"}}), kCredentials,
                     "us-east-1", T0())
                  .ok());
}

TEST_F(LocalIssuerTest, RefusesBadRequests) {
  UploadUrlRequest request;
  request.key = "";
  EXPECT_EQ(issuer_->Issue(request).status().code(), StatusCode::kInvalidArgument);
  request.key = std::string(1025, 'x');
  EXPECT_EQ(issuer_->Issue(request).status().code(), StatusCode::kInvalidArgument);
  request.key = "ok";
  request.size = 1001;
  EXPECT_EQ(issuer_->Issue(request).status().kind(), ErrorKind::kTooLarge);
  request.size = 1000;
  EXPECT_TRUE(issuer_->Issue(request).ok());
  request.expiry = std::chrono::seconds(604801);
  EXPECT_EQ(issuer_->Issue(request).status().code(), StatusCode::kInvalidArgument);
  request.expiry = std::chrono::seconds(0);
  request.content_type = "text/plain\r\nX-Evil: 1";
  EXPECT_EQ(issuer_->Issue(request).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LocalIssuerTest, EndpointIsNormalisedAsBrowsersSendHost) {
  ASSERT_TRUE(issuer_->SetEndpoint("HTTP://Ragd.Example.COM:80/").ok());
  EXPECT_EQ(issuer_->endpoint(), "http://ragd.example.com");
  ASSERT_TRUE(issuer_->SetEndpoint("https://ragd.example.com:443").ok());
  EXPECT_EQ(issuer_->endpoint(), "https://ragd.example.com");
  ASSERT_TRUE(issuer_->SetEndpoint("https://[::1]:8443").ok());
  EXPECT_EQ(issuer_->endpoint(), "https://[::1]:8443");
  UploadUrlRequest request;
  request.key = "k";
  EXPECT_EQ(issuer_->Issue(request)->url.rfind("https://[::1]:8443/ragd-uploads/k?", 0), 0u);
  for (const char* bad :
       {"ftp://h", "127.0.0.1:8080", "http://", "http://h/base", "http://u@h", "http://h?x=1"}) {
    EXPECT_EQ(issuer_->SetEndpoint(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(issuer_->endpoint(), "https://[::1]:8443");  // unchanged by refused values
}

TEST(S3UploadUrlIssuerTest, PresignsForTheRealBucket) {
  // Presigning never sends anything: a transport that fails every request proves it.
  class NoTransport : public HttpTransport {
   public:
    StatusOr<HttpResponse> Send(const HttpRequest&) override { return UnavailableError("no"); }
    StatusOr<HttpResponse> SendStreaming(const HttpRequest&, const HttpBodyCallback&) override {
      return UnavailableError("no");
    }
  } transport;
  FakeClock clock(T0());
  S3ClientOptions options;
  options.region = "eu-west-1";
  const AwsCredentials aws{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  auto client = S3Client::Create(options, transport, clock, FixedAwsCredentials(aws));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  S3UploadUrlIssuer issuer(**client, "docs-bucket", std::chrono::seconds(600), 1000);
  UploadUrlRequest request;
  request.key = "a b/c.pdf";
  request.content_type = "application/pdf";
  StatusOr<UploadUrl> url = issuer.Issue(request);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->url.rfind("https://docs-bucket.s3.eu-west-1.amazonaws.com/a%20b/c.pdf?", 0), 0u)
      << url->url;
  EXPECT_EQ(url->method, "PUT");
  EXPECT_EQ(url->expires_at, T0() + std::chrono::seconds(600));
  EXPECT_EQ(FindHeader(url->headers, "content-type"), "application/pdf");
  EXPECT_TRUE(
      Verify(Incoming(url->url, {{"content-type", "application/pdf"}}), aws, "eu-west-1", T0())
          .ok());
  request.size = 1001;
  EXPECT_EQ(issuer.Issue(request).status().kind(), ErrorKind::kTooLarge);
}

TEST(ObjectCredentialsTest, GeneratedOnceThenKeptConfiguredPairWins) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ragd-creds-" + RandomAlnum(8));
  std::filesystem::create_directories(dir);
  FakeClock clock(T0());
  Config config;
  AwsCredentials first;
  {
    auto db = Database::Open((dir / "ragd.db").string(), RagdMigrations());
    ASSERT_TRUE(db.ok());
    StatusOr<AwsCredentials> generated = ResolveObjectCredentials(config, **db, clock);
    ASSERT_TRUE(generated.ok()) << generated.status().ToString();
    first = *generated;
    EXPECT_EQ(first.access_key_id.size(), 20u);
    EXPECT_EQ(first.access_key_id.rfind("RGD", 0), 0u);
    EXPECT_EQ(first.secret_access_key.size(), 40u);
    EXPECT_TRUE(first.session_token.empty());
  }
  {  // a restart reads the same pair back
    auto db = Database::Open((dir / "ragd.db").string(), RagdMigrations());
    StatusOr<AwsCredentials> again = ResolveObjectCredentials(config, **db, clock);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->access_key_id, first.access_key_id);
    EXPECT_EQ(again->secret_access_key, first.secret_access_key);

    config.objects_access_key_id = "CONFIGUREDKEY";
    config.objects_secret_access_key = "configured-secret-key";
    StatusOr<AwsCredentials> configured = ResolveObjectCredentials(config, **db, clock);
    ASSERT_TRUE(configured.ok());
    EXPECT_EQ(configured->access_key_id, "CONFIGUREDKEY");
    EXPECT_EQ(configured->secret_access_key, "configured-secret-key");

    config.objects_secret_access_key.clear();
    EXPECT_EQ(ResolveObjectCredentials(config, **db, clock).status().code(),
              StatusCode::kInvalidArgument);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ragd
