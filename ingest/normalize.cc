#include "ingest/normalize.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>

#include <cctype>
#include <cstdint>

namespace ragd {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Decodes one code point at the start of `s` (non-empty). Returns the number of bytes it covers;
// an ill-formed sequence yields U+FFFD covering its maximal valid prefix (at least one byte).
size_t DecodeUtf8(std::string_view s, char32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  int need = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  char32_t value = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    value = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    value = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    value = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    *cp = 0xFFFD;
    return 1;
  }
  size_t i = 1;
  for (; need > 0; --need, ++i) {
    if (i >= s.size()) break;
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < lo || b > hi) break;
    lo = 0x80;
    hi = 0xBF;
    value = (value << 6) | (b & 0x3F);
  }
  if (need > 0) {
    *cp = 0xFFFD;
    return i;
  }
  *cp = value;
  return i;
}

// Characters that carry no text: zero-width spaces/joiners, bidi controls, word joiner and
// invisible operators, BOM, Mongolian vowel separator.
bool IsIgnorable(char32_t cp) {
  return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF ||
         cp == 0x180E;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Stage 1: valid UTF-8, line breaks as '\n', no control or ignorable characters. Sets
// `ascii` when the result is pure ASCII (then NFKC is the identity).
std::string Sanitize(std::string_view in, bool* ascii) {
  std::string out;
  out.reserve(in.size());
  *ascii = true;
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c < 0x80) {
      ++i;
      if (c == '\r') {
        out.push_back('\n');
        if (i < in.size() && in[i] == '\n') ++i;
      } else if (c == '\n' || c == '\f' || c == '\v') {
        out.push_back('\n');
      } else if (c == '\t') {
        out.push_back('\t');
      }
      continue;  // other C0 controls and DEL are dropped
    }
    char32_t cp = 0;
    const size_t len = DecodeUtf8(in.substr(i), &cp);
    const std::string_view bytes = in.substr(i, len);
    i += len;
    if (cp == 0xFFFD && bytes != kReplacement) {
      out.append(kReplacement);
      *ascii = false;
    } else if (cp == 0x85 || cp == 0x2028) {
      out.push_back('\n');
    } else if (cp == 0x2029) {
      out.append("\n\n");
    } else if (cp == 0xAD) {
      // A soft hyphen at a line end marks a hyphenation point: join the two lines.
      size_t j = i;
      while (j < in.size() && IsBlank(in[j])) ++j;
      if (j < in.size() && (in[j] == '\n' || in[j] == '\r')) {
        j += (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n') ? 2 : 1;
        while (j < in.size() && IsBlank(in[j])) ++j;
        i = j;
      }
    } else if (cp < 0xA0 || IsIgnorable(cp)) {
      // C1 controls and invisible characters are dropped.
    } else {
      out.append(bytes);
      *ascii = false;
    }
  }
  return out;
}

std::string Nfkc(std::string s) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status)) return s;
  if (nfkc->isNormalizedUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())), status) &&
      U_SUCCESS(status)) {
    return s;
  }
  status = U_ZERO_ERROR;
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  icu::StringByteSink<std::string> sink(&out);
  nfkc->normalizeUTF8(0, icu::StringPiece(s.data(), static_cast<int32_t>(s.size())), sink, nullptr,
                      status);
  if (U_FAILURE(status)) return s;
  return out;
}

// The last code point of non-empty `s`.
char32_t LastCodePoint(std::string_view s) {
  size_t start = s.size() - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  char32_t cp = 0;
  DecodeUtf8(s.substr(start), &cp);
  return cp;
}

bool IsHyphen(std::string_view line, size_t* hyphen_len) {
  if (line.size() >= 2 && line.back() == '-') {
    *hyphen_len = 1;
    return true;
  }
  if (line.size() >= 4 && line.substr(line.size() - 3) == "\xE2\x80\x90") {  // U+2010
    *hyphen_len = 3;
    return true;
  }
  return false;
}

