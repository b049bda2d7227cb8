// The building blocks of AWS Signature Version 4: canonical URI, query and headers, the canonical
// request, the string to sign and the signature. aws/sigv4.h composes them into "sign this request"
// and "presign this URL"; a verifier (ragd's own S3-compatible endpoint) composes them the other
// way round, from the X-Amz-* parameters of an incoming request (aws/sigv4_verify.h).
//
// Rules follow the AWS SDK for JavaScript v3 (@smithy/signature-v4) and aws-c-auth, which agree on
// everything here; where the two published test suites disagree, aws-c-auth's is taken:
//  - header values: CR and LF become spaces, runs of spaces/tabs fold to one space, one leading and
//    trailing space is dropped; a repeated header's values are joined with ',' in request order.
//  - query: keys and values UriEncode'd, sorted by encoded key then encoded value; a parameter
//    named X-Amz-Signature (any case) is never part of the canonical query.
//
// All functions are pure and thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "aws/uri_encode.h"
#include "core/http_client.h"
#include "core/status.h"

namespace ragd {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string: the payload hash of a request without a body.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// The longest validity a presigned URL may have (7 days), as AWS enforces it.
inline constexpr std::chrono::seconds kSigV4MaxPresignExpiry{604800};

// "20150830T123600Z" (UTC; sub-second parts are truncated, as the SDKs do).
std::string SigV4AmzDate(std::chrono::system_clock::time_point t);
// Parses exactly "yyyymmddThhmmssZ"; kInvalidArgument otherwise.
StatusOr<std::chrono::system_clock::time_point> ParseSigV4AmzDate(std::string_view amz_date);
// "20150830/us-east-1/service/aws4_request" for date "20150830".
std::string SigV4Scope(std::string_view date, std::string_view region, std::string_view service);

// RFC 3986-style dot-segment removal as SigV4 does it: empty and "." segments vanish, ".." drops
// the previous segment, the result starts with '/' and keeps a trailing '/' if it has segments.
// "//a/./b/../c//" -> "/a/c/".
std::string SigV4NormalizePath(std::string_view path);

// The canonical URI of `wire_path` (the path as it is sent, already percent-encoded; "" means "/").
//  - AWS services other than S3: normalize_path and uri_encode_path both true; the wire path is
//    normalised and then percent-encoded once more (so a wire "%20" is signed as "%2520").
//  - S3: both false; the wire path is signed verbatim ("//a/../b" stays as it is).
// kInvalidArgument if the path is non-empty and does not start with '/'.
StatusOr<std::string> SigV4CanonicalUri(std::string_view wire_path, bool normalize_path,
                                        bool uri_encode_path);

// Sorted, encoded "k=v&k=v" of decoded `query` pairs, without X-Amz-Signature.
std::string SigV4CanonicalQuery(const QueryParams& query);

// One header value, trimmed and folded (see above).
std::string SigV4CanonicalHeaderValue(std::string_view value);

// Headers the AWS SDKs never sign (their ALWAYS_UNSIGNABLE_HEADERS plus proxy-* and sec-*): they
// are routinely added or rewritten by proxies and HTTP stacks. `lower_name` must be lower case.
bool SigV4IsUnsignableHeader(std::string_view lower_name);

// True if `name` is a non-empty RFC 9110 token (what a header name may be).
bool IsHttpToken(std::string_view name);

// ASCII lower case.
std::string AsciiLower(std::string_view s);

// Lower-cased, sorted, de-duplicated names of the headers a signer signs: every header in
// `headers` except the unsignable ones.
std::vector<std::string> SigV4SignableHeaderNames(const HttpHeaders& headers);

struct SigV4CanonicalHeaders {
  std::string block;           // "name:value\n" per signed header, sorted by name
  std::string signed_headers;  // "host;x-amz-date"
};

// Canonicalises the headers whose lower-cased names are in `names` (any order; duplicates are
// ignored). Every header in `headers` with such a name (case-insensitive) contributes.
// kInvalidArgument if a name matches no header.
StatusOr<SigV4CanonicalHeaders> SigV4CanonicalizeHeaders(const HttpHeaders& headers,
                                                         std::vector<std::string> names);

// METHOD \n canonical URI \n canonical query \n headers block \n signed headers \n payload hash
std::string SigV4CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                                  std::string_view canonical_query,
                                  const SigV4CanonicalHeaders& headers,
                                  std::string_view payload_hash);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical_request>"
std::string SigV4StringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request);

// Lower-case hex HMAC-SHA256 of `string_to_sign` under the derived `signing_key`.
std::string SigV4Signature(std::string_view signing_key, std::string_view string_to_sign);

}  // namespace ragd
