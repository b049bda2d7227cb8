#include "aws/uri_encode.h"

namespace ragd {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

void AppendEncoded(std::string_view s, bool keep_slash, std::string* out) {
  out->reserve(out->size() + s.size());
  for (unsigned char c : s) {
    if (IsUriUnreserved(c) || (keep_slash && c == '/')) {
      out->push_back(static_cast<char>(c));
    } else {
      out->push_back('%');
      out->push_back(kHexUpper[c >> 4]);
      out->push_back(kHexUpper[c & 0xf]);
    }
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool IsUriUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string UriEncode(std::string_view s) {
  std::string out;
  AppendEncoded(s, /*keep_slash=*/false, &out);
  return out;
}

std::string UriEncodePath(std::string_view path) {
  std::string out;
  AppendEncoded(path, /*keep_slash=*/true, &out);
  return out;
}

StatusOr<std::string> UriDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    const int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) return InvalidArgumentError("malformed percent-encoding");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

StatusOr<QueryParams> ParseQueryString(std::string_view raw) {
  QueryParams params;
  while (!raw.empty()) {
    const size_t amp = raw.find('&');
    const std::string_view field = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (field.empty()) continue;
    const size_t eq = field.find('=');
    RAGD_ASSIGN_OR_RETURN(std::string key, UriDecode(field.substr(0, eq)));
    std::string value;
    if (eq != std::string_view::npos) {
      RAGD_ASSIGN_OR_RETURN(value, UriDecode(field.substr(eq + 1)));
    }
    params.emplace_back(std::move(key), std::move(value));
  }
  return params;
}

std::string EncodeQueryString(const QueryParams& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out.push_back('&');
    AppendEncoded(key, /*keep_slash=*/false, &out);
    out.push_back('=');
    AppendEncoded(value, /*keep_slash=*/false, &out);
  }
  return out;
}

}  // namespace ragd
