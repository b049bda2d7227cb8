#include "aws/s3_xml.h"

#include <charconv>
#include <ctime>

#include "aws/uri_encode.h"

namespace ragd {
namespace {

constexpr std::string_view kCdataOpen = "<![CDATA[";

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Appends code point `cp` as UTF-8. False for surrogates and values beyond Unicode.
bool AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return true;
}

// Decodes the entity `name` (between '&' and ';'); false if it is not one we know.
bool DecodeEntity(std::string_view name, std::string* out) {
  if (name == "amp") return out->push_back('&'), true;
  if (name == "lt") return out->push_back('<'), true;
  if (name == "gt") return out->push_back('>'), true;
  if (name == "quot") return out->push_back('"'), true;
  if (name == "apos") return out->push_back('\''), true;
  if (name.size() < 2 || name[0] != '#') return false;
  std::string_view digits = name.substr(1);
  int base = 10;
  if (digits[0] == 'x' || digits[0] == 'X') {
    base = 16;
    digits.remove_prefix(1);
  }
  if (digits.empty() || digits.size() > 8) return false;
  uint32_t cp = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, base);
  if (ec != std::errc() || end != digits.data() + digits.size()) return false;
  return AppendUtf8(cp, out);
}

// Position just past the construct starting at `pos` if it is a comment, CDATA section, or
// processing instruction / declaration; npos if unterminated; `pos` itself if it is none of these.
size_t SkipSpecial(std::string_view xml, size_t pos) {
  auto skip_to = [&](std::string_view close) {
    size_t end = xml.find(close, pos);
    return end == std::string_view::npos ? end : end + close.size();
  };
  std::string_view rest = xml.substr(pos);
  if (rest.starts_with("<!--")) return skip_to("-->");
  if (rest.starts_with(kCdataOpen)) return skip_to("]]>");
  if (rest.starts_with("<?")) return skip_to("?>");
  if (rest.starts_with("<!")) return skip_to(">");
  return pos;
}

