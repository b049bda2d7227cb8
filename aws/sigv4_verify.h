// Server side of SigV4 query-string authentication: checks an incoming presigned request (ragd's
// own S3-compatible upload endpoint verifies the presigned PUT URLs it hands out).
//
// The incoming request is described with the same SignableRequest the signer uses: the raw path as
// received, the query decoded (ParseQueryString) and still carrying every X-Amz-* parameter, the
// received headers, and the payload hash. For S3-style presigned URLs the payload is unsigned: set
// request.payload_hash = kUnsignedPayload (the SDKs also send X-Amz-Content-Sha256=UNSIGNED-PAYLOAD
// as a query parameter, which is then simply one more signed parameter).
//
// Secrets: error messages never contain the secret key, the derived key or the expected signature
// (returning it would let anyone forge a request); signatures are compared in constant time.
//
// Thread safety: all functions may be called concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4.h"
#include "core/status.h"

namespace ragd {

// The X-Amz-* authentication parameters of a presigned request.
struct PresignedAuth {
  std::string access_key_id;
  std::string date;  // yyyymmdd, from the credential scope
  std::string region;
  std::string service;
  std::string amz_date;  // X-Amz-Date, "yyyymmddThhmmssZ"
  std::chrono::system_clock::time_point signed_at;
  std::chrono::seconds expires{0};
  std::vector<std::string> signed_headers;  // lower case, sorted
  std::string signature;                    // 64 lower-case hex digits
  std::string session_token;                // X-Amz-Security-Token, if any
};

// Parses and checks the form of the parameters: algorithm AWS4-HMAC-SHA256, a well-formed
// credential whose date is X-Amz-Date's, expiry 1..604800, signed headers lower case, sorted,
// unique and including host, a 64-hex-digit signature. kUnauthenticated otherwise.
StatusOr<PresignedAuth> ParsePresignedAuth(const QueryParams& query);

// What a received signature claims, whether it came in the query or the Authorization header.
struct ClaimedSigV4Scope {
  std::string_view access_key_id;
  std::string_view date;  // yyyymmdd
  std::string_view region;
  std::string_view service;
  std::string_view amz_date;
  const std::vector<std::string>* signed_headers;  // lower case, sorted; not null
};

// The signature a correct signer would have produced for `request` under `claim`. Shared by the
// query and header verifiers.
StatusOr<SigV4Details> ComputeClaimedSignature(const SignableRequest& request,
                                               const ClaimedSigV4Scope& claim,
                                               std::string_view secret_access_key,
                                               bool uri_encode_path, bool normalize_path,
                                               SigV4KeyCache* key_cache);

// Resolves an access key id to its credentials. Any non-OK status means "unknown key".
using SigV4CredentialLookup =
    std::function<StatusOr<AwsCredentials>(std::string_view access_key_id)>;

// The step both verifiers end with: looks up the claimed access key, checks the session token,
// recomputes the signature and compares it in constant time (all failures kUnauthenticated).
Status CheckClaimedSignature(const SignableRequest& request, const ClaimedSigV4Scope& claim,
                             std::string_view session_token, std::string_view signature,
                             const SigV4CredentialLookup& lookup, bool uri_encode_path,
                             bool normalize_path, SigV4KeyCache* key_cache);

// The details of the signature a correct signer would have produced for `request` (see the file
// comment) under `auth` and `secret_access_key`. Path rules as in SigningOptions.
StatusOr<SigV4Details> ComputePresignedSignature(const SignableRequest& request,
                                                 const PresignedAuth& auth,
                                                 std::string_view secret_access_key,
                                                 bool uri_encode_path, bool normalize_path,
                                                 SigV4KeyCache* key_cache = nullptr);

struct PresignVerifyOptions {
  // Required scope; empty accepts any.
  std::string region;
  std::string service = "s3";
  // Path rules; the defaults are S3's.
  bool uri_encode_path = false;
  bool normalize_path = false;
  // How far in the future X-Amz-Date may be (clocks differ).
  std::chrono::seconds max_clock_skew{900};
  // Null: SigV4KeyCache::Global().
  SigV4KeyCache* key_cache = nullptr;
};

// OK if `request` carries a valid, unexpired presigned signature at time `now`. Errors:
//  kUnauthenticated   missing or malformed parameters, unknown access key, wrong session token,
//                     signature mismatch (the message says which, without revealing values)
//  kPermissionDenied  expired, not yet valid, or signed for another region/service
Status VerifyPresignedRequest(const SignableRequest& request, const PresignVerifyOptions& options,
                              const SigV4CredentialLookup& lookup,
                              std::chrono::system_clock::time_point now);

}  // namespace ragd
