#include "aws/sigv4_verify.h"

#include <algorithm>
#include <optional>

#include "core/crypto.h"

namespace ragd {
namespace {

// The value of the single parameter named `name` (exact case, as the SDKs send it); nullopt when
// absent; an error when repeated, which a genuine signer never does.
StatusOr<std::optional<std::string>> SingleParam(const QueryParams& query, std::string_view name) {
  std::optional<std::string> found;
  for (const auto& [key, value] : query) {
    if (key != name) continue;
    if (found) return UnauthenticatedError("repeated " + std::string(name) + " parameter");
    found = value;
  }
  return found;
}

StatusOr<std::string> RequiredParam(const QueryParams& query, std::string_view name) {
  RAGD_ASSIGN_OR_RETURN(std::optional<std::string> value, SingleParam(query, name));
  if (!value) return UnauthenticatedError("missing " + std::string(name) + " parameter");
  return *std::move(value);
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(sep, start);
    parts.emplace_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

}  // namespace

StatusOr<PresignedAuth> ParsePresignedAuth(const QueryParams& query) {
  PresignedAuth auth;
  RAGD_ASSIGN_OR_RETURN(std::string algorithm, RequiredParam(query, "X-Amz-Algorithm"));
  if (algorithm != kSigV4Algorithm) return UnauthenticatedError("unsupported X-Amz-Algorithm");

  RAGD_ASSIGN_OR_RETURN(std::string credential, RequiredParam(query, "X-Amz-Credential"));
  std::vector<std::string> parts = Split(credential, '/');
  if (parts.size() != 5 || parts[0].empty() || parts[1].size() != 8 || parts[2].empty() ||
      parts[3].empty() || parts[4] != "aws4_request") {
    return UnauthenticatedError("malformed X-Amz-Credential");
  }
  auth.access_key_id = parts[0];
  auth.date = parts[1];
  auth.region = parts[2];
  auth.service = parts[3];

  RAGD_ASSIGN_OR_RETURN(auth.amz_date, RequiredParam(query, "X-Amz-Date"));
  StatusOr<std::chrono::system_clock::time_point> signed_at = ParseSigV4AmzDate(auth.amz_date);
  if (!signed_at.ok()) return UnauthenticatedError("malformed X-Amz-Date");
  auth.signed_at = *signed_at;
  if (auth.amz_date.substr(0, 8) != auth.date) {
    return UnauthenticatedError("X-Amz-Credential date does not match X-Amz-Date");
  }

  RAGD_ASSIGN_OR_RETURN(std::string expires, RequiredParam(query, "X-Amz-Expires"));
  if (expires.empty() || expires.size() > 6 ||
      !std::all_of(expires.begin(), expires.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return UnauthenticatedError("malformed X-Amz-Expires");
  }
  auth.expires = std::chrono::seconds(std::stoll(expires));
  if (auth.expires < std::chrono::seconds(1) || auth.expires > kSigV4MaxPresignExpiry) {
    return UnauthenticatedError("X-Amz-Expires out of range");
  }

  RAGD_ASSIGN_OR_RETURN(std::string signed_headers, RequiredParam(query, "X-Amz-SignedHeaders"));
  auth.signed_headers = Split(signed_headers, ';');
  for (size_t i = 0; i < auth.signed_headers.size(); ++i) {
    const std::string& name = auth.signed_headers[i];
    if (!IsHttpToken(name) || AsciiLower(name) != name ||
        (i > 0 && auth.signed_headers[i - 1] >= name)) {
      return UnauthenticatedError("malformed X-Amz-SignedHeaders");
    }
  }
  if (!std::binary_search(auth.signed_headers.begin(), auth.signed_headers.end(), "host")) {
    return UnauthenticatedError("X-Amz-SignedHeaders must include host");
  }

  RAGD_ASSIGN_OR_RETURN(auth.signature, RequiredParam(query, "X-Amz-Signature"));
  if (auth.signature.size() != 64 || !IsLowerHex(auth.signature)) {
    return UnauthenticatedError("malformed X-Amz-Signature");
  }
  RAGD_ASSIGN_OR_RETURN(std::optional<std::string> token,
                        SingleParam(query, "X-Amz-Security-Token"));
  if (token) auth.session_token = *std::move(token);
  return auth;
}

StatusOr<SigV4Details> ComputeClaimedSignature(const SignableRequest& request,
                                               const ClaimedSigV4Scope& claim,
                                               std::string_view secret_access_key,
                                               bool uri_encode_path, bool normalize_path,
                                               SigV4KeyCache* key_cache) {
  RAGD_ASSIGN_OR_RETURN(std::string payload_hash, SigV4PayloadHash(request));
  RAGD_ASSIGN_OR_RETURN(std::string canonical_uri,
                        SigV4CanonicalUri(request.path, normalize_path, uri_encode_path));
  StatusOr<SigV4CanonicalHeaders> headers =
      SigV4CanonicalizeHeaders(request.headers, *claim.signed_headers);
  if (!headers.ok()) return UnauthenticatedError(headers.status().message());

  SigV4Details details;
  details.amz_date = std::string(claim.amz_date);
  details.credential_scope = SigV4Scope(claim.date, claim.region, claim.service);
  details.canonical_request = SigV4CanonicalRequest(
      request.method, canonical_uri, SigV4CanonicalQuery(request.query), *headers, payload_hash);
  details.string_to_sign =
      SigV4StringToSign(details.amz_date, details.credential_scope, details.canonical_request);
  details.signed_headers = headers->signed_headers;
  details.payload_hash = std::move(payload_hash);
  AwsCredentials credentials{std::string(claim.access_key_id), std::string(secret_access_key), ""};
  SigV4KeyCache& cache = key_cache ? *key_cache : SigV4KeyCache::Global();
  details.signature =
      SigV4Signature(cache.SigningKey(credentials, claim.date, claim.region, claim.service),
                     details.string_to_sign);
  return details;
}

Status CheckClaimedSignature(const SignableRequest& request, const ClaimedSigV4Scope& claim,
                             std::string_view session_token, std::string_view signature,
                             const SigV4CredentialLookup& lookup, bool uri_encode_path,
                             bool normalize_path, SigV4KeyCache* key_cache) {
  StatusOr<AwsCredentials> credentials = lookup(claim.access_key_id);
  if (!credentials.ok()) return UnauthenticatedError("unknown access key");
  if (!ConstantTimeEquals(credentials->session_token, session_token)) {
    return UnauthenticatedError("session token does not match");
  }
  RAGD_ASSIGN_OR_RETURN(SigV4Details details,
                        ComputeClaimedSignature(request, claim, credentials->secret_access_key,
                                                uri_encode_path, normalize_path, key_cache));
  if (!ConstantTimeEquals(details.signature, signature)) {
    return UnauthenticatedError("signature does not match");
  }
  return OkStatus();
}

StatusOr<SigV4Details> ComputePresignedSignature(const SignableRequest& request,
                                                 const PresignedAuth& auth,
                                                 std::string_view secret_access_key,
                                                 bool uri_encode_path, bool normalize_path,
                                                 SigV4KeyCache* key_cache) {
  return ComputeClaimedSignature(request,
                                 {auth.access_key_id, auth.date, auth.region, auth.service,
                                  auth.amz_date, &auth.signed_headers},
                                 secret_access_key, uri_encode_path, normalize_path, key_cache);
}

Status VerifyPresignedRequest(const SignableRequest& request, const PresignVerifyOptions& options,
                              const SigV4CredentialLookup& lookup,
                              std::chrono::system_clock::time_point now) {
  RAGD_ASSIGN_OR_RETURN(PresignedAuth auth, ParsePresignedAuth(request.query));
  if ((!options.region.empty() && auth.region != options.region) ||
      (!options.service.empty() && auth.service != options.service)) {
    return PermissionDeniedError("presigned for another region or service");
  }
  if (now < auth.signed_at - options.max_clock_skew) {
    return PermissionDeniedError("presigned URL is not valid yet");
  }
  if (now > auth.signed_at + auth.expires) return PermissionDeniedError("presigned URL expired");

  return CheckClaimedSignature(request,
                               {auth.access_key_id, auth.date, auth.region, auth.service,
                                auth.amz_date, &auth.signed_headers},
                               auth.session_token, auth.signature, lookup, options.uri_encode_path,
                               options.normalize_path, options.key_cache);
}

}  // namespace ragd
