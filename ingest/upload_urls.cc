#include "ingest/upload_urls.h"

#include <algorithm>

#include "aws/s3_client.h"
#include "aws/sigv4.h"
#include "ingest/object_store.h"

namespace ragd {
namespace {

// Checks what every issuer checks; returns the expiry to use.
StatusOr<std::chrono::seconds> CheckRequest(const UploadUrlRequest& request,
                                            std::chrono::seconds default_expiry,
                                            uint64_t max_upload_bytes) {
  RAGD_RETURN_IF_ERROR(ValidateObjectKey(request.key));
  const std::chrono::seconds expiry = request.expiry.count() == 0 ? default_expiry : request.expiry;
  if (expiry < std::chrono::seconds(1) || expiry > kSigV4MaxPresignExpiry) {
    return InvalidArgumentError("upload URL expiry must be between 1 second and 7 days");
  }
  if (request.size && *request.size > max_upload_bytes) {
    return TooLargeError("uploads are limited to " + std::to_string(max_upload_bytes) + " bytes");
  }
  for (unsigned char c : request.content_type) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgumentError("content type contains control characters");
    }
  }
  return expiry;
}

}  // namespace

StatusOr<std::unique_ptr<LocalUploadUrlIssuer>> LocalUploadUrlIssuer::Create(
    LocalUploadUrlOptions options, Clock& clock) {
  RAGD_RETURN_IF_ERROR(ValidateBucketName(options.bucket));
  if (options.credentials.access_key_id.empty() || options.credentials.secret_access_key.empty()) {
    return InvalidArgumentError("upload URL credentials are missing");
  }
  const std::string endpoint = options.endpoint;
  std::unique_ptr<LocalUploadUrlIssuer> issuer(new LocalUploadUrlIssuer(std::move(options), clock));
  RAGD_RETURN_IF_ERROR(issuer->SetEndpoint(endpoint));
  // Sign once to reject a bad region or key pair now rather than on the first request.
  UploadUrlRequest probe;
  probe.key = "probe";
  RAGD_RETURN_IF_ERROR(issuer->Issue(probe).status());
  return issuer;
}

Status LocalUploadUrlIssuer::SetEndpoint(const std::string& endpoint) {
  std::string rest = endpoint;
  std::string scheme;
  for (const char* s : {"http", "https"}) {
    const std::string prefix = std::string(s) + "://";
    if (rest.size() > prefix.size() && AsciiLower(rest.substr(0, prefix.size())) == prefix) {
      scheme = s;
      rest = rest.substr(prefix.size());
    }
  }
  if (scheme.empty()) {
    return InvalidArgumentError("public URL must start with http:// or https://");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find_first_of("/?#@ \t") != std::string::npos) {
    return InvalidArgumentError(
        "public URL must be scheme://host[:port] without a path (the upload endpoint is "
        "/<bucket>/<key> at the root)");
  }
  std::string host = AsciiLower(rest);
  const std::string default_port = scheme == "http" ? ":80" : ":443";
  if (host.size() > default_port.size() && host.ends_with(default_port) && host.back() != ']') {
    host.resize(host.size() - default_port.size());
  }
  std::lock_guard<std::mutex> lock(mu_);
  scheme_ = std::move(scheme);
  host_ = std::move(host);
  return OkStatus();
}

std::string LocalUploadUrlIssuer::endpoint() const {
  std::lock_guard<std::mutex> lock(mu_);
  return scheme_ + "://" + host_;
}

StatusOr<UploadUrl> LocalUploadUrlIssuer::Issue(const UploadUrlRequest& request) {
  RAGD_ASSIGN_OR_RETURN(std::chrono::seconds expiry,
                        CheckRequest(request, options_.default_expiry, options_.max_upload_bytes));
  SignableRequest req;
  req.method = "PUT";
  {
    std::lock_guard<std::mutex> lock(mu_);
    req.scheme = scheme_;
    req.headers.emplace_back("Host", host_);
  }
  req.path = "/" + options_.bucket + "/" + UriEncodePath(request.key);
  req.query = {{"x-id", "PutObject"}};
  UploadUrl out;
  if (!request.content_type.empty()) {
    req.headers.emplace_back("Content-Type", request.content_type);
    out.headers.emplace_back("Content-Type", request.content_type);
  }
  if (request.size) req.headers.emplace_back("Content-Length", std::to_string(*request.size));
  req.payload_hash = std::string(kUnsignedPayload);

  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(clock_.Now());
  SigningOptions options = S3SigningOptions(options_.region, now);
  options.expires = expiry;
  RAGD_ASSIGN_OR_RETURN(PresignResult presigned, Presign(req, options_.credentials, options));
  out.url = std::move(presigned.url);
  out.expires_at = now + expiry;
  return out;
}

StatusOr<UploadUrl> S3UploadUrlIssuer::Issue(const UploadUrlRequest& request) {
  RAGD_ASSIGN_OR_RETURN(std::chrono::seconds expiry,
                        CheckRequest(request, default_expiry_, max_upload_bytes_));
  S3PresignOptions options;
  options.expires = expiry;
  options.content_type = request.content_type;
  RAGD_ASSIGN_OR_RETURN(S3PresignedRequest presigned,
                        client_.PresignPut(bucket_, request.key, options));
  UploadUrl out;
  out.url = std::move(presigned.url);
  out.method = std::move(presigned.method);
  out.headers = std::move(presigned.headers);
  out.expires_at = presigned.expires_at;
  return out;
}

}  // namespace ragd
