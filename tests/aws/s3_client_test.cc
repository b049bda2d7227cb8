// S3Client against a real S3-compatible server: s3rver (npm) behind tests/js/s3rver_start.js,
// whose proxy verifies every SigV4 signature with the AWS SDK's signer (s3rver alone does not).
// Needs node on PATH and `npm ci --prefix tests/js`; missing either fails, never skips.
#include "aws/s3_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/crypto.h"
#include "tests/aws/s3_server_util.h"

namespace ragd {
namespace {

using ::ragd::testing::LoopbackTransport;
using ::ragd::testing::RandomData;
using ::ragd::testing::ReadWholeFile;
using ::ragd::testing::ScopedTempDir;
using ::ragd::testing::WriteWholeFile;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBucket[] = "ragd-test";
using ::ragd::testing::kS3rverCredentials;

class S3ClientS3rverTest : public ::ragd::testing::S3rverTest {};

TEST_F(S3ClientS3rverTest, SmallObjectRoundTrip) {
  auto s3 = Client();
  const std::string body = RandomData(3000, 1);
  S3PutOptions options;
  options.content_type = "application/x-ragd";
  options.metadata = {{"origin", "unit test"}, {"doc-id", "42"}};
  StatusOr<S3PutResult> put = s3->PutObject(kBucket, "small/one.bin", body, options);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_FALSE(put->etag.empty());

  StatusOr<std::string> got = s3->GetObject(kBucket, "small/one.bin");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == body);

  const ScopedTempDir scoped_dir("small");
  const std::string& dir = scoped_dir.path();
  StatusOr<S3ObjectInfo> file_info = s3->GetObjectToFile(kBucket, "small/one.bin", dir + "/f");
  ASSERT_TRUE(file_info.ok()) << file_info.status().ToString();
  EXPECT_TRUE(ReadWholeFile(dir + "/f") == body);

  StatusOr<S3ObjectInfo> head = s3->HeadObject(kBucket, "small/one.bin");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, body.size());
  EXPECT_EQ(head->etag, put->etag);
  EXPECT_EQ(head->content_type, "application/x-ragd");
  EXPECT_EQ(head->metadata, options.metadata);
  const auto age = std::chrono::system_clock::now() - head->last_modified;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(2));

  // Every request carried the real payload hash and no flexible-checksum headers.
  const nlohmann::json log = Log();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0]["headers"]["x-amz-content-sha256"], Sha256Hex(body));
  for (const auto& entry : log) {
    for (const auto& [name, value] : entry["headers"].items()) {
      EXPECT_FALSE(name.starts_with("x-amz-checksum")) << name;
    }
  }
}

TEST_F(S3ClientS3rverTest, FileUploadSignsTheFileHash) {
  auto s3 = Client();
  const ScopedTempDir scoped_dir("file");
  const std::string& dir = scoped_dir.path();
  const std::string data = RandomData(1 * kMiB + 3, 2);
  WriteWholeFile(dir + "/in", data);
  StatusOr<S3PutResult> put = s3->PutObjectFromFile(kBucket, "file/one", dir + "/in");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->parts, 0);
  const nlohmann::json log = Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["headers"]["x-amz-content-sha256"], Sha256Hex(data));
  EXPECT_EQ(log[0]["headers"]["content-length"], std::to_string(data.size()));
  ASSERT_TRUE(s3->GetObjectToFile(kBucket, "file/one", dir + "/out").ok());
  EXPECT_TRUE(ReadWholeFile(dir + "/out") == data);
}

TEST_F(S3ClientS3rverTest, MultipartRoundTrip) {
  S3ClientOptions options;
  options.multipart_threshold = 8 * kMiB;
  options.part_size = 5 * kMiB;
  auto s3 = Client(kS3rverCredentials, options);
  const ScopedTempDir scoped_dir("multipart");
  const std::string& dir = scoped_dir.path();
  const std::string data = RandomData(12 * kMiB, 3);
  WriteWholeFile(dir + "/big", data);
  S3PutOptions put_options;
  put_options.content_type = "application/pdf";
  StatusOr<S3PutResult> put =
      s3->PutObjectFromFile(kBucket, "multi/big.pdf", dir + "/big", put_options);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->parts, 3);

  const nlohmann::json log = Log();
  ASSERT_EQ(log.size(), 5u);
  EXPECT_TRUE(log[0]["query"].contains("uploads"));
  for (int part = 1; part <= 3; ++part) {
    EXPECT_EQ(log[part]["query"]["partNumber"], std::to_string(part));
    EXPECT_EQ(log[part]["headers"]["content-length"],
              std::to_string(part < 3 ? 5 * kMiB : 2 * kMiB));
  }
  EXPECT_TRUE(log[4]["query"].contains("uploadId"));

  StatusOr<S3ObjectInfo> got = s3->GetObjectToFile(kBucket, "multi/big.pdf", dir + "/back");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size, data.size());
  EXPECT_TRUE(ReadWholeFile(dir + "/back") == data);
  StatusOr<S3ObjectInfo> head = s3->HeadObject(kBucket, "multi/big.pdf");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, data.size());
  EXPECT_EQ(head->content_type, "application/pdf");
}

