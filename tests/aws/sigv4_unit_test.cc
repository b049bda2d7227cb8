// Unit tests of the SigV4 building blocks, options and error handling (the published suites and
// the SDK cross-check live in sigv4_test.cc and sigv4_sdk_crosscheck_test.cc).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "aws/sigv4.h"
#include "core/crypto.h"

namespace ragd {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::chrono::system_clock::time_point Time20150830() {
  return *ParseSigV4AmzDate("20150830T123600Z");
}

SignableRequest VanillaRequest() {
  SignableRequest request;
  request.headers = {{"Host", "example.amazonaws.com"}};
  return request;
}

SigningOptions VanillaOptions() {
  SigningOptions options;
  options.region = "us-east-1";
  options.service = "service";
  options.time = Time20150830();
  return options;
}

const AwsCredentials kCredentials{"AKIDEXAMPLE", kSecret, ""};

TEST(UriEncodeTest, EncodesAllButUnreserved) {
  EXPECT_EQ(UriEncode("a b+c~d-e_f.g/h%"), "a%20b%2Bc~d-e_f.g%2Fh%25");
  EXPECT_EQ(UriEncodePath("a b+c~/h%"), "a%20b%2Bc~/h%25");
  EXPECT_EQ(UriEncode("\xe1\x88\xb4"), "%E1%88%B4");
  for (int c = 0; c < 256; ++c) {
    const std::string s(1, static_cast<char>(c));
    EXPECT_EQ(UriEncode(s) == s, IsUriUnreserved(static_cast<unsigned char>(c))) << c;
  }
}

TEST(UriEncodeTest, DecodeIsStrictAndKeepsPlus) {
  EXPECT_EQ(*UriDecode("%41%e1%88%B4+x"), "A\xe1\x88\xb4+x");
  for (const char* bad : {"%", "%4", "%zz", "a%4g"}) {
    StatusOr<std::string> decoded = UriDecode(bad);
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(UriEncodeTest, ParsesAndEncodesQueryStrings) {
  StatusOr<QueryParams> query = ParseQueryString("a=1&&b&c=%20&=x&d=e=f");
  ASSERT_TRUE(query.ok());
  const QueryParams expected = {{"a", "1"}, {"b", ""}, {"c", " "}, {"", "x"}, {"d", "e=f"}};
  EXPECT_EQ(*query, expected);
  EXPECT_EQ(EncodeQueryString(expected), "a=1&b=&c=%20&=x&d=e%3Df");
  EXPECT_FALSE(ParseQueryString("a=%").ok());
}

TEST(SigV4CanonicalTest, NormalizesPaths) {
  const std::vector<std::pair<std::string, std::string>> cases = {{"/", "/"},
                                                                  {"//", "/"},
                                                                  {"/./", "/"},
                                                                  {"/a/..", "/"},
                                                                  {"/a/../..", "/"},
                                                                  {"//a//b//", "/a/b/"},
                                                                  {"/a/./b/../c", "/a/c"},
                                                                  {"/a/b/", "/a/b/"},
                                                                  {"/..a/.b/", "/..a/.b/"}};
  for (const auto& [in, out] : cases) EXPECT_EQ(SigV4NormalizePath(in), out) << in;
}

TEST(SigV4CanonicalTest, CanonicalUriRules) {
  // S3: verbatim, even with dot segments and empty segments.
  EXPECT_EQ(*SigV4CanonicalUri("//a/../b%20c", false, false), "//a/../b%20c");
  // Other services: normalised, then encoded once more.
  EXPECT_EQ(*SigV4CanonicalUri("//a/../b%20c", true, true), "/b%2520c");
  EXPECT_EQ(*SigV4CanonicalUri("/a b", false, true), "/a%20b");
  EXPECT_EQ(*SigV4CanonicalUri("", true, true), "/");
  EXPECT_FALSE(SigV4CanonicalUri("relative", true, true).ok());
}

TEST(SigV4CanonicalTest, CanonicalQuerySortsEncodedPairsAndDropsSignature) {
  const QueryParams query = {{"b", "2"},
                             {"a", "z"},
                             {"a", "y"},
                             {"A", "1"},
                             {"a b", "c d"},
                             {"x-amz-signature", "drop"},
                             {"X-Amz-Signature", "drop"},
                             {"\xe1\x88\xb4", ""}};
  EXPECT_EQ(SigV4CanonicalQuery(query), "%E1%88%B4=&A=1&a=y&a=z&a%20b=c%20d&b=2");
}

TEST(SigV4CanonicalTest, HeaderValuesAreTrimmedAndFolded) {
  EXPECT_EQ(SigV4CanonicalHeaderValue("  a   b\t\tc  "), "a b c");
  EXPECT_EQ(SigV4CanonicalHeaderValue("value1\n  value2\r\n\tvalue3"), "value1 value2 value3");
  EXPECT_EQ(SigV4CanonicalHeaderValue(" \t "), "");
  EXPECT_EQ(SigV4CanonicalHeaderValue("\"a   b\""), "\"a b\"");
}

TEST(SigV4CanonicalTest, RepeatedHeadersJoinInOrder) {
  const HttpHeaders headers = {{"My-Header", " v2 "}, {"host", "h"}, {"my-header", "v1"}};
  StatusOr<SigV4CanonicalHeaders> canonical =
      SigV4CanonicalizeHeaders(headers, SigV4SignableHeaderNames(headers));
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(canonical->block, "host:h\nmy-header:v2,v1\n");
  EXPECT_EQ(canonical->signed_headers, "host;my-header");
  EXPECT_FALSE(SigV4CanonicalizeHeaders(headers, {"absent"}).ok());
}

TEST(SigV4CanonicalTest, UnsignableHeadersAreSkipped) {
  const HttpHeaders headers = {
      {"Host", "h"},   {"User-Agent", "x"},      {"Proxy-Foo", "x"},     {"sec-fetch-mode", "x"},
      {"Expect", "x"}, {"X-Amzn-Trace-Id", "x"}, {"Content-Length", "0"}};
  const std::vector<std::string> expected = {"content-length", "host"};
  EXPECT_EQ(SigV4SignableHeaderNames(headers), expected);
}

TEST(SigV4CanonicalTest, AmzDateFormatsTruncatesAndParses) {
  const auto t = Time20150830() + std::chrono::milliseconds(999);
  EXPECT_EQ(SigV4AmzDate(t), "20150830T123600Z");
  EXPECT_EQ(SigV4AmzDate(*ParseSigV4AmzDate("20000229T235959Z")), "20000229T235959Z");
  for (const char* bad : {"", "20150830T123600", "2015-08-30T12:36:00Z", "20151330T123600Z",
                          "20150830T126000Z", "2015083OT123600Z"}) {
    EXPECT_FALSE(ParseSigV4AmzDate(bad).ok()) << bad;
  }
}

TEST(SigV4KeyTest, DerivesTheDocumentedKey) {
  // The example in the AWS General Reference ("Examples of how to derive a signing key").
  EXPECT_EQ(HexEncode(DeriveSigV4SigningKey(kSecret, "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4KeyTest, CachesPerCredentialsAndScope) {
  SigV4KeyCache cache(3);
  const AwsCredentials other{"AKIDEXAMPLE", "another-secret", ""};
  const std::string k1 = cache.SigningKey(kCredentials, "20150830", "us-east-1", "s3");
  EXPECT_EQ(cache.SigningKey(kCredentials, "20150830", "us-east-1", "s3"), k1);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_NE(cache.SigningKey(other, "20150830", "us-east-1", "s3"), k1);  // rotated secret
  EXPECT_NE(cache.SigningKey(kCredentials, "20150831", "us-east-1", "s3"), k1);
  EXPECT_EQ(cache.misses(), 3u);
  cache.SigningKey(kCredentials, "20150830", "eu-west-1", "s3");
  EXPECT_EQ(cache.size(), 3u);  // bounded
  EXPECT_EQ(k1, DeriveSigV4SigningKey(kSecret, "20150830", "us-east-1", "s3"));
}

TEST(SigV4KeyTest, CacheIsSafeUnderConcurrentSigning) {
  SigV4KeyCache cache(4);
  std::vector<std::thread> threads;
  std::vector<std::set<std::string>> seen(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      SigningOptions options = VanillaOptions();
      options.key_cache = &cache;
      for (int i = 0; i < 300; ++i) {
        options.region = i % 2 ? "us-east-1" : "eu-west-1";
        options.time = Time20150830() + std::chrono::hours(24 * (i % 3));
        StatusOr<HeaderSigningResult> r = SignHeaders(VanillaRequest(), kCredentials, options);
        if (r.ok()) seen[t].insert(r->authorization);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& s : seen) EXPECT_EQ(s, seen[0]);  // every thread got the same six signatures
  EXPECT_EQ(seen[0].size(), 6u);
  EXPECT_LE(cache.size(), 4u);
  EXPECT_EQ(cache.hits() + cache.misses(), 8u * 300u);
}

TEST(SigV4SignTest, RejectsMalformedInputWithoutLeakingSecrets) {
  std::vector<Status> errors;
  SignableRequest no_host = VanillaRequest();
  no_host.headers.clear();
  errors.push_back(SignHeaders(no_host, kCredentials, VanillaOptions()).status());
  SigningOptions bad_region = VanillaOptions();
  bad_region.region = "us-east-1/x";
  errors.push_back(SignHeaders(VanillaRequest(), kCredentials, bad_region).status());
  errors.push_back(SignHeaders(VanillaRequest(), {"AKID", "", ""}, VanillaOptions()).status());
  SignableRequest bad_header = VanillaRequest();
  bad_header.headers.emplace_back("Bad Name", kSecret);
  errors.push_back(SignHeaders(bad_header, kCredentials, VanillaOptions()).status());
  SignableRequest conflict = VanillaRequest();
  conflict.headers.emplace_back("x-amz-content-sha256", std::string(kEmptyPayloadSha256));
  conflict.payload_hash = std::string(kUnsignedPayload);
  errors.push_back(SignHeaders(conflict, kCredentials, VanillaOptions()).status());
  SigningOptions expiry = VanillaOptions();
  expiry.expires = std::chrono::seconds(604801);
  errors.push_back(Presign(VanillaRequest(), kCredentials, expiry).status());
  expiry.expires = std::chrono::seconds(0);
  errors.push_back(Presign(VanillaRequest(), kCredentials, expiry).status());
  SignableRequest reserved = VanillaRequest();
  reserved.query = {{"x-amz-date", "20150830T123600Z"}};
  errors.push_back(Presign(reserved, kCredentials, VanillaOptions()).status());
  for (const Status& status : errors) {
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
    EXPECT_EQ(status.message().find(kSecret), std::string::npos) << status.ToString();
  }
  expiry.expires = std::chrono::seconds(604800);
  EXPECT_TRUE(Presign(VanillaRequest(), kCredentials, expiry).ok());
}

TEST(SigV4SignTest, ReplacesGeneratedHeadersAndSignsBodyHash) {
  SignableRequest request = VanillaRequest();
  request.headers.emplace_back("Authorization", "stale");
  request.headers.emplace_back("X-Amz-Date", "19990101T000000Z");
  request.body = "hello";
  SigningOptions options = VanillaOptions();
  options.signed_body_header = true;
  AwsCredentials temporary = kCredentials;
  temporary.session_token = "token/+=";
  StatusOr<HeaderSigningResult> result = SignHeaders(request, temporary, options);
  ASSERT_TRUE(result.ok());
  const HttpHeaders expected = {{"X-Amz-Security-Token", "token/+="},
                                {"X-Amz-Date", "20150830T123600Z"},
                                {"x-amz-content-sha256", Sha256Hex("hello")},
                                {"Authorization", result->authorization}};
  EXPECT_EQ(result->headers_to_add, expected);
  EXPECT_EQ(result->details.signed_headers,
            "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_EQ(result->details.payload_hash, Sha256Hex("hello"));

  options.omit_session_token = true;
  result = SignHeaders(request, temporary, options);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->details.signed_headers, "host;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(result->headers_to_add.front().first, "X-Amz-Security-Token");
}

TEST(SigV4PresignTest, QueryOrdersDifferOnlyInLayout) {
  SignableRequest request = VanillaRequest();
  // U+FF01 sorts before U+1F600 by code point (and UTF-8 bytes), after it in UTF-16 (the SDK).
  request.query = {{"\xef\xbc\x81", "1"}, {"\xf0\x9f\x98\x80", "2"}, {"b", "3"}};
  std::vector<std::string> signatures, urls;
  for (PresignQueryOrder order :
       {PresignQueryOrder::kSdk, PresignQueryOrder::kCanonical, PresignQueryOrder::kAppend}) {
    SigningOptions options = VanillaOptions();
    options.query_order = order;
    StatusOr<PresignResult> result = Presign(request, kCredentials, options);
    ASSERT_TRUE(result.ok());
    signatures.push_back(result->details.signature);
    urls.push_back(result->url);
  }
  EXPECT_EQ(signatures[0], signatures[1]);
  EXPECT_EQ(signatures[0], signatures[2]);
  const std::string sig = signatures[0];
  const std::string auth =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2F"
      "service%2Faws4_request&X-Amz-Date=20150830T123600Z";
  EXPECT_EQ(urls[0], "https://example.amazonaws.com/?" + auth +
                         "&X-Amz-Expires=3600&X-Amz-Signature=" + sig +
                         "&X-Amz-SignedHeaders=host&b=3&%F0%9F%98%80=2&%EF%BC%81=1");
  EXPECT_EQ(urls[1], "https://example.amazonaws.com/?%EF%BC%81=1&%F0%9F%98%80=2&" + auth +
                         "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&b=3&X-Amz-Signature=" + sig);
  EXPECT_EQ(urls[2], "https://example.amazonaws.com/?%EF%BC%81=1&%F0%9F%98%80=2&b=3&" + auth +
                         "&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=" + sig);
}

TEST(SigV4PresignTest, S3HoistsAmzHeadersButKeepsEncryptionHeaders) {
  SignableRequest request;
  request.method = "PUT";
  request.path = "/" + UriEncodePath("dir/my file+1.txt");
  request.headers = {{"Host", "bucket.s3.eu-west-1.amazonaws.com"},
                     {"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"},
                     {"x-amz-meta-owner", "alice"},
                     {"x-amz-server-side-encryption", "AES256"},
                     {"User-Agent", "ragd"}};
  SigningOptions options = S3SigningOptions("eu-west-1", Time20150830());
  options.expires = std::chrono::seconds(900);
  AwsCredentials temporary = kCredentials;
  temporary.session_token = "tok";
  StatusOr<PresignResult> result = Presign(request, temporary, options);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->details.signed_headers, "host;x-amz-server-side-encryption");
  EXPECT_EQ(result->details.payload_hash, "UNSIGNED-PAYLOAD");
  const HttpHeaders remaining = {{"Host", "bucket.s3.eu-west-1.amazonaws.com"},
                                 {"x-amz-server-side-encryption", "AES256"},
                                 {"User-Agent", "ragd"}};
  EXPECT_EQ(result->headers, remaining);
  EXPECT_TRUE(result->url.starts_with(
      "https://bucket.s3.eu-west-1.amazonaws.com/dir/my%20file%2B1.txt?X-Amz-Algorithm="));
  EXPECT_NE(result->query_string.find("&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&"),
            std::string::npos);
  EXPECT_NE(result->query_string.find("&X-Amz-Security-Token=tok&"), std::string::npos);
  EXPECT_TRUE(result->query_string.ends_with("&x-amz-meta-owner=alice"));
  EXPECT_NE(result->details.canonical_request.find("X-Amz-Security-Token=tok"), std::string::npos);

  options.omit_session_token = true;
  result = Presign(request, temporary, options);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->details.canonical_request.find("X-Amz-Security-Token"), std::string::npos);
  EXPECT_NE(result->query_string.find("X-Amz-Security-Token=tok"), std::string::npos);
}

}  // namespace
}  // namespace ragd
