// S3Client transfers against FakeS3Transport: multipart sequencing and abort, downloads to files
// with retries, size limits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "aws/s3_client.h"
#include "aws/sigv4_canonical.h"
#include "core/crypto.h"
#include "tests/aws/s3_server_util.h"

namespace ragd {
namespace {

using ::ragd::testing::FakeS3Transport;
using ::ragd::testing::RandomData;
using ::ragd::testing::ReadWholeFile;
using ::ragd::testing::RecordingClock;
using ::ragd::testing::S3ErrorBodyXml;
using ::ragd::testing::S3XmlResponse;
using ::ragd::testing::ScopedTempDir;
using ::ragd::testing::WriteWholeFile;
using ::testing::HasSubstr;

const AwsCredentials kCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const auto kTime = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));

S3ClientOptions Parts(uint64_t threshold, uint64_t part_size) {
  S3ClientOptions options;
  options.multipart_threshold = threshold;
  options.part_size = part_size;
  return options;
}

std::unique_ptr<S3Client> MakeClient(S3ClientOptions options, HttpTransport& transport,
                                     Clock& clock) {
  StatusOr<std::unique_ptr<S3Client>> client =
      S3Client::Create(std::move(options), transport, clock, FixedAwsCredentials(kCreds));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(*client) : nullptr;
}

std::string QueryOf(const HttpRequest& r) {
  const size_t q = r.url.find('?');
  return q == std::string::npos ? "" : r.url.substr(q + 1);
}

// A scripted multipart peer: answers Create/UploadPart/Complete/Abort; `fail_part` fails.
StatusOr<HttpResponse> MultipartPeer(const HttpRequest& r, int fail_part) {
  const std::string query = QueryOf(r);
  if (r.method == "POST" && query == "uploads") {
    return S3XmlResponse(200,
                         "<InitiateMultipartUploadResult><UploadId>up&amp;1</UploadId>"
                         "</InitiateMultipartUploadResult>");
  }
  if (r.method == "PUT" && query.find("partNumber=") != std::string::npos) {
    const int part = std::stoi(query.substr(query.find("partNumber=") + 11));
    if (part == fail_part) return S3XmlResponse(403, S3ErrorBodyXml("AccessDenied", "denied"));
    return S3XmlResponse(200, "", {{"etag", "\"etag-" + std::to_string(part) + "\""}});
  }
  if (r.method == "POST") {
    return S3XmlResponse(200,
                         "<CompleteMultipartUploadResult><ETag>&quot;all-3&quot;</ETag>"
                         "</CompleteMultipartUploadResult>");
  }
  if (r.method == "DELETE") return S3XmlResponse(204, "");
  return S3XmlResponse(400, S3ErrorBodyXml("InvalidRequest", "unexpected"));
}

TEST(S3ClientTransferTest, MultipartUploadSequence) {
  const ScopedTempDir scoped_dir("mp");
  const std::string& dir = scoped_dir.path();
  const std::string file = dir + "/big.bin";
  const std::string data = RandomData(12 * kMiB + 17, 7);
  WriteWholeFile(file, data);
  FakeS3Transport transport([](const HttpRequest& r, int) { return MultipartPeer(r, 0); });
  FakeClock clock(kTime);
  auto client = MakeClient(Parts(8 * kMiB, 5 * kMiB), transport, clock);
  S3PutOptions put_options;
  put_options.content_type = "application/x-test";
  StatusOr<S3PutResult> put = client->PutObjectFromFile("bkt", "big.bin", file, put_options);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->etag, "\"all-3\"");
  EXPECT_EQ(put->parts, 3);

  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].url, "https://bkt.s3.us-east-1.amazonaws.com/big.bin?uploads");
  EXPECT_EQ(FindHeader(requests[0].headers, "content-type").value_or(""), "application/x-test");
  std::string reassembled;
  for (int part = 1; part <= 3; ++part) {
    const HttpRequest& r = requests[static_cast<size_t>(part)];
    EXPECT_EQ(r.method, "PUT");
    EXPECT_EQ(QueryOf(r),
              "x-id=UploadPart&partNumber=" + std::to_string(part) + "&uploadId=up%261");
    EXPECT_EQ(r.body.size(), part < 3 ? 5 * kMiB : 2 * kMiB + 17);
    EXPECT_EQ(FindHeader(r.headers, "x-amz-content-sha256").value_or(""), Sha256Hex(r.body));
    reassembled += r.body;
  }
  EXPECT_TRUE(reassembled == data);
  const HttpRequest& complete = requests[4];
  EXPECT_EQ(complete.method, "POST");
  EXPECT_EQ(QueryOf(complete), "uploadId=up%261");
  EXPECT_THAT(complete.body, HasSubstr("<Part><ETag>&quot;etag-1&quot;</ETag><PartNumber>1"
                                       "</PartNumber></Part>"));
  EXPECT_THAT(complete.body,
              HasSubstr("<PartNumber>3</PartNumber></Part></CompleteMultipartUpload>"));
}