TEST_F(S3ClientS3rverTest, KeysWithSpacesUnicodeAndReservedCharacters) {
  auto s3 = Client();
  const std::vector<std::string> keys = {
      "keys/a b.txt",           "keys/plus+sign=eq&amp.txt", "keys/tilde~under_score-dash.",
      "keys/ünicöde/日本 😀.md", "keys/100% (copy) [1]!'*",   "keys/semi;colon:at@dollar$,comma"};
  for (const std::string& key : keys) {
    const std::string body = "body of " + key;
    ASSERT_TRUE(s3->PutObject(kBucket, key, body).ok()) << key;
    StatusOr<std::string> got = s3->GetObject(kBucket, key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    EXPECT_EQ(*got, body);
    StatusOr<S3ObjectInfo> head = s3->HeadObject(kBucket, key);
    ASSERT_TRUE(head.ok()) << key;
    EXPECT_EQ(head->size, body.size());
  }
  S3ListRequest list;
  list.prefix = "keys/";
  StatusOr<std::vector<S3ObjectSummary>> all = s3->ListAllObjects(kBucket, list);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> listed;
  for (const auto& object : *all) listed.push_back(object.key);
  std::vector<std::string> expected = keys;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(listed, expected);
}

TEST_F(S3ClientS3rverTest, ListsWithPagination) {
  auto s3 = Client();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(s3->PutObject(kBucket, "list/obj-" + std::to_string(i), std::string(i, 'x')).ok());
  }
  ASSERT_TRUE(s3->PutObject(kBucket, "listing-elsewhere", "x").ok());
  S3ListRequest request;
  request.prefix = "list/";
  request.max_keys = 2;
  StatusOr<S3ListPage> first = s3->ListObjectsV2(kBucket, request);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->objects.size(), 2u);
  EXPECT_TRUE(first->is_truncated);
  EXPECT_FALSE(first->next_continuation_token.empty());

  std::vector<size_t> page_sizes;
  std::vector<std::string> keys;
  Status walked = s3->ForEachListPage(kBucket, request, [&](const S3ListPage& page) {
    page_sizes.push_back(page.objects.size());
    for (const auto& object : page.objects) {
      keys.push_back(object.key);
      EXPECT_EQ(object.size, static_cast<uint64_t>(object.key.back() - '0'));
      EXPECT_FALSE(object.etag.empty());
    }
    return OkStatus();
  });
  ASSERT_TRUE(walked.ok()) << walked.ToString();
  EXPECT_EQ(page_sizes, (std::vector<size_t>{2, 2, 1}));
  EXPECT_EQ(keys, (std::vector<std::string>{"list/obj-0", "list/obj-1", "list/obj-2", "list/obj-3",
                                            "list/obj-4"}));
  StatusOr<std::vector<S3ObjectSummary>> all = s3->ListAllObjects(kBucket, request);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 5u);
  // A callback error stops the walk.
  int pages = 0;
  Status stopped = s3->ForEachListPage(kBucket, request, [&](const S3ListPage&) {
    return ++pages == 2 ? CancelledError("enough") : OkStatus();
  });
  EXPECT_EQ(stopped.code(), StatusCode::kCancelled);
  EXPECT_EQ(pages, 2);
}

