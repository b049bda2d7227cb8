#include "aws/sigv4.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "core/crypto.h"

namespace ragd {
namespace {

constexpr std::array<std::string_view, 7> kReservedQueryParams = {
    "x-amz-algorithm",     "x-amz-credential", "x-amz-date",          "x-amz-expires",
    "x-amz-signedheaders", "x-amz-signature",  "x-amz-security-token"};

bool IsScopeSafe(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f || c == '/' || c == ',' || c == ';' || c == '=') return false;
  }
  return true;
}

Status ValidateCommon(const SignableRequest& request, const AwsCredentials& credentials,
                      const SigningOptions& options) {
  if (!IsScopeSafe(credentials.access_key_id) || credentials.secret_access_key.empty()) {
    return InvalidArgumentError("credentials are missing or malformed");
  }
  if (!IsScopeSafe(options.region)) return InvalidArgumentError("signing region is invalid");
  if (!IsScopeSafe(options.service)) return InvalidArgumentError("signing service is invalid");
  if (!IsHttpToken(request.method)) return InvalidArgumentError("request method is invalid");
  for (const auto& header : request.headers) {
    if (!IsHttpToken(header.first)) return InvalidArgumentError("a header name is not a token");
  }
  if (!FindHeader(request.headers, "host")) {
    return InvalidArgumentError("request has no Host header");
  }
  return OkStatus();
}

// The parts of a signature shared by header signing and presigning.
struct ScopeInfo {
  std::string amz_date;
  std::string scope;
  std::string signing_key;
};

ScopeInfo MakeScope(const AwsCredentials& credentials, const SigningOptions& options) {
  ScopeInfo info;
  info.amz_date = SigV4AmzDate(options.time);
  const std::string date = info.amz_date.substr(0, 8);
  info.scope = SigV4Scope(date, options.region, options.service);
  SigV4KeyCache& cache = options.key_cache ? *options.key_cache : SigV4KeyCache::Global();
  info.signing_key = cache.SigningKey(credentials, date, options.region, options.service);
  return info;
}

StatusOr<SigV4Details> Compute(const SignableRequest& request, const QueryParams& query,
                               const HttpHeaders& signing_headers, const ScopeInfo& scope,
                               std::string payload_hash, const SigningOptions& options) {
  SigV4Details details;
  RAGD_ASSIGN_OR_RETURN(
      std::string canonical_uri,
      SigV4CanonicalUri(request.path, options.normalize_path, options.uri_encode_path));
  RAGD_ASSIGN_OR_RETURN(
      SigV4CanonicalHeaders headers,
      SigV4CanonicalizeHeaders(signing_headers, SigV4SignableHeaderNames(signing_headers)));
  details.amz_date = scope.amz_date;
  details.credential_scope = scope.scope;
  details.canonical_request = SigV4CanonicalRequest(
      request.method, canonical_uri, SigV4CanonicalQuery(query), headers, payload_hash);
  details.string_to_sign =
      SigV4StringToSign(scope.amz_date, scope.scope, details.canonical_request);
  details.signed_headers = std::move(headers.signed_headers);
  details.payload_hash = std::move(payload_hash);
  details.signature = SigV4Signature(scope.signing_key, details.string_to_sign);
  return details;
}

// Decodes UTF-8 into UTF-16 code units, the order JavaScript's Array.prototype.sort uses. Bytes
// that are not valid UTF-8 map to lone low surrogates, which only matters for ordering.
std::u16string Utf16ForOrdering(std::string_view s) {
  std::u16string out;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    bool valid = len != 0 && i + len <= s.size();
    for (size_t k = 1; valid && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      valid = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (!valid) {
      out.push_back(static_cast<char16_t>(0xdc00 | c));
      ++i;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i += len;
  }
  return out;
}

void OrderQuery(PresignQueryOrder order, QueryParams* query) {
  switch (order) {
    case PresignQueryOrder::kAppend:
      return;
    case PresignQueryOrder::kSdk:
      std::stable_sort(query->begin(), query->end(), [](const auto& a, const auto& b) {
        return Utf16ForOrdering(a.first) < Utf16ForOrdering(b.first);
      });
      return;
    case PresignQueryOrder::kCanonical:
      std::stable_sort(query->begin(), query->end(), [](const auto& a, const auto& b) {
        const bool a_sig = a.first == "X-Amz-Signature", b_sig = b.first == "X-Amz-Signature";
        if (a_sig != b_sig) return b_sig;
        return std::pair(UriEncode(a.first), UriEncode(a.second)) <
               std::pair(UriEncode(b.first), UriEncode(b.second));
      });
      return;
  }
}

}  // namespace

SigningOptions S3SigningOptions(std::string region, std::chrono::system_clock::time_point time) {
  SigningOptions options;
  options.region = std::move(region);
  options.service = "s3";
  options.time = time;
  options.uri_encode_path = false;
  options.normalize_path = false;
  options.signed_body_header = true;
  options.unhoistable_header_prefixes = {"x-amz-server-side-encryption"};
  return options;
}

