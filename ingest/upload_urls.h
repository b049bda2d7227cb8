// Presigned upload URLs: how a client is allowed to put one document into the object store
// without an API key. The URL itself is the permission (SigV4 query-string authentication):
// valid for one key, until it expires, and, when asked, for one Content-Type and one exact size.
//
//   LocalUploadUrlIssuer  URLs at ragd's own S3-compatible endpoint (embedded defaults):
//                         PUT <public url>/<bucket>/<key>, verified by api/object_handlers.cc
//   S3UploadUrlIssuer     URLs at Amazon S3 (or an S3-compatible server) via S3Client::PresignPut
//
// Thread safety: Issue() and SetEndpoint() may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "aws/sigv4_key.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "core/status.h"

namespace ragd {

class S3Client;

struct UploadUrlRequest {
  std::string key;           // the object key (plain UTF-8, see ingest/object_store.h)
  std::string content_type;  // non-empty: signed; the upload must send exactly this Content-Type
  // Set: Content-Length is signed; the upload must be exactly this many bytes (local issuer).
  std::optional<uint64_t> size;
  std::chrono::seconds expiry{0};  // 0: the issuer's default
};

struct UploadUrl {
  std::string url;
  std::string method = "PUT";
  // Headers the client must send with the body, exactly as given (Content-Type when signed).
  // Content-Length, when signed, is not listed: HTTP clients set it from the body.
  HttpHeaders headers;
  std::chrono::system_clock::time_point expires_at;
};

class UploadUrlIssuer {
 public:
  virtual ~UploadUrlIssuer() = default;
  // kInvalidArgument for a bad key or expiry (1 s .. 7 days), TooLargeError for a size over the
  // upload limit.
  virtual StatusOr<UploadUrl> Issue(const UploadUrlRequest& request) = 0;
};

struct LocalUploadUrlOptions {
  // Where clients reach ragd: "scheme://host[:port]" with no path (server.public_url, or
  // http://<host>:<port>). Uploads must arrive with the same Host (a proxy must keep it).
  std::string endpoint;
  std::string bucket = "ragd-uploads";
  std::string region = "us-east-1";
  AwsCredentials credentials;  // ragd's own object key pair (ingest/object_credentials.h)
  std::chrono::seconds default_expiry{900};
  uint64_t max_upload_bytes = 100ull << 20;
};

class LocalUploadUrlIssuer final : public UploadUrlIssuer {
 public:
  // kInvalidArgument for a malformed endpoint, bucket, region or credentials. `clock` must
  // outlive the issuer.
  static StatusOr<std::unique_ptr<LocalUploadUrlIssuer>> Create(LocalUploadUrlOptions options,
                                                                Clock& clock);

  // Replaces the endpoint (e.g. once the server knows its port). Normalised as URL parsers
  // (browsers) do, since the Host header is signed: host lower-cased, default port dropped.
  Status SetEndpoint(const std::string& endpoint);
  std::string endpoint() const;

  // Path-style URL "<endpoint>/<bucket>/<UriEncodePath(key)>?x-id=PutObject&X-Amz-...", payload
  // UNSIGNED-PAYLOAD, signed headers host [+ content-length] [+ content-type].
  StatusOr<UploadUrl> Issue(const UploadUrlRequest& request) override;

 private:
  LocalUploadUrlIssuer(LocalUploadUrlOptions options, Clock& clock)
      : options_(std::move(options)), clock_(clock) {}

  LocalUploadUrlOptions options_;  // endpoint guarded by mu_; the rest is immutable
  mutable std::mutex mu_;
  std::string scheme_;  // guarded by mu_
  std::string host_;    // guarded by mu_: the authority, as browsers send it in Host
  Clock& clock_;
};

// Presigns at S3 through `client` (borrowed; must outlive the issuer). Content-Type is signed when
// given; S3Client::PresignPut does not sign Content-Length, so `size` is only checked against
// max_upload_bytes here (S3 itself caps a single PUT at 5 GiB).
class S3UploadUrlIssuer final : public UploadUrlIssuer {
 public:
  S3UploadUrlIssuer(S3Client& client, std::string bucket, std::chrono::seconds default_expiry,
                    uint64_t max_upload_bytes)
      : client_(client),
        bucket_(std::move(bucket)),
        default_expiry_(default_expiry),
        max_upload_bytes_(max_upload_bytes) {}

  StatusOr<UploadUrl> Issue(const UploadUrlRequest& request) override;

 private:
  S3Client& client_;
  const std::string bucket_;
  const std::chrono::seconds default_expiry_;
  const uint64_t max_upload_bytes_;
};

}  // namespace ragd
