// Amazon S3 (and S3-compatible servers) over SigV4: objects in and out, listings, multipart
// uploads and presigned URLs. docs/aws.md "S3 client" describes the wire behaviour.
//
//   std::unique_ptr<HttpTransport> http = NewCurlTransport();
//   AwsCredentialChain chain(ProcessEnvLookup(), *http, Clock::Real());
//   S3ClientOptions options;
//   options.region = "eu-west-1";
//   auto s3 = S3Client::Create(options, *http, Clock::Real(),
//                              [&chain] { return chain.GetCredentials(); });
//   (*s3)->PutObjectFromFile("bucket", "docs/a b.pdf", "/tmp/a.pdf");
//   (*s3)->GetObjectToFile("bucket", "docs/a b.pdf", "/data/a.pdf");
//
// Keys are plain (unencoded) UTF-8 strings; the client percent-encodes them. Every request is
// signed with SigV4 (payload hash: the real SHA-256 of the body, or UNSIGNED-PAYLOAD for file
// uploads over HTTPS when S3ClientOptions::sign_file_payloads is off). No x-amz-checksum-* headers.
//
// Errors: S3's XML error Code and Message end up in the Status message (never credentials), with
// the code mapped: NoSuchKey/NoSuchBucket/NoSuchUpload/404 -> kNotFound; AccessDenied/
// SignatureDoesNotMatch/InvalidAccessKeyId/403 -> kPermissionDenied; ExpiredToken/401 ->
// kUnauthenticated; SlowDown/503/429/5xx -> kUnavailable; RequestTimeout -> kDeadlineExceeded;
// PreconditionFailed/412 -> kFailedPrecondition; EntityTooLarge -> TooLargeError; InvalidRange/416
// -> kOutOfRange; BucketAlreadyExists -> kAlreadyExists; other 4xx -> kInvalidArgument. Transport
// failures keep the transport's code.
//
// Retries: 5xx, 429, SlowDown, RequestTimeout/InternalError codes and transport kUnavailable are
// retried up to max_retries times with exponential backoff and jitter (Clock::SleepFor); every
// attempt fetches credentials again and is signed afresh.
//
// Thread safety: all methods may be called concurrently (the client holds no mutable state); the
// transport, clock and credentials source must allow that too. Ownership: the transport and clock
// are borrowed and must outlive the client.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/s3_xml.h"  // S3ObjectSummary, S3ListPage
#include "aws/sigv4_key.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "core/status.h"