// End of the tag starting at `pos` ('<'): the index of its '>', honouring quoted attribute values.
size_t TagEnd(std::string_view xml, size_t pos) {
  char quote = 0;
  for (size_t i = pos + 1; i < xml.size(); ++i) {
    const char c = xml[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

// Finds the element `name` at or after `from`. On success sets [content_begin, content_end) and
// `after` (just past the closing tag).
bool FindElementAt(std::string_view xml, std::string_view name, size_t from, size_t* content_begin,
                   size_t* content_end, size_t* after) {
  size_t pos = from;
  while ((pos = xml.find('<', pos)) != std::string_view::npos) {
    const size_t skipped = SkipSpecial(xml, pos);
    if (skipped == std::string_view::npos) return false;
    if (skipped != pos) {
      pos = skipped;
      continue;
    }
    const size_t name_end = pos + 1 + name.size();
    const bool match = xml.compare(pos + 1, name.size(), name) == 0 && name_end < xml.size() &&
                       (xml[name_end] == '>' || xml[name_end] == '/' || IsXmlSpace(xml[name_end]));
    const size_t tag_end = TagEnd(xml, pos);
    if (tag_end == std::string_view::npos) return false;
    if (!match) {
      pos = tag_end + 1;
      continue;
    }
    if (xml[tag_end - 1] == '/') {  // <Name/> or <Name attr="x"/>
      *content_begin = *content_end = tag_end + 1;
      *after = tag_end + 1;
      return true;
    }
    // Find the matching close tag, skipping CDATA and comments in the content.
    size_t scan = tag_end + 1;
    while ((scan = xml.find('<', scan)) != std::string_view::npos) {
      const size_t s = SkipSpecial(xml, scan);
      if (s == std::string_view::npos) return false;
      if (s != scan) {
        scan = s;
        continue;
      }
      if (xml.compare(scan, 2, "</") == 0 && xml.compare(scan + 2, name.size(), name) == 0) {
        size_t close = scan + 2 + name.size();
        while (close < xml.size() && IsXmlSpace(xml[close])) ++close;
        if (close < xml.size() && xml[close] == '>') {
          *content_begin = tag_end + 1;
          *content_end = scan;
          *after = close + 1;
          return true;
        }
      }
      ++scan;
    }
    return false;
  }
  return false;
}

std::string Trimmed(std::string s) {
  size_t b = 0;
  while (b < s.size() && IsXmlSpace(s[b])) ++b;
  size_t e = s.size();
  while (e > b && IsXmlSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// With encoding-type=url S3 escapes keys the way botocore undoes them (unquote_plus).
StatusOr<std::string> UrlDecodeListValue(std::string value, bool url_encoded) {
  if (!url_encoded) return value;
  for (char& c : value) {
    if (c == '+') c = ' ';
  }
  StatusOr<std::string> decoded = UriDecode(value);
  if (!decoded.ok()) return DataLossError("S3 listing: malformed url-encoded key");
  return decoded;
}

StatusOr<S3ObjectSummary> ParseContents(std::string_view contents, bool url_encoded) {
  S3ObjectSummary object;
  RAGD_ASSIGN_OR_RETURN(object.key,
                        UrlDecodeListValue(XmlElementText(contents, "Key"), url_encoded));
  const std::string size = Trimmed(XmlElementText(contents, "Size", "0"));
  if (!ParseNumber(size, &object.size)) return DataLossError("S3 listing: unreadable <Size>");
  object.etag = XmlElementText(contents, "ETag");
  const std::string modified = Trimmed(XmlElementText(contents, "LastModified"));
  if (!modified.empty()) {
    auto time = ParseIso8601Utc(modified);
    if (!time) return DataLossError("S3 listing: unreadable <LastModified>");
    object.last_modified = *time;
  }
  object.storage_class = XmlElementText(contents, "StorageClass");
  return object;
}

std::optional<std::chrono::system_clock::time_point> FromTm(std::tm* tm, int64_t millis) {
  const time_t seconds = timegm(tm);
  if (seconds == static_cast<time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds) +
                                               std::chrono::milliseconds(millis));
}

}  // namespace

std::string XmlDecodeText(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  size_t i = 0;
  while (i < raw.size()) {
    if (raw.compare(i, kCdataOpen.size(), kCdataOpen) == 0) {
      const size_t end = raw.find("]]>", i + kCdataOpen.size());
      const size_t stop = end == std::string_view::npos ? raw.size() : end;
      out.append(raw.substr(i + kCdataOpen.size(), stop - i - kCdataOpen.size()));
      i = end == std::string_view::npos ? raw.size() : end + 3;
      continue;
    }
    if (raw[i] == '&') {
      const size_t semi = raw.find(';', i + 1);
      if (semi != std::string_view::npos && semi - i <= 12 &&
          DecodeEntity(raw.substr(i + 1, semi - i - 1), &out)) {
        i = semi + 1;
        continue;
      }
    }
    out.push_back(raw[i++]);
  }
  return out;
}

std::string XmlEscapeText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default: {
        // Control characters XML 1.0 cannot carry become '?'.
        const bool bad =
            static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r';
        out.push_back(bad ? '?' : c);
      }
    }
  }
  return out;
}

std::optional<std::string_view> XmlFindElement(std::string_view xml, std::string_view name) {
  size_t begin = 0, end = 0, after = 0;
  if (!FindElementAt(xml, name, 0, &begin, &end, &after)) return std::nullopt;
  return xml.substr(begin, end - begin);
}

std::vector<std::string_view> XmlFindAllElements(std::string_view xml, std::string_view name) {
  std::vector<std::string_view> out;
  size_t from = 0, begin = 0, end = 0;
  while (FindElementAt(xml, name, from, &begin, &end, &from)) {
    out.push_back(xml.substr(begin, end - begin));
  }
  return out;
}

std::string XmlElementText(std::string_view xml, std::string_view name, std::string_view fallback) {
  std::optional<std::string_view> raw = XmlFindElement(xml, name);
  return raw ? XmlDecodeText(*raw) : std::string(fallback);
}

bool IsS3ErrorXml(std::string_view xml) {
  std::optional<std::string_view> error = XmlFindElement(xml, "Error");
  return error.has_value() && XmlFindElement(*error, "Code").has_value();
}

S3ErrorBody ParseS3ErrorXml(std::string_view xml) {
  S3ErrorBody out;
  std::optional<std::string_view> error = XmlFindElement(xml, "Error");
  if (!error) return out;
  out.code = Trimmed(XmlElementText(*error, "Code"));
  out.message = Trimmed(XmlElementText(*error, "Message"));
  out.request_id = Trimmed(XmlElementText(*error, "RequestId"));
  return out;
}