TEST(S3ClientTransferTest, MultipartFailureAbortsTheUpload) {
  const ScopedTempDir scoped_dir("mpfail");
  const std::string& dir = scoped_dir.path();
  const std::string file = dir + "/big.bin";
  WriteWholeFile(file, RandomData(11 * kMiB, 8));
  FakeS3Transport transport([](const HttpRequest& r, int) { return MultipartPeer(r, 2); });
  FakeClock clock(kTime);
  auto client = MakeClient(Parts(5 * kMiB, 5 * kMiB), transport, clock);
  StatusOr<S3PutResult> put = client->PutObjectFromFile("bkt", "big.bin", file);
  EXPECT_EQ(put.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(put.status().message(), HasSubstr("UploadPart"));
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 4u);  // create, part 1, part 2 (denied), abort
  EXPECT_EQ(requests[3].method, "DELETE");
  EXPECT_EQ(QueryOf(requests[3]), "x-id=AbortMultipartUpload&uploadId=up%261");
}

TEST(S3ClientTransferTest, CompleteWithErrorInA200IsRetried) {
  int completes = 0;
  FakeS3Transport transport([&](const HttpRequest& r, int) -> StatusOr<HttpResponse> {
    if (r.method == "POST" && QueryOf(r).starts_with("uploadId") && completes++ == 0) {
      return S3XmlResponse(200, S3ErrorBodyXml("InternalError", "try again"));
    }
    return MultipartPeer(r, 0);
  });
  RecordingClock clock(kTime);
  auto client = MakeClient({}, transport, clock);
  StatusOr<S3PutResult> done =
      client->CompleteMultipartUpload("bkt", "k", "id", {{1, "\"a\""}, {2, "\"b\""}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->parts, 2);
  EXPECT_EQ(completes, 2);
  EXPECT_EQ(clock.sleeps().size(), 1u);
}

TEST(S3ClientTransferTest, PartSizeGrowsToStayWithinTenThousandParts) {
  // A sparse 60 GiB file would need 12288 parts of 5 MiB: the part size grows to 7 MiB.
  const ScopedTempDir scoped_dir("sparse");
  const std::string& dir = scoped_dir.path();
  const std::string file = dir + "/sparse.bin";
  WriteWholeFile(file, "");
  std::filesystem::resize_file(file, 60ull << 30);
  int parts_seen = 0;
  uint64_t first_part_size = 0;
  FakeS3Transport transport([&](const HttpRequest& r, int) -> StatusOr<HttpResponse> {
    if (r.method == "PUT") {
      if (++parts_seen == 1) first_part_size = r.body.size();
      return S3XmlResponse(403, S3ErrorBodyXml("AccessDenied", "stop here"));
    }
    return MultipartPeer(r, 0);
  });
  FakeClock clock(kTime);
  auto client = MakeClient(Parts(16 * kMiB, 5 * kMiB), transport, clock);
  EXPECT_EQ(client->PutObjectFromFile("bkt", "k", file).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(first_part_size, 7 * kMiB);
}

TEST(S3ClientTransferTest, SmallFilesGoInOnePutWithTheirHash) {
  const ScopedTempDir scoped_dir("small");
  const std::string& dir = scoped_dir.path();
  const std::string file = dir + "/small.txt";
  WriteWholeFile(file, "file body");
  FakeS3Transport transport([](const HttpRequest&, int) {
    return S3XmlResponse(200, "", {{"etag", "\"e\""}});
  });
  FakeClock clock(kTime);
  auto client = MakeClient({}, transport, clock);
  ASSERT_TRUE(client->PutObjectFromFile("bkt", "small.txt", file).ok());
  S3ClientOptions unsigned_options;
  unsigned_options.sign_file_payloads = false;
  auto unsigned_client = MakeClient(unsigned_options, transport, clock);
  ASSERT_TRUE(unsigned_client->PutObjectFromFile("bkt", "small.txt", file).ok());
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body_file.value_or(""), file);
  EXPECT_TRUE(requests[0].body.empty());
  EXPECT_EQ(FindHeader(requests[0].headers, "x-amz-content-sha256").value_or(""),
            Sha256Hex("file body"));
  EXPECT_EQ(FindHeader(requests[1].headers, "x-amz-content-sha256").value_or(""),
            "UNSIGNED-PAYLOAD");
  EXPECT_EQ(client->PutObjectFromFile("bkt", "k", dir + "/missing").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(client->PutObjectFromFile("bkt", "k", dir).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(S3ClientTransferTest, DownloadRetriesStartTheFileAfresh) {
  const ScopedTempDir scoped_dir("get");
  const std::string& dir = scoped_dir.path();
  const std::string dest = dir + "/out.bin";
  WriteWholeFile(dest, "old contents");
  const std::string data = RandomData(5000, 9);
  FakeS3Transport transport([&](const HttpRequest&, int index) -> StatusOr<HttpResponse> {
    if (index == 0) return S3XmlResponse(503, S3ErrorBodyXml("SlowDown", "slow"));
    HttpResponse ok = S3XmlResponse(200, data, {{"content-length", "5000"}, {"etag", "\"x\""}});
    ok.headers.emplace_back("last-modified", "Mon, 12 Oct 2009 17:50:30 GMT");
    ok.headers.emplace_back("x-amz-meta-color", "blue");
    return ok;
  });
  RecordingClock clock(kTime);
  auto client = MakeClient({}, transport, clock);
  StatusOr<S3ObjectInfo> info = client->GetObjectToFile("bkt", "k", dest);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 5000u);
  EXPECT_EQ(info->metadata.at("color"), "blue");
  EXPECT_TRUE(ReadWholeFile(dest) == data);  // not prefixed by the 503's error document
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
}

TEST(S3ClientTransferTest, FailedDownloadLeavesTheDestinationAlone) {
  const ScopedTempDir scoped_dir("getfail");
  const std::string& dir = scoped_dir.path();
  const std::string dest = dir + "/out.bin";
  WriteWholeFile(dest, "old contents");
  FakeS3Transport transport([](const HttpRequest&, int) {
    return S3XmlResponse(404, S3ErrorBodyXml("NoSuchKey", "The specified key does not exist."));
  });
  FakeClock clock(kTime);
  auto client = MakeClient({}, transport, clock);
  StatusOr<S3ObjectInfo> info = client->GetObjectToFile("bkt", "k", dest);
  EXPECT_EQ(info.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(info.status().message(), HasSubstr("NoSuchKey: The specified key does not exist."));
  EXPECT_EQ(ReadWholeFile(dest), "old contents");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
  EXPECT_EQ(client->GetObjectToFile("bkt", "k", dir + "/no/such/dir/f").status().code(),
            StatusCode::kNotFound);
}

TEST(S3ClientTransferTest, ShortDownloadIsDataLoss) {
  const ScopedTempDir scoped_dir("short");
  const std::string& dir = scoped_dir.path();
  FakeS3Transport transport([](const HttpRequest&, int) {
    return S3XmlResponse(200, "abc", {{"content-length", "10"}});
  });
  FakeClock clock(kTime);
  auto client = MakeClient({}, transport, clock);
  EXPECT_EQ(client->GetObjectToFile("bkt", "k", dir + "/f").status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(std::filesystem::exists(dir + "/f"));
}

TEST(S3ClientTransferTest, InMemoryGetHonoursTheLimit) {
  FakeS3Transport transport(
      [](const HttpRequest&, int) { return S3XmlResponse(200, std::string(4000, 'x')); });
  FakeClock clock(kTime);
  auto client = MakeClient({}, transport, clock);
  EXPECT_EQ(client->GetObject("bkt", "k", 4000).value().size(), 4000u);
  StatusOr<std::string> too_big = client->GetObject("bkt", "k", 3999);
  EXPECT_EQ(too_big.status().kind(), ErrorKind::kTooLarge);
}

}  // namespace
}  // namespace ragd
