// AWS Signature Version 4: sign a request with an Authorization header, or presign it as a URL.
//
// Byte-for-byte compatible with the AWS SDK for JavaScript v3 (@smithy/signature-v4 and
// @aws-sdk/s3-request-presigner; cross-checked on random requests by
// tests/aws/sigv4_sdk_crosscheck_test.cc) and with the aws-c-auth and 2015 AWS test suites.
//
//   SignableRequest req{.method = "PUT", .path = "/" + UriEncodePath(key), ...};
//   req.headers = {{"Host", "bucket.s3.eu-west-1.amazonaws.com"}};
//   req.body = bytes;
//   auto signed_req = SignHeaders(req, creds, S3SigningOptions("eu-west-1", clock.Now()));
//   // send req.headers + signed_req->headers_to_add
//
// Conventions:
//  - `path` is the wire form (already percent-encoded). For S3, encode an object key with
//    UriEncodePath; the signer uses the path verbatim. For other services the signer normalises
//    it and encodes it once more, as those services expect ("double encoding").
//  - `query` holds decoded pairs; the signer encodes them.
//  - The signing time comes from the caller (take it from an injected ragd::Clock).
//
// Secrets: no function logs; no error message contains a secret, a derived key or a signature.
// The canonical request and string to sign returned for tests never contain the secret key (the
// session token, which travels in clear on the wire, may appear in them).
//
// Thread safety: all functions may be called concurrently (the signing-key cache is locked).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4_canonical.h"
#include "aws/sigv4_key.h"
#include "aws/uri_encode.h"
#include "core/http_client.h"
#include "core/status.h"

namespace ragd {

struct SignableRequest {
  std::string method = "GET";
  // Only used to build PresignResult::url.
  std::string scheme = "https";
  // The request-target path exactly as sent ("/a%20b"), without the query. "" means "/".
  std::string path = "/";
  QueryParams query;
  // Must contain Host. Names as sent; a repeated name is one header with its values joined by ','.
  HttpHeaders headers;
  // The payload, hashed when the hash is not given otherwise. Not owned: it must outlive the call.
  std::string_view body;
  // The payload hash to sign: lower-case hex SHA-256, kUnsignedPayload, or a STREAMING-* marker.
  // When empty, an x-amz-content-sha256 header's value is used, else SHA-256 of `body`. Setting
  // both this and a different x-amz-content-sha256 header is an error.
  std::string payload_hash;
};

// Order of the parameters in a presigned URL. All three give the same signature; they differ only
// in the bytes of the URL.
enum class PresignQueryOrder {
  // Sorted by (decoded) key, as the AWS SDK for JavaScript v3 getSignedUrl formats it.
  kSdk,
  // Canonical-query order with X-Amz-Signature last, as the Amazon S3 documentation shows it.
  kCanonical,
  // The request's own parameters as given, then X-Amz-Algorithm, -Credential, -Date,
  // -SignedHeaders, -Expires, -Security-Token, -Signature (aws-c-auth / the AWS CRT).
  kAppend,
};

struct SigningOptions {
  std::string region;
  std::string service;
  std::chrono::system_clock::time_point time;
  // Canonical URI rules (see SigV4CanonicalUri): true/true for every service except S3.
  bool uri_encode_path = true;
  bool normalize_path = true;
  // SignHeaders: add x-amz-content-sha256 (the payload hash) unless present, and sign it. S3 needs
  // it; the JS SDK sends it to every service.
  bool signed_body_header = false;
  // Put X-Amz-Security-Token on the request (header or query) but leave it out of the signature,
  // for the few services that want the token added after signing.
  bool omit_session_token = false;
  // Presign: validity, 1 s .. 7 days.
  std::chrono::seconds expires{3600};
  PresignQueryOrder query_order = PresignQueryOrder::kSdk;
  // Presign moves x-amz-* headers into the query (as the SDKs do) so a plain GET/PUT of the URL
  // carries them; headers whose lower-cased name starts with one of these prefixes stay headers
  // (signed, so the client must send them). S3: "x-amz-server-side-encryption".
  std::vector<std::string> unhoistable_header_prefixes;
  // Null: SigV4KeyCache::Global().
  SigV4KeyCache* key_cache = nullptr;
};

// Options for Amazon S3 and S3-compatible endpoints: service "s3", path neither normalised nor
// re-encoded, x-amz-content-sha256 signed, server-side-encryption headers never hoisted.
SigningOptions S3SigningOptions(std::string region, std::chrono::system_clock::time_point time);

// The intermediate values of one signature, for tests and debugging.
struct SigV4Details {
  std::string amz_date;          // "20150830T123600Z"
  std::string credential_scope;  // "20150830/us-east-1/service/aws4_request"
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string payload_hash;
  std::string signature;  // lower-case hex
};

struct HeaderSigningResult {
  // To be added to the request, in this order: X-Amz-Security-Token (temporary credentials),
  // X-Amz-Date, x-amz-content-sha256 (signed_body_header, if not already present), Authorization.
  // Any Authorization, X-Amz-Date (and, with a session token, X-Amz-Security-Token) header of the
  // request was ignored for signing and must be replaced by these.
  HttpHeaders headers_to_add;
  std::string authorization;  // the Authorization value, also in headers_to_add
  SigV4Details details;
};

// Signs `request` with an Authorization header. Every header except the unsignable ones
// (SigV4IsUnsignableHeader) is signed, including Date (the JS SDK drops a Date header before
// signing; S3's documented examples sign it). kInvalidArgument for a malformed request or
// options.
StatusOr<HeaderSigningResult> SignHeaders(const SignableRequest& request,
                                          const AwsCredentials& credentials,
                                          const SigningOptions& options);

struct PresignResult {
  // Every parameter of the presigned URL, decoded, in options.query_order.
  QueryParams query;
  std::string query_string;    // `query` encoded, '&'-joined
  std::string path_and_query;  // request.path + "?" + query_string
  std::string url;             // scheme "://" Host path_and_query
  // The request's headers minus the hoisted ones. The signed ones (details.signed_headers) must be
  // sent with the URL exactly as given; the others may be sent or not.
  HttpHeaders headers;
  SigV4Details details;
};

// Presigns `request` (query-string authentication). The request's query must not already carry
// X-Amz-Algorithm/-Credential/-Date/-Expires/-SignedHeaders/-Signature/-Security-Token.
StatusOr<PresignResult> Presign(const SignableRequest& request, const AwsCredentials& credentials,
                                const SigningOptions& options);

// Shared by signing and verification: the payload hash `request` is signed with (see
// SignableRequest::payload_hash).
StatusOr<std::string> SigV4PayloadHash(const SignableRequest& request);

}  // namespace ragd
