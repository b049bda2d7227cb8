#include "aws/sigv4_verify_headers.h"

#include <algorithm>
#include <optional>

#include "core/crypto.h"

namespace ragd {
namespace {

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

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The single value of header `name`; an error if it is repeated.
StatusOr<std::optional<std::string>> SingleHeader(const HttpHeaders& headers,
                                                  std::string_view name) {
  std::optional<std::string> found;
  for (const auto& [key, value] : headers) {
    if (AsciiLower(key) != name) continue;
    if (found) return InvalidArgumentError("repeated " + std::string(name) + " header");
    found = value;
  }
  return found;
}

}  // namespace

StatusOr<HeaderAuth> ParseHeaderAuth(const HttpHeaders& headers) {
  RAGD_ASSIGN_OR_RETURN(std::optional<std::string> authorization,
                        SingleHeader(headers, "authorization"));
  if (!authorization) return InvalidArgumentError("missing Authorization header");
  std::string_view rest = Trim(*authorization);
  if (!rest.starts_with(kSigV4Algorithm) || rest.size() == kSigV4Algorithm.size() ||
      (rest[kSigV4Algorithm.size()] != ' ' && rest[kSigV4Algorithm.size()] != '\t')) {
    return InvalidArgumentError("unsupported authorization type (expected AWS4-HMAC-SHA256)");
  }
  rest.remove_prefix(kSigV4Algorithm.size());

  std::optional<std::string> credential, signed_headers, signature;
  for (const std::string& raw : Split(rest, ',')) {
    const std::string_view field = Trim(raw);
    const size_t eq = field.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgumentError("malformed Authorization header component");
    }
    const std::string_view name = field.substr(0, eq);
    std::optional<std::string>* slot = name == "Credential"      ? &credential
                                       : name == "SignedHeaders" ? &signed_headers
                                       : name == "Signature"     ? &signature
                                                                 : nullptr;
    if (slot == nullptr) {
      return InvalidArgumentError("unknown Authorization header component " + std::string(name));
    }
    if (*slot) return InvalidArgumentError("repeated " + std::string(name) + " in Authorization");
    *slot = std::string(field.substr(eq + 1));
  }
  if (!credential || !signed_headers || !signature) {
    return InvalidArgumentError(
        "Authorization header requires Credential, SignedHeaders and Signature");
  }

  HeaderAuth auth;
  const std::vector<std::string> parts = Split(*credential, '/');
  if (parts.size() != 5 || parts[0].empty() || parts[1].size() != 8 || parts[2].empty() ||
      parts[3].empty() || parts[4] != "aws4_request") {
    return InvalidArgumentError("malformed Credential in Authorization header");
  }
  auth.access_key_id = parts[0];
  auth.date = parts[1];
  auth.region = parts[2];
  auth.service = parts[3];

  RAGD_ASSIGN_OR_RETURN(std::optional<std::string> amz_date, SingleHeader(headers, "x-amz-date"));
  if (!amz_date) return InvalidArgumentError("missing X-Amz-Date header");
  auth.amz_date = std::string(Trim(*amz_date));
  StatusOr<std::chrono::system_clock::time_point> signed_at = ParseSigV4AmzDate(auth.amz_date);
  if (!signed_at.ok()) return InvalidArgumentError("malformed X-Amz-Date header");
  auth.signed_at = *signed_at;
  if (auth.amz_date.substr(0, 8) != auth.date) {
    return InvalidArgumentError("Credential date does not match X-Amz-Date");
  }

  auth.signed_headers = Split(*signed_headers, ';');
  for (size_t i = 0; i < auth.signed_headers.size(); ++i) {
    const std::string& name = auth.signed_headers[i];
    if (!IsHttpToken(name) || AsciiLower(name) != name ||
        (i > 0 && auth.signed_headers[i - 1] >= name)) {
      return InvalidArgumentError("malformed SignedHeaders in Authorization header");
    }
  }
  for (std::string_view required : {"host", "x-amz-date"}) {
    if (!std::binary_search(auth.signed_headers.begin(), auth.signed_headers.end(), required)) {
      return InvalidArgumentError("SignedHeaders must include " + std::string(required));
    }
  }

  auth.signature = *signature;
  if (auth.signature.size() != 64 || !IsLowerHex(auth.signature)) {
    return InvalidArgumentError("malformed Signature in Authorization header");
  }
  RAGD_ASSIGN_OR_RETURN(std::optional<std::string> sha,
                        SingleHeader(headers, "x-amz-content-sha256"));
  if (sha) auth.content_sha256 = std::string(Trim(*sha));
  RAGD_ASSIGN_OR_RETURN(std::optional<std::string> token,
                        SingleHeader(headers, "x-amz-security-token"));
  if (token) auth.session_token = *std::move(token);
  return auth;
}

StatusOr<SigV4Details> ComputeHeaderSignature(const SignableRequest& request,
                                              const HeaderAuth& auth,
                                              std::string_view secret_access_key,
                                              bool uri_encode_path, bool normalize_path,
                                              SigV4KeyCache* key_cache) {
  return ComputeClaimedSignature(request,
                                 {auth.access_key_id, auth.date, auth.region, auth.service,
                                  auth.amz_date, &auth.signed_headers},
                                 secret_access_key, uri_encode_path, normalize_path, key_cache);
}

Status VerifyHeaderSignedRequest(const SignableRequest& request, const HeaderVerifyOptions& options,
                                 const SigV4CredentialLookup& lookup,
                                 std::chrono::system_clock::time_point now) {
  RAGD_ASSIGN_OR_RETURN(HeaderAuth auth, ParseHeaderAuth(request.headers));
  if (options.require_content_sha256 && auth.content_sha256.empty()) {
    return InvalidArgumentError("missing x-amz-content-sha256 header");
  }
  if ((!options.region.empty() && auth.region != options.region) ||
      (!options.service.empty() && auth.service != options.service)) {
    return PermissionDeniedError("signed for another region or service");
  }
  if (now < auth.signed_at - options.max_clock_skew ||
      now > auth.signed_at + options.max_clock_skew) {
    return PermissionDeniedError("X-Amz-Date is too far from the server's time");
  }
  return CheckClaimedSignature(request,
                               {auth.access_key_id, auth.date, auth.region, auth.service,
                                auth.amz_date, &auth.signed_headers},
                               auth.session_token, auth.signature, lookup, options.uri_encode_path,
                               options.normalize_path, options.key_cache);
}

std::vector<std::string> UnsignedAmzHeaders(const HttpHeaders& headers,
                                            const std::vector<std::string>& signed_headers) {
  std::vector<std::string> out;
  for (const auto& header : headers) {
    std::string lower = AsciiLower(header.first);
    if (!lower.starts_with("x-amz-")) continue;
    if (std::find(signed_headers.begin(), signed_headers.end(), lower) != signed_headers.end()) {
      continue;
    }
    out.push_back(std::move(lower));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ragd
