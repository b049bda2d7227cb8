// Shared by the aws/s3_client*.cc files; not part of the public surface.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "aws/s3_client.h"
#include "aws/uri_encode.h"

namespace ragd {

// One logical S3 request, resent as is on every attempt.
struct S3Client::Call {
  std::string_view op;  // "PutObject", for messages and logs
  std::string method;
  std::string_view bucket;
  std::string_view key;  // empty for bucket-level requests
  QueryParams query;     // decoded, in wire order; an empty value is sent as a bare name
  HttpHeaders headers;   // besides Host and the signing headers
  std::string_view body;
  std::optional<std::string> body_file;
  std::string payload_hash;  // empty: SHA-256 of `body`
  bool transfer = false;     // carries object data: no total timeout, only the idle one
  // Streamed response bodies: `reset_sink` runs before every attempt, `on_body` gets the chunks
  // (of error responses too; Execute reads the error from its own copy of the first bytes).
  std::function<Status()> reset_sink;
  HttpBodyCallback on_body;
  // CompleteMultipartUpload may answer 200 with an <Error> document.
  bool error_may_hide_in_200 = false;
};

// "s3://bucket/key" for messages (keys are not secret).
std::string S3Resource(std::string_view bucket, std::string_view key);

// kInvalidArgument unless the bucket is non-empty without '/' and the key, when required,
// non-empty; both without NUL.
Status ValidateS3Names(std::string_view bucket, std::string_view key, bool key_required);

// The Status for a non-2xx response (or a 200 carrying <Error>): S3's Code and Message, the HTTP
// status and the request id, mapped to a code as s3_client.h lists.
Status S3ErrorStatus(std::string_view op, std::string_view resource, int http_status,
                     const HttpHeaders& headers, std::string_view body);

// Whether S3's answer is worth another attempt.
bool IsRetryableS3Error(int http_status, std::string_view code);

// Size, ETag, type, Last-Modified and x-amz-meta-* from response headers.
S3ObjectInfo S3ObjectInfoFromHeaders(const HttpHeaders& headers);

// x-amz-meta-* and Content-Type headers for a PUT / CreateMultipartUpload; kInvalidArgument for
// metadata S3 cannot carry.
StatusOr<HttpHeaders> S3PutHeaders(const S3PutOptions& options);

// Lower-case hex SHA-256 of a file's contents, read in 1 MiB blocks.
StatusOr<std::string> Sha256FileHex(const std::string& path);

// "k=v&bare&k2=v2": pairs UriEncode'd in order, empty values without '='.
std::string S3WireQuery(const QueryParams& query);

}  // namespace ragd
