// Server side of SigV4 header authentication: checks a request carrying
//   Authorization: AWS4-HMAC-SHA256 Credential=<akid>/<date>/<region>/<service>/aws4_request,
//                  SignedHeaders=<a;b;c>, Signature=<64 hex>
// plus X-Amz-Date (and, for S3, x-amz-content-sha256), as the AWS SDKs send it (for example
// @aws-sdk/client-s3 PutObject against ragd's own upload endpoint). The counterpart of SignHeaders
// (aws/sigv4.h), as aws/sigv4_verify.h is of Presign.
//
// The incoming request is described with a SignableRequest: the raw path as received, the query
// decoded (ParseQueryString), the received headers (Authorization included; it is never signed).
// The payload hash signed is the x-amz-content-sha256 header's value (a hex SHA-256,
// UNSIGNED-PAYLOAD or a STREAMING-* marker) or, without that header, SHA-256 of request.body.
// When the header holds a hex hash, the signature only proves the *claimed* hash: the caller must
// hash the body it receives and compare (S3: XAmzContentSHA256Mismatch).
//
// Secrets: error messages never contain the secret key, the derived key or the expected signature;
// signatures are compared in constant time.
//
// Thread safety: all functions may be called concurrently.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4.h"
#include "aws/sigv4_verify.h"
#include "core/status.h"

namespace ragd {

// What an Authorization header (and the headers next to it) claims.
struct HeaderAuth {
  std::string access_key_id;
  std::string date;  // yyyymmdd, from the credential scope
  std::string region;
  std::string service;
  std::string amz_date;  // the X-Amz-Date header
  std::chrono::system_clock::time_point signed_at;
  std::vector<std::string> signed_headers;  // lower case, sorted
  std::string signature;                    // 64 lower-case hex digits
  std::string content_sha256;               // the x-amz-content-sha256 header, "" when absent
  std::string session_token;                // the X-Amz-Security-Token header, if any
};

// Parses and checks the form: algorithm AWS4-HMAC-SHA256; Credential, SignedHeaders and Signature
// each exactly once (any order, ", " or "," between them); a five-part credential whose date is
// X-Amz-Date's; signed headers lower case, sorted, unique, including host and x-amz-date; a
// 64-hex-digit signature; an X-Amz-Date header. kInvalidArgument otherwise, saying what is wrong
// (S3 answers these with 400 AuthorizationHeaderMalformed / AccessDenied for a missing date).
StatusOr<HeaderAuth> ParseHeaderAuth(const HttpHeaders& headers);

// The signature a correct signer would have produced for `request` under `auth` and
// `secret_access_key`. Path rules as in SigningOptions (S3: both false).
StatusOr<SigV4Details> ComputeHeaderSignature(const SignableRequest& request,
                                              const HeaderAuth& auth,
                                              std::string_view secret_access_key,
                                              bool uri_encode_path, bool normalize_path,
                                              SigV4KeyCache* key_cache = nullptr);

struct HeaderVerifyOptions {
  // Required scope; empty accepts any.
  std::string region;
  std::string service = "s3";
  // Path rules; the defaults are S3's.
  bool uri_encode_path = false;
  bool normalize_path = false;
  // |now - X-Amz-Date| beyond this is refused (S3: 15 minutes, RequestTimeTooSkewed).
  std::chrono::seconds max_clock_skew{900};
  // S3 refuses header-signed requests without x-amz-content-sha256.
  bool require_content_sha256 = true;
  // Null: SigV4KeyCache::Global().
  SigV4KeyCache* key_cache = nullptr;
};

// OK if `request` carries a valid header signature at time `now`. Errors:
//  kInvalidArgument   malformed Authorization, missing X-Amz-Date or x-amz-content-sha256
//  kPermissionDenied  signed for another region/service, or X-Amz-Date too far from `now`
//  kUnauthenticated   unknown access key, wrong session token, signature mismatch
Status VerifyHeaderSignedRequest(const SignableRequest& request, const HeaderVerifyOptions& options,
                                 const SigV4CredentialLookup& lookup,
                                 std::chrono::system_clock::time_point now);

// Names (lower case, sorted, unique) of the request's x-amz-* headers that are not among
// `signed_headers`. S3 refuses such requests (AccessDenied, "There were headers present in the
// request which were not signed"), whichever way they are signed.
std::vector<std::string> UnsignedAmzHeaders(const HttpHeaders& headers,
                                            const std::vector<std::string>& signed_headers);

}  // namespace ragd