TEST_F(S3ClientS3rverTest, DeletedObjectsAreNotFound) {
  auto s3 = Client();
  ASSERT_TRUE(s3->PutObject(kBucket, "del/x", "soon gone").ok());
  ASSERT_TRUE(s3->DeleteObject(kBucket, "del/x").ok());
  StatusOr<std::string> got = s3->GetObject(kBucket, "del/x");
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(got.status().message(), HasSubstr("NoSuchKey"));
  EXPECT_THAT(got.status().message(), HasSubstr("s3://ragd-test/del/x"));
  EXPECT_EQ(s3->HeadObject(kBucket, "del/x").status().code(), StatusCode::kNotFound);
  const ScopedTempDir scoped_dir("del");
  const std::string& dir = scoped_dir.path();
  EXPECT_EQ(s3->GetObjectToFile(kBucket, "del/x", dir + "/f").status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(std::filesystem::is_empty(dir));                   // no temporary file left behind
  EXPECT_TRUE(s3->DeleteObject(kBucket, "del/never-was").ok());  // S3 semantics
  EXPECT_EQ(s3->GetObject("no-such-bucket", "k").status().code(), StatusCode::kNotFound);
}

TEST_F(S3ClientS3rverTest, WrongCredentialsArePermissionDenied) {
  auto wrong_key = Client({"AKIAWRONGKEY", "S3RVER", ""});
  Status s = wrong_key->PutObject(kBucket, "creds/x", "x").status();
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("InvalidAccessKeyId"));

  auto wrong_secret = Client({"S3RVER", "not-the-secret", ""});
  s = wrong_secret->PutObject(kBucket, "creds/x", "x").status();
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("SignatureDoesNotMatch"));
  EXPECT_THAT(s.message(), Not(HasSubstr("not-the-secret")));
  EXPECT_EQ(wrong_secret->HeadObject(kBucket, "creds/x").status().code(),
            StatusCode::kPermissionDenied);

  // Why the proxy exists: s3rver 3.7.1 itself accepts a wrong SigV4 secret.
  S3ClientOptions direct;
  direct.endpoint = "http://127.0.0.1:" + std::to_string(server_->s3rver_port());
  auto unchecked = Client({"S3RVER", "not-the-secret", ""}, direct);
  EXPECT_TRUE(unchecked->PutObject(kBucket, "creds/x", "x").ok());
}

TEST_F(S3ClientS3rverTest, PresignedUrlsWorkWithAPlainHttpClient) {
  auto s3 = Client();
  S3PresignOptions options;
  options.content_type = "text/markdown";
  options.expires = std::chrono::seconds(300);
  StatusOr<S3PresignedRequest> put = s3->PresignPut(kBucket, "presigned/read me.md", options);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->method, "PUT");
  EXPECT_THAT(put->url, HasSubstr("X-Amz-SignedHeaders=content-type%3Bhost"));
  EXPECT_THAT(put->url, HasSubstr("x-id=PutObject"));

  HttpRequest upload;  // what a browser would send: no SigV4 of its own
  upload.method = "PUT";
  upload.url = put->url;
  upload.headers = put->headers;
  upload.body = "# uploaded by a browser\n";
  StatusOr<HttpResponse> uploaded = transport_->Send(upload);
  ASSERT_TRUE(uploaded.ok()) << uploaded.status().ToString();
  EXPECT_EQ(uploaded->status, 200) << uploaded->body;

  upload.headers = {{"Content-Type", "text/html"}};  // the signed type is enforced
  StatusOr<HttpResponse> wrong_type = transport_->Send(upload);
  ASSERT_TRUE(wrong_type.ok());
  EXPECT_EQ(wrong_type->status, 403);
  EXPECT_THAT(wrong_type->body, HasSubstr("SignatureDoesNotMatch"));

  StatusOr<S3PresignedRequest> get = s3->PresignGet(kBucket, "presigned/read me.md");
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  HttpRequest download;
  download.url = get->url;
  StatusOr<HttpResponse> downloaded = transport_->Send(download);
  ASSERT_TRUE(downloaded.ok());
  EXPECT_EQ(downloaded->status, 200);
  EXPECT_EQ(downloaded->body, "# uploaded by a browser\n");
  StatusOr<S3ObjectInfo> head = s3->HeadObject(kBucket, "presigned/read me.md");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->content_type, "text/markdown");
}

TEST_F(S3ClientS3rverTest, ExpiredPresignedUrlsAreRefused) {
  FakeClock past(std::chrono::system_clock::now() - std::chrono::hours(1));
  S3ClientOptions options;
  options.endpoint = server_->endpoint();
  auto s3 = S3Client::Create(options, *transport_, past, FixedAwsCredentials(kS3rverCredentials));
  ASSERT_TRUE(s3.ok());
  S3PresignOptions presign;
  presign.expires = std::chrono::seconds(60);
  StatusOr<S3PresignedRequest> get = (*s3)->PresignGet(kBucket, "presigned/old", presign);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->expires_at, std::chrono::time_point_cast<std::chrono::seconds>(past.Now()) +
                                 std::chrono::seconds(60));
  HttpRequest download;
  download.url = get->url;
  StatusOr<HttpResponse> r = transport_->Send(download);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(r->body, HasSubstr("Request has expired"));
}