namespace ragd {

// Credentials for one request attempt; called once per attempt, possibly from many threads. Plug
// in a provider chain with `[&chain] { return chain.GetCredentials(); }`.
using AwsCredentialsSource = std::function<StatusOr<AwsCredentials>()>;
AwsCredentialsSource FixedAwsCredentials(AwsCredentials credentials);

inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kS3MinPartSize = 5 * kMiB;  // every part but the last
inline constexpr int kS3MaxParts = 10000;

enum class S3AddressingStyle {
  // Virtual-hosted when the bucket is a DNS label and the endpoint host is a name (not an IP
  // address or "localhost"); path-style otherwise (as the AWS SDKs decide).
  kAuto,
  kVirtualHosted,  // https://bucket.s3.region.amazonaws.com/key
  kPath,           // https://s3.region.amazonaws.com/bucket/key
};

struct S3ClientOptions {
  std::string region = "us-east-1";
  // Empty: AWS (https://s3.<region>.amazonaws.com, amazonaws.com.cn for cn-*). Otherwise an
  // S3-compatible server, "scheme://host[:port][/base-path]", e.g. "http://127.0.0.1:9000".
  std::string endpoint;
  S3AddressingStyle addressing_style = S3AddressingStyle::kAuto;
  // PutObjectFromFile switches to a multipart upload at this size; parts are part_size bytes
  // (at least kS3MinPartSize; raised automatically if a file would need more than kS3MaxParts).
  uint64_t multipart_threshold = 16 * kMiB;
  uint64_t part_size = 8 * kMiB;
  // File uploads over HTTPS: true signs the file's SHA-256 (one extra read of the file, as the
  // SDKs do for seekable bodies); false sends UNSIGNED-PAYLOAD. Plain HTTP always signs.
  bool sign_file_payloads = true;
  int max_retries = 3;
  std::chrono::milliseconds retry_base_delay{100};
  std::chrono::milliseconds retry_max_delay{20000};
  std::chrono::milliseconds connect_timeout{5000};
  // Whole-request limit for requests without object data (Head, Delete, List,
  // CreateMultipartUpload, Abort). Object transfers and CompleteMultipartUpload have no total
  // limit; they stop when no byte moves for idle_timeout.
  std::chrono::milliseconds request_timeout{60000};
  std::chrono::milliseconds idle_timeout{30000};
};

struct S3PutOptions {
  std::string content_type;  // empty: S3's default (binary/octet-stream)
  // Sent as x-amz-meta-<name>. Names: letters, digits, '-' and '_' (lower-cased by S3); values
  // printable ASCII.
  std::map<std::string, std::string> metadata;
};

struct S3PutResult {
  std::string etag;  // as S3 sends it, quoted; a multipart ETag ends in "-<parts>"
  int parts = 0;     // 0 for a single PUT
};

struct S3ObjectInfo {
  uint64_t size = 0;
  std::string etag;
  std::string content_type;
  std::chrono::system_clock::time_point last_modified;  // epoch if S3 sent none
  std::map<std::string, std::string> metadata;          // x-amz-meta-* names without the prefix
};

struct S3ListRequest {
  std::string prefix;
  std::string delimiter;
  std::string start_after;
  std::string continuation_token;  // from the previous page's next_continuation_token
  int max_keys = 0;                // 0: the server's default (1000)
};

struct S3PresignOptions {
  std::chrono::seconds expires{900};  // 1 s .. 7 days
  // PresignPut only: when set, Content-Type is signed and the uploader must send exactly it.
  std::string content_type;
};

struct S3PresignedRequest {
  std::string method;  // "PUT" or "GET"
  std::string url;
  HttpHeaders headers;  // the signed headers the caller must send besides Host (Content-Type)
  std::chrono::system_clock::time_point expires_at;
};

// Where a request for (bucket, key) goes.
struct S3Target {
  std::string scheme;  // "https" / "http"
  std::string host;    // authority as in the Host header: "b.s3.eu-west-1.amazonaws.com", "h:9000"
  std::string path;    // wire form: "/key%20with%20space" or "/bucket/key%20with%20space"
  std::string Url() const { return scheme + "://" + host + path; }
};

class S3Client {
 public:
  // kInvalidArgument for a bad endpoint, region, part size (< kS3MinPartSize) or a null source.
  static StatusOr<std::unique_ptr<S3Client>> Create(S3ClientOptions options,
                                                    HttpTransport& transport, Clock& clock,
                                                    AwsCredentialsSource credentials);

  // Single PUT of an in-memory body.
  StatusOr<S3PutResult> PutObject(std::string_view bucket, std::string_view key,
                                  std::string_view body, const S3PutOptions& options = {});
  // Uploads a regular file: one streamed PUT below multipart_threshold, else a multipart upload
  // (at most one part in memory at a time; aborted on failure).
  StatusOr<S3PutResult> PutObjectFromFile(std::string_view bucket, std::string_view key,
                                          const std::string& path,
                                          const S3PutOptions& options = {});

  // Streams the object into `path` via a temporary file in the same directory, renamed into
  // place only when complete; on failure `path` is untouched and the temporary file removed.
  StatusOr<S3ObjectInfo> GetObjectToFile(std::string_view bucket, std::string_view key,
                                         const std::string& path);
  // Small objects into memory; TooLargeError once more than `max_bytes` arrive.
  StatusOr<std::string> GetObject(std::string_view bucket, std::string_view key,
                                  uint64_t max_bytes = 64 * kMiB);
  StatusOr<S3ObjectInfo> HeadObject(std::string_view bucket, std::string_view key);
  // Succeeds whether or not the key existed (S3 semantics).
  Status DeleteObject(std::string_view bucket, std::string_view key);

