#include "core/log_format.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace ragd {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsLower(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (LowerAscii(word[i]) != lower[i]) return false;
  }
  return true;
}

bool StartsWith(std::string_view text, size_t at, std::string_view prefix) {
  return text.size() - at >= prefix.size() && text.compare(at, prefix.size(), prefix) == 0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size()) {
      const auto c = static_cast<unsigned char>(s[j]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++j;
    }
    out.append(s.data() + i, j - i);
    i = j;
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default: {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        }
      }
      ++i;
      continue;
    }
    // A multi-byte sequence, validated as nlohmann's UTF-8 decoder does (RFC 3629: no overlong
    // forms, no surrogates, nothing above U+10FFFF). An invalid lead byte is replaced; a sequence
    // broken by a bad continuation byte is replaced and that byte is examined again.
    size_t need = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c == 0xE0) {
      need = 2, lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      need = 2;
    } else if (c == 0xED) {
      need = 2, hi = 0x9F;
    } else if (c == 0xF0) {
      need = 3, lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      need = 3;
    } else if (c == 0xF4) {
      need = 3, hi = 0x8F;
    } else {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t k = 1;
    for (; k <= need && i + k < s.size(); ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if (cc < (k == 1 ? lo : 0x80) || cc > (k == 1 ? hi : 0xBF)) break;
    }
    if (k > need) {
      out.append(s.data() + i, need + 1);
      i += need + 1;
    } else {
      out += kReplacement;
      i = i + k >= s.size() ? s.size() : i + k;  // truncated at the end, or resume at the bad byte
    }
  }
  out.push_back('"');
}

void AppendJsonInt(std::string& out, int64_t value) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, res.ptr);
}

void AppendJsonDouble(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  if (value == 0) {
    out += std::signbit(value) ? "-0.0" : "0.0";
    return;
  }
  // Shortest round-trip digits, then nlohmann's layout (serializer's format_buffer): plain
  // decimals for exponents in [-4, 15), exponential otherwise.
  char sci[32];
  const auto res = std::to_chars(sci, sci + sizeof(sci), value, std::chars_format::scientific);
  std::string_view text(sci, static_cast<size_t>(res.ptr - sci));
  if (text.front() == '-') {
    out.push_back('-');
    text.remove_prefix(1);
  }
  const size_t e = text.find('e');
  char digit_buf[32];
  size_t nd = 0;
  for (char ch : text.substr(0, e)) {
    if (ch != '.') digit_buf[nd++] = ch;
  }
  const std::string_view digits(digit_buf, nd);
  int exp10 = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0), text.data() + text.size(),
                  exp10);
  const int k = static_cast<int>(nd);
  const int n = exp10 + 1;  // value = 0.digits * 10^n
  if (k <= n && n <= 15) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
    out += ".0";
  } else if (0 < n && n <= 15) {
    out += digits.substr(0, static_cast<size_t>(n));
    out.push_back('.');
    out += digits.substr(static_cast<size_t>(n));
  } else if (-4 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out += digits.substr(1);
    }
    const int m = n - 1;
    char buf[16];
    std::snprintf(buf, sizeof(buf), "e%c%02d", m < 0 ? '-' : '+', m < 0 ? -m : m);
    out += buf;
  }
}

void AppendUtcMillis(std::string& out) {
  struct Cache {
    std::time_t secs = -1;
    char text[24] = {};  // "YYYY-MM-DDTHH:MM:SS"
    size_t size = 0;
  };
  thread_local Cache cache;
  const auto now = std::chrono::system_clock::now();
  const auto since = now.time_since_epoch();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since).count() % 1000;
  if (secs != cache.secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    cache.size = std::strftime(cache.text, sizeof(cache.text), "%Y-%m-%dT%H:%M:%S", &tm);
    cache.secs = secs;
  }
  out.append(cache.text, cache.size);
  const int m = static_cast<int>(ms < 0 ? ms + 1000 : ms);
  const char frac[6] = {'.',
                        static_cast<char>('0' + m / 100),
                        static_cast<char>('0' + m / 10 % 10),
                        static_cast<char>('0' + m % 10),
                        'Z',
                        '\0'};
  out.append(frac, 5);
}

bool IsSecretFieldName(std::string_view name) {
  static constexpr std::string_view kWords[] = {
      "key",           "apikey",    "secret",     "token",       "password",
      "authorization", "signature", "credential", "credentials", "cookie"};
  bool secret = false;
  std::string_view last;
  size_t start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '_' || name[i] == '-' || name[i] == '.') {
      if (i > start) {
        last = name.substr(start, i - start);
        for (std::string_view w : kWords) secret = secret || EqualsLower(last, w);
      }
      start = i + 1;
    }
  }
  return secret && !EqualsLower(last, "id");  // identifiers are not secrets
}

bool MayHoldSecret(std::string_view text) {
  // The hints Redact() looks for before running its patterns.
  for (size_t i = 0; i < text.size(); ++i) {
    switch (text[i]) {
      case 'r':
        if (StartsWith(text, i, "rgd_")) return true;
        break;
      case 'u':
        if (StartsWith(text, i, "uthorization")) return true;
        break;
      case 'X':
      case 'x':
        if (StartsWith(text, i + 1, "-Amz-") || StartsWith(text, i + 1, "-amz-")) return true;
        break;
      case 's':
        if (StartsWith(text, i, "secret") || StartsWith(text, i, "session_token")) return true;
        break;
      case 'S':
        if (StartsWith(text, i, "SECRET") || StartsWith(text, i, "SESSION_TOKEN")) return true;
        break;
      case 'B':
      case 'b':
        if (StartsWith(text, i + 1, "earer")) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

}  // namespace ragd