TEST_F(S3ClientS3rverTest, RecoversFromThrottlingAndTornDownloads) {
  S3ClientOptions options;
  options.endpoint = server_->endpoint();
  FakeClock clock(std::chrono::system_clock::now());  // sleeps advance it; nothing waits
  auto s3 = S3Client::Create(options, *transport_, clock, FixedAwsCredentials(kS3rverCredentials));
  ASSERT_TRUE(s3.ok());
  const ScopedTempDir scoped_dir("retry");
  const std::string& dir = scoped_dir.path();
  const std::string data = RandomData(3 * kMiB, 4);
  WriteWholeFile(dir + "/in", data);

  InjectFaults({{{"status", 500}, {"code", "InternalError"}}});
  ASSERT_TRUE((*s3)->PutObjectFromFile(kBucket, "retry/obj", dir + "/in").ok());

  InjectFaults({{{"status", 503}, {"code", "SlowDown"}}, {{"reset_after_bytes", 100000}}});
  StatusOr<S3ObjectInfo> got = (*s3)->GetObjectToFile(kBucket, "retry/obj", dir + "/out");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(ReadWholeFile(dir + "/out") == data);  // the torn attempt's bytes were dropped
  std::vector<std::string> methods;
  for (const auto& entry : Log()) methods.push_back(entry["method"]);
  EXPECT_EQ(methods, (std::vector<std::string>{"PUT", "PUT", "GET", "GET", "GET"}));
  EXPECT_GT(clock.Monotonic().time_since_epoch(), std::chrono::milliseconds(100));

  InjectFaults({{{"status", 503}, {"code", "SlowDown"}},
                {{"status", 503}, {"code", "SlowDown"}},
                {{"status", 503}, {"code", "SlowDown"}},
                {{"status", 503}, {"code", "SlowDown"}}});
  Status gave_up = (*s3)->DeleteObject(kBucket, "retry/obj");
  EXPECT_EQ(gave_up.code(), StatusCode::kUnavailable);
  EXPECT_THAT(gave_up.message(), HasSubstr("SlowDown"));
}

TEST_F(S3ClientS3rverTest, VirtualHostedStyle) {
  // s3rver routes "<bucket>.s3.amazonaws.com" hosts to the bucket; the URL's host resolves here.
  const std::string host = "s3.amazonaws.com:" + std::to_string(server_->port());
  LoopbackTransport loopback(*transport_, "ragd-test." + host, server_->port());
  S3ClientOptions options;
  options.endpoint = "http://" + host;
  options.addressing_style = S3AddressingStyle::kVirtualHosted;
  auto s3 =
      S3Client::Create(options, loopback, Clock::Real(), FixedAwsCredentials(kS3rverCredentials));
  ASSERT_TRUE(s3.ok());
  ASSERT_EQ((*s3)->Target(kBucket, "v/a b").value().Url(), "http://ragd-test." + host + "/v/a%20b");
  ASSERT_TRUE((*s3)->PutObject(kBucket, "v/a b", "virtual").ok());
  StatusOr<std::string> got = (*s3)->GetObject(kBucket, "v/a b");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "virtual");
  const nlohmann::json log = Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["headers"]["host"], "ragd-test." + host);
  EXPECT_EQ(log[0]["path"], "/v/a%20b");
}

TEST_F(S3ClientS3rverTest, ConcurrentCallsShareOneClient) {
  auto s3 = Client();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const std::string key = "concurrent/" + std::to_string(t) + "-" + std::to_string(i);
        const std::string body = RandomData(10000 + static_cast<size_t>(i), t * 10 + i);
        StatusOr<std::string> got = s3->PutObject(kBucket, key, body).ok()
                                        ? s3->GetObject(kBucket, key)
                                        : StatusOr<std::string>(InternalError("put failed"));
        if (!got.ok() || *got != body) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  S3ListRequest list;
  list.prefix = "concurrent/";
  EXPECT_EQ(s3->ListAllObjects(kBucket, list).value().size(), 20u);
}

}  // namespace
}  // namespace ragd