  // One page of ListObjectsV2.
  StatusOr<S3ListPage> ListObjectsV2(std::string_view bucket, const S3ListRequest& request);
  // Every page from request.continuation_token on; stops at the first error `on_page` returns.
  Status ForEachListPage(std::string_view bucket, S3ListRequest request,
                         const std::function<Status(const S3ListPage&)>& on_page);
  // All objects (and pages) under the request's prefix.
  StatusOr<std::vector<S3ObjectSummary>> ListAllObjects(std::string_view bucket,
                                                        const S3ListRequest& request);

  // Presigned URLs, formatted as the AWS SDK for JavaScript v3 getSignedUrl does (x-id query
  // parameter, X-Amz-Content-Sha256=UNSIGNED-PAYLOAD). Signed at clock.Now().
  StatusOr<S3PresignedRequest> PresignPut(std::string_view bucket, std::string_view key,
                                          const S3PresignOptions& options = {});
  StatusOr<S3PresignedRequest> PresignGet(std::string_view bucket, std::string_view key,
                                          const S3PresignOptions& options = {});

  // Multipart primitives (PutObjectFromFile drives them; exposed for streamed uploads).
  StatusOr<std::string> CreateMultipartUpload(std::string_view bucket, std::string_view key,
                                              const S3PutOptions& options = {});
  // The part's ETag. part_number 1..10000.
  StatusOr<std::string> UploadPart(std::string_view bucket, std::string_view key,
                                   std::string_view upload_id, int part_number,
                                   std::string_view body);
  struct CompletedPart {
    int part_number = 0;
    std::string etag;
  };
  StatusOr<S3PutResult> CompleteMultipartUpload(std::string_view bucket, std::string_view key,
                                                std::string_view upload_id,
                                                const std::vector<CompletedPart>& parts);
  Status AbortMultipartUpload(std::string_view bucket, std::string_view key,
                              std::string_view upload_id);

  // The request target for (bucket, key); key may be empty (bucket-level requests).
  StatusOr<S3Target> Target(std::string_view bucket, std::string_view key) const;

  const S3ClientOptions& options() const { return options_; }

  // One S3 request; see s3_client.cc. Public only so the implementation files can share it.
  struct Call;

 private:
  S3Client(S3ClientOptions options, HttpTransport& transport, Clock& clock,
           AwsCredentialsSource credentials, std::string endpoint_scheme, std::string endpoint_host,
           std::string endpoint_path);

  // Sends `call` with signing and retries; returns a 2xx response or the mapped error.
  StatusOr<HttpResponse> Execute(const Call& call);
  // One signed attempt; `transport_error` tells a failed exchange from a local failure.
  StatusOr<HttpResponse> Attempt(const Call& call, const S3Target& target, bool* transport_error);
  std::chrono::milliseconds BackoffDelay(int retry) const;
  StatusOr<S3PresignedRequest> Presign(std::string_view method, std::string_view bucket,
                                       std::string_view key, const S3PresignOptions& options);
  StatusOr<S3PutResult> PutFileMultipart(std::string_view bucket, std::string_view key,
                                         const std::string& path, uint64_t size,
                                         const S3PutOptions& options);

  const S3ClientOptions options_;
  HttpTransport& transport_;
  Clock& clock_;
  const AwsCredentialsSource credentials_;
  // The endpoint split once: "https", "s3.eu-west-1.amazonaws.com", "" (base path, no trailing /).
  const std::string endpoint_scheme_;
  const std::string endpoint_host_;
  const std::string endpoint_path_;
};

}  // namespace ragd
