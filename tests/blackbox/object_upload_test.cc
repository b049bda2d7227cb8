// The local S3-compatible upload endpoint of the real binary: PUTs through URLs from ragd's own
// issuer land byte for byte; every kind of bad request gets S3's XML error before the body is
// read, stores nothing, and leaves the server serving.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "aws/checksums.h"
#include "aws/sigv4.h"
#include "core/crypto.h"
#include "tests/blackbox/object_upload_util.h"

namespace ragd::testing {
namespace {

std::string Binary(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131) ^ (i >> 9));
  return s;
}

std::string ReplaceFirst(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from << " not in " << s;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

using ObjectUploadTest = ObjectServerTest;

TEST_F(ObjectUploadTest, PresignedPutStoresTheExactBytes) {
  const std::string body = Binary(3 * 1024 * 1024 + 5);  // over Beast's default 1 MiB
  const UploadUrl url = Issue("docs/report.pdf", "application/pdf", body.size());
  auto r = Put(url.url, body, url.headers);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(r->body.empty());
  Checksummer md5(ChecksumAlgorithm::kMd5);
  md5.Update(body);
  const std::string etag = "\"" + HexEncode(md5.Finish()) + "\"";
  EXPECT_EQ(FindHeader(r->headers, "etag"), etag);

  StatusOr<ObjectInfo> info = store().Head(kBucket, "docs/report.pdf");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, body.size());
  EXPECT_EQ(info->sha256, Sha256Hex(body));
  EXPECT_EQ(info->etag, etag);
  EXPECT_EQ(info->content_type, "application/pdf");
  EXPECT_EQ(ReadObject("docs/report.pdf"), body);
  std::ifstream on_disk(*store().PathOf(kBucket, "docs/report.pdf"), std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(on_disk), {}), body);

  // The same URL may be used again (S3 semantics); the object is replaced.
  auto again = Put(url.url, std::string(body.rbegin(), body.rend()), url.headers);
  ASSERT_EQ(again->status, 200);
  EXPECT_EQ(ReadObject("docs/report.pdf"), std::string(body.rbegin(), body.rend()));
}

TEST_F(ObjectUploadTest, HostileKeysRoundTripAsNames) {
  const std::vector<std::string> keys = {"a b/c+d ü 日本.txt", "../../../../etc/passwd",
                                         "x/./y/../z",         "%41?#[]@!$&'()*,;= ~",
                                         "//double//slash",    std::string(1024, 'k')};
  for (const std::string& key : keys) {
    const UploadUrl url = Issue(key);
    auto r = Put(url.url, "content of " + key);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200) << key << ": " << r->body;
    EXPECT_EQ(ReadObject(key), "content of " + key);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/etc"));
  EXPECT_EQ(store().List(kBucket, "")->size(), keys.size());
}

