#include "aws/sigv4_canonical.h"

#include <algorithm>
#include <array>
#include <ctime>

#include "core/crypto.h"

namespace ragd {
namespace {

bool IsHeaderSpace(char c) { return c == ' ' || c == '\t'; }

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil), so
// parsing needs neither timegm nor the TZ environment.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::string SigV4AmzDate(std::chrono::system_clock::time_point t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  const auto time = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

StatusOr<std::chrono::system_clock::time_point> ParseSigV4AmzDate(std::string_view s) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !ParseDigits(s, 0, 4, &year) ||
      !ParseDigits(s, 4, 2, &month) || !ParseDigits(s, 6, 2, &day) ||
      !ParseDigits(s, 9, 2, &hour) || !ParseDigits(s, 11, 2, &minute) ||
      !ParseDigits(s, 13, 2, &second) || month < 1 || month > 12 || day < 1 || day > 31 ||
      hour > 23 || minute > 59 || second > 59) {
    return InvalidArgumentError("X-Amz-Date is not of the form yyyymmddThhmmssZ");
  }
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t total = days * 86400 + hour * 3600 + minute * 60 + second;
  return std::chrono::system_clock::time_point(std::chrono::seconds(total));
}

std::string SigV4Scope(std::string_view date, std::string_view region, std::string_view service) {
  std::string scope;
  scope.append(date).append("/").append(region).append("/").append(service);
  scope.append("/aws4_request");
  return scope;
}

std::string SigV4NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, slash - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = slash + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    out.append(segments[i]);
    if (i + 1 < segments.size() || path.ends_with('/')) out.push_back('/');
  }
  return out;
}

StatusOr<std::string> SigV4CanonicalUri(std::string_view wire_path, bool normalize_path,
                                        bool uri_encode_path) {
  if (wire_path.empty()) return std::string("/");
  if (wire_path.front() != '/') return InvalidArgumentError("request path must start with '/'");
  std::string path = normalize_path ? SigV4NormalizePath(wire_path) : std::string(wire_path);
  return uri_encode_path ? UriEncodePath(path) : path;
}

std::string SigV4CanonicalQuery(const QueryParams& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [key, value] : query) {
    if (AsciiLower(key) == "x-amz-signature") continue;
    encoded.emplace_back(UriEncode(key), UriEncode(value));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [key, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(key).append("=").append(value);
  }
  return out;
}

std::string SigV4CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == '\r' || c == '\n') c = ' ';
    if (IsHeaderSpace(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

bool SigV4IsUnsignableHeader(std::string_view lower_name) {
  static constexpr std::array<std::string_view, 15> kUnsignable = {
      "authorization", "cache-control",     "connection", "expect",     "from",
      "keep-alive",    "max-forwards",      "pragma",     "referer",    "te",
      "trailer",       "transfer-encoding", "upgrade",    "user-agent", "x-amzn-trace-id"};
  if (std::find(kUnsignable.begin(), kUnsignable.end(), lower_name) != kUnsignable.end()) {
    return true;
  }
  return lower_name.starts_with("proxy-") || lower_name.starts_with("sec-");
}

bool IsHttpToken(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string> SigV4SignableHeaderNames(const HttpHeaders& headers) {
  std::vector<std::string> names;
  for (const auto& header : headers) {
    std::string lower = AsciiLower(header.first);
    if (!SigV4IsUnsignableHeader(lower)) names.push_back(std::move(lower));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

StatusOr<SigV4CanonicalHeaders> SigV4CanonicalizeHeaders(const HttpHeaders& headers,
                                                         std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<std::string> lowered;
  lowered.reserve(headers.size());
  for (const auto& header : headers) lowered.push_back(AsciiLower(header.first));

  SigV4CanonicalHeaders out;
  for (const std::string& name : names) {
    std::string joined;
    bool found = false;
    for (size_t i = 0; i < headers.size(); ++i) {
      if (lowered[i] != name) continue;
      if (found) joined.push_back(',');
      joined.append(SigV4CanonicalHeaderValue(headers[i].second));
      found = true;
    }
    if (!found) return InvalidArgumentError("signed header '" + name + "' is not in the request");
    out.block.append(name).append(":").append(joined).append("\n");
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers.append(name);
  }
  return out;
}

std::string SigV4CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                                  std::string_view canonical_query,
                                  const SigV4CanonicalHeaders& headers,
                                  std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + canonical_uri.size() + canonical_query.size() + headers.block.size() +
              headers.signed_headers.size() + payload_hash.size() + 8);
  out.append(method).append("\n");
  out.append(canonical_uri).append("\n");
  out.append(canonical_query).append("\n");
  out.append(headers.block).append("\n");
  out.append(headers.signed_headers).append("\n");
  out.append(payload_hash);
  return out;
}

std::string SigV4StringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request) {
  std::string out(kSigV4Algorithm);
  out.append("\n").append(amz_date).append("\n").append(scope).append("\n");
  out.append(Sha256Hex(canonical_request));
  return out;
}

std::string SigV4Signature(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

}  // namespace ragd
