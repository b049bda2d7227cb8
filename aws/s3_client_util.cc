// Error mapping, header helpers and small utilities shared by the S3 client files.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "aws/s3_client_internal.h"
#include "core/crypto.h"
#include "core/log.h"

namespace ragd {
namespace {

// S3 messages are short; cap what a hostile or broken peer can put into our logs.
constexpr size_t kMaxMessageBytes = 512;

struct CodeMapping {
  std::string_view code;
  StatusCode status;
};

constexpr CodeMapping kCodeMappings[] = {
    {"NoSuchKey", StatusCode::kNotFound},
    {"NoSuchBucket", StatusCode::kNotFound},
    {"NoSuchUpload", StatusCode::kNotFound},
    {"NoSuchVersion", StatusCode::kNotFound},
    {"NotFound", StatusCode::kNotFound},
    {"AccessDenied", StatusCode::kPermissionDenied},
    {"SignatureDoesNotMatch", StatusCode::kPermissionDenied},
    {"InvalidAccessKeyId", StatusCode::kPermissionDenied},
    {"AllAccessDisabled", StatusCode::kPermissionDenied},
    {"AccountProblem", StatusCode::kPermissionDenied},
    {"RequestTimeTooSkewed", StatusCode::kPermissionDenied},
    {"ExpiredToken", StatusCode::kUnauthenticated},
    {"InvalidToken", StatusCode::kUnauthenticated},
    {"TokenRefreshRequired", StatusCode::kUnauthenticated},
    {"SlowDown", StatusCode::kUnavailable},
    {"ServiceUnavailable", StatusCode::kUnavailable},
    {"InternalError", StatusCode::kUnavailable},
    {"Throttling", StatusCode::kUnavailable},
    {"ThrottlingException", StatusCode::kUnavailable},
    {"RequestTimeout", StatusCode::kDeadlineExceeded},
    {"PreconditionFailed", StatusCode::kFailedPrecondition},
    {"InvalidObjectState", StatusCode::kFailedPrecondition},
    {"BucketNotEmpty", StatusCode::kFailedPrecondition},
    {"PermanentRedirect", StatusCode::kFailedPrecondition},
    {"AuthorizationHeaderMalformed", StatusCode::kFailedPrecondition},
    {"OperationAborted", StatusCode::kAborted},
    {"BucketAlreadyExists", StatusCode::kAlreadyExists},
    {"BucketAlreadyOwnedByYou", StatusCode::kAlreadyExists},
    {"EntityTooLarge", StatusCode::kResourceExhausted},
    {"InvalidRange", StatusCode::kOutOfRange},
    {"NotImplemented", StatusCode::kUnimplemented},
    {"MethodNotAllowed", StatusCode::kUnimplemented},
};

StatusCode CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 405:
    case 501:
      return StatusCode::kUnimplemented;
    case 408:
      return StatusCode::kDeadlineExceeded;
    case 409:
      return StatusCode::kAborted;
    case 412:
      return StatusCode::kFailedPrecondition;
    case 413:
      return StatusCode::kResourceExhausted;
    case 416:
      return StatusCode::kOutOfRange;
    case 429:
      return StatusCode::kUnavailable;
    default:
      break;
  }
  if (status >= 300 && status < 400) return StatusCode::kFailedPrecondition;  // wrong region
  if (status >= 500) return StatusCode::kUnavailable;
  if (status >= 400) return StatusCode::kInvalidArgument;
  return StatusCode::kUnknown;  // a 2xx carrying <Error> without a known code
}

// Printable ASCII / UTF-8 only, capped, secrets masked.
std::string SanitizeForMessage(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxMessageBytes)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  }
  if (text.size() > kMaxMessageBytes) out += "...";
  return Redact(out);
}

bool IsMetadataNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }  // NOLINT(*-owning-memory)
};

}  // namespace

std::string S3Resource(std::string_view bucket, std::string_view key) {
  return "s3://" + std::string(bucket) + (key.empty() ? "" : "/" + std::string(key));
}

Status ValidateS3Names(std::string_view bucket, std::string_view key, bool key_required) {
  if (bucket.empty() || bucket.size() > 255 ||
      bucket.find_first_of(std::string_view("/?#\0", 4)) != std::string_view::npos) {
    return InvalidArgumentError("S3 bucket name must be non-empty without '/', '?', '#'");
  }
  if (key_required && key.empty()) return InvalidArgumentError("S3 object key must be non-empty");
  if (key.size() > 1024) return InvalidArgumentError("S3 object key is longer than 1024 bytes");
  if (key.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("S3 object key contains NUL");
  }
  return OkStatus();
}