TEST_F(ObjectUploadTest, RefusedUploadsGetS3ErrorsAndStoreNothing) {
  const std::string body = "the body";
  struct Case {
    std::string name;
    std::string url;
    HttpHeaders headers;
    std::string body;
    int status;
    std::string code;
  };
  std::vector<Case> cases;
  const UploadUrl pinned = Issue("k/pinned", "text/plain", body.size());
  const UploadUrl open = Issue("k/open");
  const std::string sig = "X-Amz-Signature=";
  const size_t sig_at = open.url.find(sig) + sig.size();
  std::string flipped = open.url;
  flipped[sig_at] = flipped[sig_at] == '0' ? '1' : '0';
  cases.push_back({"wrong signature", flipped, {}, body, 403, "SignatureDoesNotMatch"});
  cases.push_back({"tampered key",
                   ReplaceFirst(open.url, "/k/open?", "/k/other?"),
                   {},
                   body,
                   403,
                   "SignatureDoesNotMatch"});
  cases.push_back({"tampered expiry",
                   ReplaceFirst(open.url, "X-Amz-Expires=900", "X-Amz-Expires=9000"),
                   {},
                   body,
                   403,
                   "SignatureDoesNotMatch"});
  cases.push_back({"other content type",
                   pinned.url,
                   {{"Content-Type", "text/html"}},
                   body,
                   403,
                   "SignatureDoesNotMatch"});
  cases.push_back(
      {"other length", pinned.url, pinned.headers, body + "!", 403, "SignatureDoesNotMatch"});
  cases.push_back({"other secret",
                   Issue("k/s", "", {}, {}, "not-the-secret-0123456789").url,
                   {},
                   body,
                   403,
                   "SignatureDoesNotMatch"});
  cases.push_back({"unknown key id",
                   Issue("k/i", "", {}, {}, kObjectSecret, "RGDUNKNOWN").url,
                   {},
                   body,
                   403,
                   "InvalidAccessKeyId"});
  cases.push_back({"no signature", Url("/ragd-uploads/k/anon"), {}, body, 403, "AccessDenied"});
  cases.push_back(
      {"unsigned amz header", open.url, {{"x-amz-meta-evil", "1"}}, body, 403, "AccessDenied"});
  cases.push_back({"truncated query",
                   open.url.substr(0, open.url.find("&X-Amz-Signature")),
                   {},
                   body,
                   400,
                   "AuthorizationQueryParametersError"});
  cases.push_back(
      // A client that waits for "100 Continue" never sends the refused body. (One that sends it
      // at once may see the connection reset before it reads the answer: docs/api.md.)
      {"too large",
       Issue("k/big").url,
       {{"Expect", "100-continue"}},
       std::string(4194305, 'x'),
       400,
       "EntityTooLarge"});
  cases.push_back({"subresource", open.url + "&acl=", {}, body, 403, "SignatureDoesNotMatch"});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Put(c.url, c.body, c.headers);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, c.status) << r->body;
    EXPECT_EQ(S3ErrorCode(r), c.code);
    EXPECT_EQ(r->body.find(kObjectSecret), std::string::npos);
  }
  for (const char* key : {"k/pinned", "k/open", "k/other", "k/s", "k/i", "k/anon", "k/big"}) {
    ExpectNothingStored(key);
  }
  // The pinned URL still works when used as signed.
  EXPECT_EQ(Put(pinned.url, body, pinned.headers)->status, 200);
  EXPECT_EQ(ReadObject("k/pinned"), body);
}