StatusOr<S3ListPage> ParseListObjectsV2Xml(std::string_view xml) {
  std::optional<std::string_view> root = XmlFindElement(xml, "ListBucketResult");
  if (!root) return DataLossError("S3 listing: response is not a ListBucketResult");
  const bool url_encoded = Trimmed(XmlElementText(*root, "EncodingType")) == "url";
  S3ListPage page;
  page.is_truncated = Trimmed(XmlElementText(*root, "IsTruncated")) == "true";
  page.next_continuation_token = XmlElementText(*root, "NextContinuationToken");
  if (page.is_truncated && page.next_continuation_token.empty()) {
    return DataLossError("S3 listing: truncated page without a NextContinuationToken");
  }
  const std::string key_count = Trimmed(XmlElementText(*root, "KeyCount", "0"));
  if (!ParseNumber(key_count, &page.key_count)) {
    return DataLossError("S3 listing: unreadable <KeyCount>");
  }
  for (std::string_view contents : XmlFindAllElements(*root, "Contents")) {
    RAGD_ASSIGN_OR_RETURN(S3ObjectSummary object, ParseContents(contents, url_encoded));
    page.objects.push_back(std::move(object));
  }
  for (std::string_view common : XmlFindAllElements(*root, "CommonPrefixes")) {
    RAGD_ASSIGN_OR_RETURN(std::string prefix,
                          UrlDecodeListValue(XmlElementText(common, "Prefix"), url_encoded));
    page.common_prefixes.push_back(std::move(prefix));
  }
  return page;
}

StatusOr<std::string> ParseInitiateMultipartUploadXml(std::string_view xml) {
  std::optional<std::string_view> root = XmlFindElement(xml, "InitiateMultipartUploadResult");
  std::string upload_id = root ? Trimmed(XmlElementText(*root, "UploadId")) : "";
  if (upload_id.empty()) return DataLossError("S3 CreateMultipartUpload: response has no UploadId");
  return upload_id;
}

StatusOr<std::string> ParseCompleteMultipartUploadXml(std::string_view xml) {
  std::optional<std::string_view> root = XmlFindElement(xml, "CompleteMultipartUploadResult");
  std::string etag = root ? Trimmed(XmlElementText(*root, "ETag")) : "";
  if (etag.empty()) return DataLossError("S3 CompleteMultipartUpload: response has no ETag");
  return etag;
}

std::optional<std::chrono::system_clock::time_point> ParseIso8601Utc(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  std::tm tm{};
  int fields[6] = {};
  const size_t starts[6] = {0, 5, 8, 11, 14, 17};
  const size_t lengths[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; ++i) {
    if (!ParseNumber(s.substr(starts[i], lengths[i]), &fields[i])) return std::nullopt;
  }
  std::string_view rest = s.substr(19);
  int64_t millis = 0;
  if (!rest.empty() && rest[0] == '.') {
    size_t n = 1;
    int64_t scale = 100;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') {
      millis += (rest[n] - '0') * scale;
      scale /= 10;
      ++n;
    }
    if (n == 1) return std::nullopt;
    rest.remove_prefix(n);
  }
  if (rest != "Z" && rest != "z") return std::nullopt;
  tm.tm_year = fields[0] - 1900;
  tm.tm_mon = fields[1] - 1;
  tm.tm_mday = fields[2];
  tm.tm_hour = fields[3];
  tm.tm_min = fields[4];
  tm.tm_sec = fields[5];
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  return FromTm(&tm, millis);
}

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view s) {
  // "Wed, 12 Oct 2009 17:50:00 GMT": fixed positions; month names are not locale-dependent here.
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  const size_t month = kMonths.find(s.substr(8, 3));
  if (month == std::string_view::npos || month % 3 != 0) return std::nullopt;
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!ParseNumber(s.substr(5, 2), &day) || !ParseNumber(s.substr(12, 4), &year) ||
      !ParseNumber(s.substr(17, 2), &hour) || !ParseNumber(s.substr(20, 2), &minute) ||
      !ParseNumber(s.substr(23, 2), &second)) {
    return std::nullopt;
  }
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = static_cast<int>(month / 3);
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return FromTm(&tm, 0);
}

}  // namespace ragd
