// Internal to api/: the checks behind ragd's S3-compatible upload endpoint
// (PUT /<objects.bucket>/{key+}), split from the handler so the head can be judged on the network
// thread before any byte of the body is read (Route::before_body), and the same plan re-derived
// on the worker thread afterwards.
//
// S3 behaviour followed (codes, statuses, messages): docs/api.md "Object uploads".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "api/http.h"
#include "api/service.h"
#include "aws/checksums.h"
#include "aws/uri_encode.h"

namespace ragd {

// An S3 error document: <Error><Code/><Message/>[details...]<RequestId/></Error>.
struct S3Error {
  int status = 400;
  std::string code;
  std::string message;
  std::vector<std::pair<std::string, std::string>> details;  // extra elements, in order
};

// application/xml with x-amz-request-id; never carries a secret or an expected signature.
Response S3ErrorResponse(const S3Error& error, const Request& request);

// What an accepted upload head asks for.
struct UploadPlan {
  std::string key;  // decoded object key
  std::string content_type;
  uint64_t content_length = 0;
  std::string expected_sha256;  // hex, when x-amz-content-sha256 claims the body's hash
  // Checksums the body must match: the algorithm and the header/parameter value (base64).
  std::vector<std::pair<ChecksumAlgorithm, std::string>> checksums;
  bool if_absent = false;  // If-None-Match: *
};

// Judges an upload head: authentication (presigned query or Authorization header, exactly as S3
// checks it) when `verify_signature`, then everything else that does not need the body. Pure
// apart from reading ctx (config, credentials, clock); safe on the network thread.
std::variant<UploadPlan, S3Error> PlanUpload(const ApiContext& ctx, const Request& head,
                                             bool verify_signature);

// The authentication part of PlanUpload (object_upload_auth.cc): nullopt when `head` carries a
// valid SigV4 signature for ctx.object_credentials, by presigned query or Authorization header.
std::optional<S3Error> AuthenticateUpload(const ApiContext& ctx, const Request& head,
                                          const QueryParams& query);

// x-amz-content-sha256 values S3 accepts: 64 lower-case hex digits, UNSIGNED-PAYLOAD, STREAMING-*.
bool IsValidContentSha256(std::string_view value);

}  // namespace ragd