TEST_F(ObjectUploadTest, ExpiredUrlIsRefused) {
  const UploadUrl url = Issue("k/expiring", "", {}, std::chrono::seconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto r = Put(url.url, "late");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(S3ErrorCode(r), "AccessDenied");
  EXPECT_NE(r->body.find("<Message>Request has expired</Message>"), std::string::npos) << r->body;
  ExpectNothingStored("k/expiring");
}

TEST_F(ObjectUploadTest, RefusedBeforeTheBodyIsRead) {
  // A head that promises a body the client never sends is answered at once.
  const UploadUrl url = Issue("k/never");
  const std::string path_and_query = url.url.substr(url.url.find('/', 8));
  std::string bad = path_and_query;
  char& c = bad[bad.find("X-Amz-Signature=") + 16];
  c = c == '0' ? '1' : '0';
  const std::string answer = RawExchange("PUT " + bad + " HTTP/1.1\r\nHost: " + Host() +
                                         "\r\nContent-Length: 100000\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 403", 0), 0u) << answer;
  EXPECT_EQ(S3ErrorCode(answer.substr(answer.find("\r\n\r\n") + 4)), "SignatureDoesNotMatch");
  // Without a Content-Length (chunked), S3 wants one.
  const std::string chunked =
      RawExchange("PUT " + path_and_query + " HTTP/1.1\r\nHost: " + Host() +
                  "\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.rfind("HTTP/1.1 411", 0), 0u) << chunked;
  EXPECT_EQ(S3ErrorCode(chunked.substr(chunked.find("\r\n\r\n") + 4)), "MissingContentLength");
  ExpectNothingStored("k/never");
}

// Header authentication (Authorization: AWS4-HMAC-SHA256 ...), signed by ragd's own signer.
class HeaderSignedUploadTest : public ObjectServerTest {
 protected:
  HttpHeaders Signed(const std::string& key, const std::string& body, HttpHeaders extra = {},
                     const std::string& payload_hash = "") {
    SignableRequest req;
    req.method = "PUT";
    req.path = "/ragd-uploads/" + UriEncodePath(key);
    req.headers = extra;
    req.headers.emplace_back("Host", Host());
    req.headers.emplace_back("Content-Length", std::to_string(body.size()));
    req.body = body;
    req.payload_hash = payload_hash;
    auto signed_req = SignHeaders(req, {kObjectKeyId, kObjectSecret, ""},
                                  S3SigningOptions("us-east-1", std::chrono::system_clock::now()));
    EXPECT_TRUE(signed_req.ok()) << signed_req.status().ToString();
    HttpHeaders headers = extra;
    for (const auto& h : signed_req->headers_to_add) headers.push_back(h);
    return headers;
  }
  std::string UrlFor(const std::string& key) { return Url("/ragd-uploads/" + UriEncodePath(key)); }
};

TEST_F(HeaderSignedUploadTest, AcceptsSignedPayloadsAndChecksThem) {
  const std::string body = Binary(70000);
  auto ok = Put(UrlFor("h/ok"), body,
                Signed("h/ok", body,
                       {{"Content-Type", "text/csv"},
                        {"x-amz-checksum-crc32c", ChecksumBase64(ChecksumAlgorithm::kCrc32c, body)},
                        {"Content-MD5", ChecksumBase64(ChecksumAlgorithm::kMd5, body)}}));
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(FindHeader(ok->headers, "x-amz-checksum-crc32c"),
            ChecksumBase64(ChecksumAlgorithm::kCrc32c, body));
  EXPECT_EQ(ReadObject("h/ok"), body);
  EXPECT_EQ(store().Head(kBucket, "h/ok")->content_type, "text/csv");

  auto unsigned_payload = Put(UrlFor("h/unsigned"), body,
                              Signed("h/unsigned", body, {}, std::string(kUnsignedPayload)));
  EXPECT_EQ(unsigned_payload->status, 200) << unsigned_payload->body;
  EXPECT_EQ(ReadObject("h/unsigned"), body);

  // A signature over a claimed hash that is not the body's.
  const std::string other = body + "x";
  auto sha = Put(UrlFor("h/sha"), other,
                 Signed("h/sha", other, {{"x-amz-content-sha256", Sha256Hex(body)}}));
  EXPECT_EQ(sha->status, 400);
  EXPECT_EQ(S3ErrorCode(sha), "XAmzContentSHA256Mismatch");
  auto crc =
      Put(UrlFor("h/crc"), body, Signed("h/crc", body, {{"x-amz-checksum-crc32", "AAAAAA=="}}));
  EXPECT_EQ(crc->status, 400);
  EXPECT_EQ(S3ErrorCode(crc), "BadDigest");
  auto md5 =
      Put(UrlFor("h/md5"), body,
          Signed("h/md5", body, {{"Content-MD5", ChecksumBase64(ChecksumAlgorithm::kMd5, "x")}}));
  EXPECT_EQ(md5->status, 400);
  EXPECT_EQ(S3ErrorCode(md5), "BadDigest");
  auto streaming = Put(
      UrlFor("h/stream"), body,
      Signed("h/stream", body, {{"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}}));
  EXPECT_EQ(streaming->status, 501);
  EXPECT_EQ(S3ErrorCode(streaming), "NotImplemented");
  auto tampered = Put(UrlFor("h/other-key"), body, Signed("h/tampered", body));
  EXPECT_EQ(tampered->status, 403);
  EXPECT_EQ(S3ErrorCode(tampered), "SignatureDoesNotMatch");
  for (const char* key : {"h/sha", "h/crc", "h/md5", "h/stream", "h/other-key", "h/tampered"}) {
    ExpectNothingStored(key);
  }
}

TEST_F(HeaderSignedUploadTest, IfNoneMatchStarRefusesOverwrite) {
  auto first = Put(UrlFor("h/once"), "one", Signed("h/once", "one", {{"If-None-Match", "*"}}));
  EXPECT_EQ(first->status, 200) << first->body;
  auto second = Put(UrlFor("h/once"), "two", Signed("h/once", "two", {{"If-None-Match", "*"}}));
  EXPECT_EQ(second->status, 412);
  EXPECT_EQ(S3ErrorCode(second), "PreconditionFailed");
  EXPECT_EQ(ReadObject("h/once"), "one");
}

TEST_F(ObjectUploadTest, LogsNeverCarrySignaturesOrSecrets) {
  const UploadUrl url = Issue("k/logged", "text/plain");
  ASSERT_EQ(Put(url.url, "x", url.headers)->status, 200);
  std::string bad = url.url;
  char& c = bad[bad.find("X-Amz-Signature=") + 16];
  c = c == '0' ? '1' : '0';
  ASSERT_EQ(Put(bad, "x", url.headers)->status, 403);
  const std::string signature = url.url.substr(url.url.find("X-Amz-Signature=") + 16, 64);
  const std::string log = server_->WaitForStderr("\"route\":\"/ragd-uploads/{key+}\"", 2);
  EXPECT_NE(log.find("\"route\":\"/ragd-uploads/{key+}\""), std::string::npos) << log;
  EXPECT_EQ(log.find(signature), std::string::npos);
  EXPECT_EQ(log.find(kObjectSecret), std::string::npos);
  EXPECT_EQ(log.find("X-Amz-Credential"), std::string::npos);
}

TEST(ObjectStoreConfigTest, WithS3TheLocalEndpointIsNotServed) {
  TempDir dir;
  RagdServer server(dir.path(), {"--objects-store", "s3", "--objects-region", "eu-west-1"});
  ASSERT_TRUE(server.started()) << server.stderr_text();
  auto r = Send("PUT", server.base_url() + "/ragd-uploads/k", "x");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404) << r->body;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/objects"));
}

TEST(ObjectStoreConfigTest, BadObjectOptionsAreConfigurationErrors) {
  TempDir dir;
  for (const std::vector<std::string>& flags :
       std::vector<std::vector<std::string>>{{"--objects-bucket", "v1"},
                                             {"--objects-bucket", "Bad_Bucket"},
                                             {"--objects-store", "gcs"},
                                             {"--objects-url-expiry-seconds", "604801"}}) {
    std::vector<std::string> args = {"serve", "--data-dir", dir.path(), "--server-port", "0"};
    args.insert(args.end(), flags.begin(), flags.end());
    CommandResult result = RunRagd(args);
    EXPECT_EQ(result.exit_code, 2) << flags[1] << ": " << result.err;
    EXPECT_NE(result.err.find(flags[0].substr(2)), std::string::npos) << result.err;
  }
  // Half a key pair is refused at startup.
  CommandResult half = RunRagd({"serve", "--data-dir", dir.path(), "--server-port", "0"},
                               {{"RAGD_OBJECTS_ACCESS_KEY_ID", "ONLYTHEID"}});
  EXPECT_EQ(half.exit_code, 1) << half.err;
  EXPECT_NE(half.err.find("must be set together"), std::string::npos) << half.err;
  CommandResult path_url = RunRagd({"serve", "--data-dir", dir.path(), "--server-port", "0",
                                    "--server-public-url", "https://example.com/ragd"});
  EXPECT_EQ(path_url.exit_code, 1) << path_url.err;
  EXPECT_NE(path_url.err.find("without a path"), std::string::npos) << path_url.err;
}

}  // namespace
}  // namespace ragd::testing
