#include "engine/guardrails.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <array>
#include <vector>

#include "ingest/normalize.h"

namespace ragd {
namespace {

// NFKC case folding (which also drops default-ignorable characters such as zero-width spaces, so
// "bo\u200Bmb" folds like "bomb"), then whitespace runs become one space, trimmed.
icu::UnicodeString Fold(std::string_view text) {
  icu::UnicodeString source = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  icu::UnicodeString folded;
  if (U_SUCCESS(status)) folded = nfkc_cf->normalize(source, status);
  if (U_FAILURE(status)) folded = source.foldCase();
  icu::UnicodeString out;
  bool pending_space = false;
  for (int32_t i = 0; i < folded.length(); i = folded.moveIndex32(i, 1)) {
    const UChar32 c = folded.char32At(i);
    if (u_isUWhiteSpace(c)) {
      pending_space = !out.isEmpty();
      continue;
    }
    if (pending_space) out.append(static_cast<UChar>(u' '));
    pending_space = false;
    out.append(c);
  }
  return out;
}

bool IsWordChar(UChar32 c) {
  return u_hasBinaryProperty(c, UCHAR_ALPHABETIC) || u_isdigit(c) ||
         u_charType(c) == U_NON_SPACING_MARK || u_charType(c) == U_COMBINING_SPACING_MARK;
}

// Scripts written without spaces between words: there a term can only match as a substring.
bool IsScriptioContinua(UChar32 c) {
  UErrorCode status = U_ZERO_ERROR;
  switch (uscript_getScript(c, &status)) {
    case USCRIPT_HAN:
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_THAI:
    case USCRIPT_LAO:
    case USCRIPT_KHMER:
    case USCRIPT_MYANMAR:
    case USCRIPT_TIBETAN:
      return true;
    default:
      return false;
  }
}

// True when `a` and `b`, side by side, are inside one word.
bool JoinsWord(UChar32 a, UChar32 b) {
  return IsWordChar(a) && IsWordChar(b) && !IsScriptioContinua(a) && !IsScriptioContinua(b);
}

bool StartsWithAt(const icu::UnicodeString& text, int32_t at, std::u16string_view what) {
  if (at + static_cast<int32_t>(what.size()) > text.length()) return false;
  for (size_t k = 0; k < what.size(); ++k) {
    if (text.charAt(at + static_cast<int32_t>(k)) != what[k]) return false;
  }
  return true;
}

bool MatchesAsWord(const icu::UnicodeString& text, const icu::UnicodeString& term) {
  const UChar32 first = term.char32At(0);
  const UChar32 last = term.char32At(term.length() - 1);
  for (int32_t at = text.indexOf(term); at >= 0; at = text.indexOf(term, at + 1)) {
    if (at > 0 && JoinsWord(text.char32At(text.moveIndex32(at, -1)), first)) continue;
    const int32_t end = at + term.length();
    if (end >= text.length() || !JoinsWord(last, text.char32At(end))) return true;
    // An English plural ending: "gun" hits "guns", "box" hits "boxes".
    for (std::u16string_view suffix : {std::u16string_view(u"s"), std::u16string_view(u"es")}) {
      const int32_t after = end + static_cast<int32_t>(suffix.size());
      if (StartsWithAt(text, end, suffix) &&
          (after >= text.length() || !IsWordChar(text.char32At(after)))) {
        return true;
      }
    }
  }
  return false;
}

// ---- PII redaction. Byte scanners rather than std::regex: linear time, no recursion depth that
// grows with the input, and boundary rules regexes make awkward.

struct Span {
  size_t begin;
  size_t end;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The code point ending just before `at` / starting at `at` (U+FFFD for an invalid sequence, -1
// at the ends of the text).
UChar32 CodePointBefore(std::string_view s, size_t at) {
  if (at == 0) return -1;
  int32_t i = static_cast<int32_t>(at);
  UChar32 c;
  U8_PREV_OR_FFFD(reinterpret_cast<const uint8_t*>(s.data()), 0, i, c);
  return c;
}
UChar32 CodePointAt(std::string_view s, size_t at) {
  if (at >= s.size()) return -1;
  int32_t i = static_cast<int32_t>(at);
  UChar32 c;
  U8_NEXT_OR_FFFD(reinterpret_cast<const uint8_t*>(s.data()), i, static_cast<int32_t>(s.size()), c);
  return c;
}
bool IsAlnumCp(UChar32 c) {
  return c >= 0 && (u_isalnum(c) || u_hasBinaryProperty(c, UCHAR_ALPHABETIC));
}

std::string Replace(std::string_view s, const std::vector<Span>& spans, std::string_view mask) {
  if (spans.empty()) return std::string(s);
  std::string out;
  out.reserve(s.size());
  size_t from = 0;
  for (const Span& span : spans) {
    out.append(s.substr(from, span.begin - from));
    out.append(mask);
    from = span.end;
  }
  out.append(s.substr(from));
  return out;
}

// ---- e-mail

bool IsLocalCp(UChar32 c) {
  return c >= 0 && ((c < 0x80 && (IsAsciiAlnum(static_cast<char>(c)) ||
                                  std::string_view("._%+-'").find(static_cast<char>(c)) !=
                                      std::string_view::npos)) ||
                    (c >= 0x80 && IsAlnumCp(c)));
}
bool IsDomainCp(UChar32 c) {
  return c >= 0 && ((c < 0x80 && (IsAsciiAlnum(static_cast<char>(c)) || c == '-' || c == '.')) ||
                    (c >= 0x80 && IsAlnumCp(c)));
}

bool ValidDomain(std::string_view domain) {
  if (domain.find('.') == std::string_view::npos) return false;
  size_t start = 0;
  std::string_view label;
  while (true) {
    const size_t dot = domain.find('.', start);
    label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // The TLD: letters only (ASCII or not), at least two.
  if (CodePointCount(label) < 2) return false;
  for (size_t i = 0; i < label.size();) {
    const UChar32 c = CodePointAt(label, i);
    if (!(c >= 0x80 ? IsAlnumCp(c) && !u_isdigit(c) : (c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
      return false;
    }
    i += U8_LENGTH(c);
  }
  return true;
}

std::vector<Span> FindEmails(std::string_view s) {
  std::vector<Span> spans;
  size_t search_from = 0;
  for (size_t at = s.find('@'); at != std::string_view::npos; at = s.find('@', at + 1)) {
    if (at < search_from) continue;
    size_t begin = at;
    while (begin > 0) {
      const UChar32 c = CodePointBefore(s, begin);
      if (!IsLocalCp(c)) break;
      begin -= U8_LENGTH(c);
    }
    // Punctuation cannot start an address ("'jo@x.org'" keeps its opening quote).
    while (begin < at && std::string_view(".'-+%").find(s[begin]) != std::string_view::npos) {
      ++begin;
    }
    size_t end = at + 1;
    while (end < s.size()) {
      const UChar32 c = CodePointAt(s, end);
      if (!IsDomainCp(c)) break;
      end += U8_LENGTH(c);
    }
    while (end > at + 1 && (s[end - 1] == '.' || s[end - 1] == '-')) --end;
    if (begin == at || !ValidDomain(s.substr(at + 1, end - at - 1))) continue;
    spans.push_back({begin, end});
    search_from = end;
  }
  return spans;
}

// ---- payment cards

bool LuhnValid(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

// Group sizes of printed card numbers: 4-4-4-1..4 (13-16 digits), 4-4-4-4-3 (19), 4-6-5 (Amex),
// 4-6-4 (Diners).
bool CardLayout(const std::vector<size_t>& groups) {
  const size_t n = groups.size();
  if (n == 3) return groups[0] == 4 && groups[1] == 6 && (groups[2] == 5 || groups[2] == 4);
  if (n != 4 && n != 5) return false;
  for (size_t i = 0; i + 1 < n; ++i) {
    if (groups[i] != 4) return false;
  }
  return n == 4 ? groups[3] >= 1 && groups[3] <= 4 : groups[4] == 3;
}

// Digits glued to a number before them ("3.14159...", "1,234...") are not a card's start.
bool NumberContinuesBefore(std::string_view s, size_t at) {
  if (at == 0) return false;
  if (IsAlnumCp(CodePointBefore(s, at))) return true;
  return at >= 2 && (s[at - 1] == '.' || s[at - 1] == ',') && IsDigit(s[at - 2]);
}

std::vector<Span> FindCards(std::string_view s) {
  std::vector<Span> spans;
  size_t i = 0;
  while (i < s.size()) {
    if (!IsDigit(s[i]) || NumberContinuesBefore(s, i)) {
      ++i;
      continue;
    }
    // One run: digit groups joined by one separator kind (space or dash).
    std::vector<size_t> group_sizes;
    std::vector<size_t> group_ends;
    std::string digits;
    char separator = 0;
    size_t j = i;
    while (true) {
      const size_t start = j;
      while (j < s.size() && IsDigit(s[j])) digits.push_back(s[j++]);
      group_sizes.push_back(j - start);
      group_ends.push_back(j);
      if (j + 1 < s.size() && (s[j] == ' ' || s[j] == '-') && IsDigit(s[j + 1]) &&
          (separator == 0 || separator == s[j])) {
        separator = s[j++];
        continue;
      }
      break;
    }
    const size_t run_end = j;
    bool found = false;
    if (group_sizes.size() == 1) {
      found = digits.size() >= 13 && digits.size() <= 19 && LuhnValid(digits) &&
              !IsAlnumCp(CodePointAt(s, run_end));
      if (found) spans.push_back({i, run_end});
    } else {
      // The longest leading groups that form a card (a year or a code may follow it).
      for (size_t n = group_sizes.size(); n >= 2 && !found; --n) {
        std::vector<size_t> head(group_sizes.begin(), group_sizes.begin() + n);
        size_t count = 0;
        for (size_t g : head) count += g;
        if (count < 13 || count > 19 || !CardLayout(head)) continue;
        if (!LuhnValid(std::string_view(digits).substr(0, count))) continue;
        if (IsAlnumCp(CodePointAt(s, group_ends[n - 1]))) continue;
        spans.push_back({i, group_ends[n - 1]});
        found = true;
      }
    }
    i = found ? spans.back().end : run_end;
  }
  return spans;
}

// ---- phone numbers

bool PhoneBoundaryBefore(std::string_view s, size_t at) {
  if (at == 0) return true;
  const UChar32 c = CodePointBefore(s, at);
  return !IsAlnumCp(c) && c != '+' && c != '-' && c != '.' && c != '/' && c != '_';
}
// The number must not run on into more digits or letters ("555-123-4567-89", "...4567abc").
bool PhoneBoundaryAfter(std::string_view s, size_t at) {
  if (at >= s.size()) return true;
  if (IsAlnumCp(CodePointAt(s, at))) return false;
  const char c = s[at];
  return !((c == '-' || c == '.' || c == '/') && at + 1 < s.size() && IsDigit(s[at + 1]));
}

// "+<country> <groups>": 8-15 digits; between digit groups one separator of " -." and/or a
// parenthesised group ("+44 (0)20 7946 0958", "+1 (555) 123-4567").
size_t MatchInternational(std::string_view s, size_t at) {
  if (s[at] != '+' || !PhoneBoundaryBefore(s, at)) return 0;
  size_t j = at + 1;
  if (j >= s.size() || s[j] < '1' || s[j] > '9') return 0;
  int digits = 0;
  size_t last_digit_end = 0;
  int open = 0;
  while (j < s.size()) {
    const char c = s[j];
    if (IsDigit(c)) {
      ++digits;
      last_digit_end = ++j;
      continue;
    }
    // At most two separator characters in a row (") ", " ("), and they must lead to a digit.
    size_t k = j;
    int seps = 0;
    while (k < s.size() && seps < 3 &&
           (s[k] == ' ' || s[k] == '-' || s[k] == '.' || s[k] == '(' || s[k] == ')')) {
      open += s[k] == '(' ? 1 : s[k] == ')' ? -1 : 0;
      ++k;
      ++seps;
    }
    if (seps == 0 || seps > 2 || k >= s.size() || !IsDigit(s[k]) || open < 0 || open > 1) break;
    j = k;
  }
  if (digits < 8 || digits > 15 || !PhoneBoundaryAfter(s, last_digit_end)) return 0;
  return last_digit_end;
}

size_t ReadDigits(std::string_view s, size_t at, size_t n) {
  for (size_t k = 0; k < n; ++k) {
    if (at + k >= s.size() || !IsDigit(s[at + k])) return std::string_view::npos;
  }
  return at + n;
}
bool IsPhoneSep(char c) { return c == '-' || c == '.' || c == ' '; }

// NANP: [1 sep] (NPA) NXX-XXXX or NPA sep NXX sep XXXX, with NPA and NXX starting 2-9.
size_t MatchUs(std::string_view s, size_t at) {
  if (!PhoneBoundaryBefore(s, at)) return 0;
  size_t j = at;
  if (s[j] == '1' && j + 2 < s.size() && IsPhoneSep(s[j + 1]) &&
      (IsDigit(s[j + 2]) || s[j + 2] == '(')) {
    j += 2;
  }
  size_t npa = j;
  if (j < s.size() && s[j] == '(') {
    npa = j + 1;
    j = ReadDigits(s, npa, 3);
    if (j == std::string_view::npos || j >= s.size() || s[j] != ')') return 0;
    ++j;
    if (j < s.size() && s[j] == ' ') ++j;
  } else {
    j = ReadDigits(s, j, 3);
    if (j == std::string_view::npos || j >= s.size() || !IsPhoneSep(s[j])) return 0;
    ++j;
  }
  const size_t nxx = j;
  j = ReadDigits(s, j, 3);
  if (j == std::string_view::npos || j >= s.size() || !IsPhoneSep(s[j])) return 0;
  j = ReadDigits(s, j + 1, 4);
  if (j == std::string_view::npos || s[npa] < '2' || s[nxx] < '2') return 0;
  return PhoneBoundaryAfter(s, j) ? j : 0;
}

std::vector<Span> FindPhones(std::string_view s) {
  std::vector<Span> spans;
  for (size_t i = 0; i < s.size();) {
    size_t end = 0;
    if (s[i] == '+') {
      end = MatchInternational(s, i);
    } else if (IsDigit(s[i]) || s[i] == '(') {
      end = MatchUs(s, i);
    }
    if (end > i) {
      spans.push_back({i, end});
      i = end;
    } else {
      ++i;
    }
  }
  return spans;
}

}  // namespace

int64_t CodePointCount(std::string_view text) {
  int64_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

StatusOr<InputDecision> CheckInput(const GuardrailsConfig& config, std::string_view text) {
  if (!IsValidUtf8(text)) return UnprocessableError("content", "is not valid UTF-8");
  if (text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos) {
    return UnprocessableError("content", "must not be empty");
  }
  if (config.max_input_chars > 0 && CodePointCount(text) > config.max_input_chars) {
    return UnprocessableError("content",
                              "at most " + std::to_string(config.max_input_chars) + " characters");
  }
  InputDecision decision;
  if (config.denied_terms.empty()) return decision;
  const icu::UnicodeString folded = Fold(text);
  for (const std::string& term : config.denied_terms) {
    const icu::UnicodeString folded_term = Fold(term);
    if (folded_term.isEmpty()) continue;
    if (MatchesAsWord(folded, folded_term)) {
      decision.refused = true;
      decision.refusal_message = config.refusal_message;
      decision.matched_term = term;
      return decision;
    }
  }
  return decision;
}

std::string RedactPii(std::string_view text) {
  // E-mail first (its local part may hold digits), then cards (long digit runs), then phones.
  std::string out = Replace(text, FindEmails(text), "[EMAIL]");
  out = Replace(out, FindCards(out), "[CARD]");
  return Replace(out, FindPhones(out), "[PHONE]");
}

}  // namespace ragd