// Appends `next` (a trimmed, non-empty line) to the paragraph that starts at `paragraph_start`
// in `out`, joining a word hyphenated across the break.
void JoinLine(std::string& out, size_t paragraph_start, std::string_view next) {
  const std::string_view prev = std::string_view(out).substr(paragraph_start);
  size_t hyphen_len = 0;
  if (IsHyphen(prev, &hyphen_len)) {
    const std::string_view before = prev.substr(0, prev.size() - hyphen_len);
    const char32_t last = LastCodePoint(before);
    if (u_isalnum(static_cast<UChar32>(last))) {
      char32_t first = 0;
      DecodeUtf8(next, &first);
      const size_t word_start = before.find_last_of(' ');
      const std::string_view word =
          word_start == std::string_view::npos ? before : before.substr(word_start + 1);
      const bool compound = word.find('-') != std::string_view::npos ||
                            word.find("\xE2\x80\x90") != std::string_view::npos;
      if (u_islower(static_cast<UChar32>(first)) && u_isalpha(static_cast<UChar32>(last)) &&
          !compound) {
        out.resize(out.size() - hyphen_len);
      }
      out.append(next);
      return;
    }
  }
  out.push_back(' ');
  out.append(next);
}

enum class Breaks { kFold, kParagraphs, kLines };

std::string Normalize(std::string_view text, Breaks breaks) {
  bool ascii = true;
  std::string clean = Sanitize(text, &ascii);
  if (!ascii) clean = Nfkc(std::move(clean));

  std::string out;
  out.reserve(clean.size());
  std::string line;
  size_t line_start = 0;  // where the current paragraph begins in `out`
  bool pending_blank = false;
  size_t pos = 0;
  while (pos <= clean.size()) {
    size_t end = clean.find('\n', pos);
    if (end == std::string::npos) end = clean.size();
    // Trim and fold runs of blanks inside the line.
    line.clear();
    bool space = false;
    for (size_t k = pos; k < end; ++k) {
      const char c = clean[k];
      if (IsBlank(c)) {
        space = !line.empty();
      } else {
        if (space) line.push_back(' ');
        space = false;
        line.push_back(c);
      }
    }
    pos = end + 1;
    if (line.empty()) {
      pending_blank = true;
      continue;
    }
    if (out.empty()) {
      out = line;
      line_start = 0;
    } else if (breaks == Breaks::kLines) {
      out.push_back('\n');
      out.append(line);
    } else if (breaks == Breaks::kParagraphs && pending_blank) {
      out.append("\n\n");
      line_start = out.size();
      out.append(line);
    } else {
      JoinLine(out, line_start, line);
    }
    pending_blank = false;
  }
  return out;
}

}  // namespace

std::string NormalizeText(std::string_view text) { return Normalize(text, Breaks::kFold); }

std::string NormalizeParagraphs(std::string_view text) {
  return Normalize(text, Breaks::kParagraphs);
}

std::string NormalizeLines(std::string_view text) { return Normalize(text, Breaks::kLines); }

std::vector<std::string> SplitParagraphs(std::string_view text) {
  std::vector<std::string> paragraphs;
  const std::string all = NormalizeParagraphs(text);
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find("\n\n", pos);
    if (end == std::string::npos) end = all.size();
    if (end > pos) paragraphs.emplace_back(all, pos, end - pos);
    pos = end + 2;
  }
  return paragraphs;
}

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      out.push_back(text[i++]);
      continue;
    }
    char32_t cp = 0;
    const size_t len = DecodeUtf8(text.substr(i), &cp);
    const std::string_view bytes = text.substr(i, len);
    out.append(cp == 0xFFFD && bytes != kReplacement ? kReplacement : bytes);
    i += len;
  }
  return out;
}

Utf8Census CountUtf8(std::string_view text) {
  Utf8Census census;
  size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp = 0;
    const size_t len = DecodeUtf8(text.substr(i), &cp);
    if (cp == 0xFFFD && text.substr(i, len) != kReplacement) {
      census.invalid++;
    } else {
      census.multibyte++;
    }
    i += len;
  }
  return census;
}

bool HasAlphanumeric(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (std::isalnum(c)) return true;
      ++i;
      continue;
    }
    char32_t cp = 0;
    i += DecodeUtf8(text.substr(i), &cp);
    if (u_isalnum(static_cast<UChar32>(cp))) return true;
  }
  return false;
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp = 0;
    const size_t len = DecodeUtf8(text.substr(i), &cp);
    if (cp == 0xFFFD && text.substr(i, len) != kReplacement) return false;
    i += len;
  }
  return true;
}

}  // namespace ragd