bool IsRetryableS3Error(int http_status, std::string_view code) {
  static constexpr std::string_view kTransientCodes[] = {"SlowDown",
                                                         "RequestTimeout",
                                                         "InternalError",
                                                         "ServiceUnavailable",
                                                         "Throttling",
                                                         "ThrottlingException",
                                                         "RequestThrottledException"};
  if (std::find(std::begin(kTransientCodes), std::end(kTransientCodes), code) !=
      std::end(kTransientCodes)) {
    return true;
  }
  if (code == "NotImplemented") return false;
  return http_status == 429 || (http_status >= 500 && http_status != 501);
}

Status S3ErrorStatus(std::string_view op, std::string_view resource, int http_status,
                     const HttpHeaders& headers, std::string_view body) {
  const S3ErrorBody error = ParseS3ErrorXml(body);
  StatusCode code = CodeForHttpStatus(http_status);
  for (const CodeMapping& mapping : kCodeMappings) {
    if (mapping.code == error.code) code = mapping.status;
  }
  // "S3 GetObject s3://b/k: NoSuchKey: The specified key does not exist. (HTTP 404, request id
  // X)", or without an error document (HEAD, proxies) "S3 HeadObject s3://b/k: HTTP 404 (...)".
  std::string message = "S3 " + std::string(op) + " " + std::string(resource) + ": ";
  std::vector<std::string> details;
  if (!error.code.empty()) {
    message += SanitizeForMessage(error.code);
    if (!error.message.empty()) message += ": " + SanitizeForMessage(error.message);
    details.push_back("HTTP " + std::to_string(http_status));
  } else {
    message += "HTTP " + std::to_string(http_status);
  }
  std::string request_id = FindHeader(headers, "x-amz-request-id").value_or(error.request_id);
  if (!request_id.empty()) details.push_back("request id " + SanitizeForMessage(request_id));
  for (size_t i = 0; i < details.size(); ++i) {
    message += (i == 0 ? " (" : ", ") + details[i] + (i + 1 == details.size() ? ")" : "");
  }
  if (std::optional<std::string> region = FindHeader(headers, "x-amz-bucket-region");
      region && (code == StatusCode::kFailedPrecondition || http_status == 301)) {
    message += "; the bucket is in region " + SanitizeForMessage(*region);
  }
  if (code == StatusCode::kResourceExhausted) return TooLargeError(message);
  return Status(code, message);
}

S3ObjectInfo S3ObjectInfoFromHeaders(const HttpHeaders& headers) {
  S3ObjectInfo info;
  for (const auto& [name, value] : headers) {  // names arrive lower-cased
    if (name == "content-length") {
      info.size = std::strtoull(value.c_str(), nullptr, 10);
    } else if (name == "etag") {
      info.etag = value;
    } else if (name == "content-type") {
      info.content_type = value;
    } else if (name == "last-modified") {
      if (auto time = ParseHttpDate(value)) info.last_modified = *time;
    } else if (name.starts_with("x-amz-meta-")) {
      info.metadata[name.substr(11)] = value;
    }
  }
  return info;
}

StatusOr<HttpHeaders> S3PutHeaders(const S3PutOptions& options) {
  HttpHeaders headers;
  if (!options.content_type.empty()) headers.emplace_back("Content-Type", options.content_type);
  for (const auto& [name, value] : options.metadata) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsMetadataNameChar)) {
      return InvalidArgumentError("S3 metadata name '" + SanitizeForMessage(name) +
                                  "' must be letters, digits, '-' or '_'");
    }
    if (!std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) {
      return InvalidArgumentError("S3 metadata value for '" + name + "' must be printable ASCII");
    }
    headers.emplace_back("x-amz-meta-" + name, value);
  }
  return headers;
}

StatusOr<std::string> Sha256FileHex(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int e = errno;
    std::string why = "cannot open " + path + ": " + std::strerror(e);
    return e == ENOENT ? NotFoundError(why) : InternalError(why);
  }
  Sha256Stream hash;
  std::string buffer(1 << 20, '\0');
  while (true) {
    const size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
    if (n > 0) hash.Update(std::string_view(buffer.data(), n));
    if (n < buffer.size()) {
      if (std::ferror(file.get())) return InternalError("reading " + path + " failed");
      break;
    }
  }
  return hash.FinishHex();
}

std::string S3WireQuery(const QueryParams& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out += '&';
    out += UriEncode(name);
    if (!value.empty()) out += "=" + UriEncode(value);
  }
  return out;
}

}  // namespace ragd