StatusOr<std::string> SigV4PayloadHash(const SignableRequest& request) {
  const std::optional<std::string> header = FindHeader(request.headers, "x-amz-content-sha256");
  if (!request.payload_hash.empty()) {
    if (header && *header != request.payload_hash) {
      return InvalidArgumentError("payload_hash conflicts with the x-amz-content-sha256 header");
    }
    return request.payload_hash;
  }
  if (header) return *header;
  return Sha256Hex(request.body);
}

StatusOr<HeaderSigningResult> SignHeaders(const SignableRequest& request,
                                          const AwsCredentials& credentials,
                                          const SigningOptions& options) {
  RAGD_RETURN_IF_ERROR(ValidateCommon(request, credentials, options));
  RAGD_ASSIGN_OR_RETURN(std::string payload_hash, SigV4PayloadHash(request));
  const ScopeInfo scope = MakeScope(credentials, options);
  const bool has_token = !credentials.session_token.empty();

  HttpHeaders signing_headers;
  signing_headers.reserve(request.headers.size() + 3);
  bool has_sha256_header = false;
  for (const auto& header : request.headers) {
    const std::string lower = AsciiLower(header.first);
    if (lower == "authorization" || lower == "x-amz-date") continue;
    if (has_token && lower == "x-amz-security-token") continue;
    has_sha256_header |= lower == "x-amz-content-sha256";
    signing_headers.push_back(header);
  }

  HeaderSigningResult result;
  if (has_token) {
    result.headers_to_add.emplace_back("X-Amz-Security-Token", credentials.session_token);
    if (!options.omit_session_token) signing_headers.push_back(result.headers_to_add.back());
  }
  result.headers_to_add.emplace_back("X-Amz-Date", scope.amz_date);
  signing_headers.push_back(result.headers_to_add.back());
  if (options.signed_body_header && !has_sha256_header) {
    result.headers_to_add.emplace_back("x-amz-content-sha256", payload_hash);
    signing_headers.push_back(result.headers_to_add.back());
  }

  RAGD_ASSIGN_OR_RETURN(result.details, Compute(request, request.query, signing_headers, scope,
                                                std::move(payload_hash), options));
  result.authorization = std::string(kSigV4Algorithm) + " Credential=" + credentials.access_key_id +
                         "/" + scope.scope + ", SignedHeaders=" + result.details.signed_headers +
                         ", Signature=" + result.details.signature;
  result.headers_to_add.emplace_back("Authorization", result.authorization);
  return result;
}

StatusOr<PresignResult> Presign(const SignableRequest& request, const AwsCredentials& credentials,
                                const SigningOptions& options) {
  RAGD_RETURN_IF_ERROR(ValidateCommon(request, credentials, options));
  if (options.expires < std::chrono::seconds(1) || options.expires > kSigV4MaxPresignExpiry) {
    return InvalidArgumentError("presign expiry must be between 1 second and 7 days");
  }
  for (const auto& param : request.query) {
    const std::string lower = AsciiLower(param.first);
    if (std::find(kReservedQueryParams.begin(), kReservedQueryParams.end(), lower) !=
        kReservedQueryParams.end()) {
      return InvalidArgumentError("request query already carries SigV4 parameter " + param.first);
    }
  }
  RAGD_ASSIGN_OR_RETURN(std::string payload_hash, SigV4PayloadHash(request));
  const ScopeInfo scope = MakeScope(credentials, options);
  const bool has_token = !credentials.session_token.empty();

  PresignResult result;
  QueryParams query = request.query;
  for (const auto& header : request.headers) {
    const std::string lower = AsciiLower(header.first);
    if (lower == "authorization" || lower == "x-amz-date") continue;
    if (has_token && lower == "x-amz-security-token") continue;
    const bool unhoistable = std::any_of(
        options.unhoistable_header_prefixes.begin(), options.unhoistable_header_prefixes.end(),
        [&](const std::string& prefix) { return lower.starts_with(prefix); });
    if (lower.starts_with("x-amz-") && !unhoistable) {
      query.push_back(header);
    } else {
      result.headers.push_back(header);
    }
  }
  const std::vector<std::string> signed_names = SigV4SignableHeaderNames(result.headers);
  std::string signed_list;
  for (const std::string& name : signed_names) {
    signed_list.append(signed_list.empty() ? "" : ";").append(name);
  }
  query.emplace_back("X-Amz-Algorithm", std::string(kSigV4Algorithm));
  query.emplace_back("X-Amz-Credential", credentials.access_key_id + "/" + scope.scope);
  query.emplace_back("X-Amz-Date", scope.amz_date);
  query.emplace_back("X-Amz-SignedHeaders", signed_list);
  query.emplace_back("X-Amz-Expires", std::to_string(options.expires.count()));
  if (has_token && !options.omit_session_token) {
    query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  RAGD_ASSIGN_OR_RETURN(result.details, Compute(request, query, result.headers, scope,
                                                std::move(payload_hash), options));
  if (has_token && options.omit_session_token) {
    query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  query.emplace_back("X-Amz-Signature", result.details.signature);

  OrderQuery(options.query_order, &query);
  result.query_string = EncodeQueryString(query);
  result.query = std::move(query);
  result.path_and_query = (request.path.empty() ? "/" : request.path) + "?" + result.query_string;
  result.url = request.scheme + "://" +
               SigV4CanonicalHeaderValue(*FindHeader(request.headers, "host")) +
               result.path_and_query;
  return result;
}

}  // namespace ragd
