#include "ingest/parsers/text_encoding.h"

#include <uchardet/uchardet.h>
#include <unicode/ucnv.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "ingest/normalize.h"

namespace ragd {
namespace {

constexpr size_t kDetectBytes = 64 * 1024;  // uchardet's verdict settles long before this
// Damaged UTF-8: at least this many valid multi-byte sequences, and at most one ill-formed
// sequence per kDamageRatio of them.
constexpr int64_t kMinMultibyte = 4;
constexpr int64_t kDamageRatio = 20;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsUtf8Name(std::string_view name) {
  const std::string n = Lower(name);
  return n == "utf-8" || n == "utf8" || n == "unicode-1-1-utf-8";
}

// WHATWG: these labels all mean windows-1252.
std::string CanonicalCharset(std::string_view name) {
  const std::string n = Lower(name);
  if (n == "iso-8859-1" || n == "iso8859-1" || n == "latin1" || n == "l1" || n == "ascii" ||
      n == "us-ascii" || n == "iso_8859-1" || n == "cp1252" || n == "windows-1252") {
    return "windows-1252";
  }
  return std::string(name);
}

bool KnownToIcu(const std::string& charset) {
  UErrorCode status = U_ZERO_ERROR;
  UConverter* converter = ucnv_open(charset.c_str(), &status);
  if (converter != nullptr) ucnv_close(converter);
  return U_SUCCESS(status) && converter != nullptr;
}

std::string Convert(std::string_view bytes, const std::string& charset) {
  // Substitution (U+FFFD or the charset's substitute) is ICU's default for unmappable bytes.
  icu::UnicodeString text(bytes.data(), static_cast<int32_t>(bytes.size()), charset.c_str());
  std::string out;
  if (text.isBogus()) return ToValidUtf8(bytes);
  text.toUTF8String(out);
  return out;
}

std::string Detect(std::string_view bytes) {
  std::unique_ptr<std::remove_pointer_t<uchardet_t>, decltype(&uchardet_delete)> detector(
      uchardet_new(), &uchardet_delete);
  if (!detector) return "windows-1252";
  const std::string_view sample = bytes.substr(0, kDetectBytes);
  uchardet_handle_data(detector.get(), sample.data(), sample.size());
  uchardet_data_end(detector.get());
  const char* name = uchardet_get_charset(detector.get());
  if (name == nullptr || *name == '\0') return "windows-1252";
  std::string charset = CanonicalCharset(name);
  return KnownToIcu(charset) ? charset : "windows-1252";
}

}  // namespace

DecodedText DecodeToUtf8(std::string_view bytes, std::string_view declared_charset) {
  struct Bom {
    std::string_view mark;
    const char* charset;
  };
  // UTF-32 LE before UTF-16 LE: its mark starts with UTF-16 LE's.
  static constexpr Bom kBoms[] = {
      {std::string_view("\xEF\xBB\xBF", 3), "UTF-8"},
      {std::string_view("\xFF\xFE\x00\x00", 4), "UTF-32LE"},
      {std::string_view("\x00\x00\xFE\xFF", 4), "UTF-32BE"},
      {std::string_view("\xFF\xFE", 2), "UTF-16LE"},
      {std::string_view("\xFE\xFF", 2), "UTF-16BE"},
  };
  for (const Bom& bom : kBoms) {
    if (bytes.substr(0, bom.mark.size()) == bom.mark) {
      const std::string_view rest = bytes.substr(bom.mark.size());
      if (std::string_view(bom.charset) == "UTF-8") return {ToValidUtf8(rest), "UTF-8"};
      return {Convert(rest, bom.charset), bom.charset};
    }
  }
  if (!declared_charset.empty()) {
    if (IsUtf8Name(declared_charset)) return {ToValidUtf8(bytes), "UTF-8"};
    const std::string charset = CanonicalCharset(declared_charset);
    if (KnownToIcu(charset)) return {Convert(bytes, charset), charset};
  }
  // UTF-8 with a few damaged sequences (a truncated file, one stray Latin-1 byte) stays UTF-8:
  // valid multi-byte sequences are very unlikely in text in another encoding.
  const Utf8Census census = CountUtf8(bytes);
  if (census.invalid == 0) return {std::string(bytes), "UTF-8"};
  if (census.multibyte >= kMinMultibyte && census.invalid * kDamageRatio <= census.multibyte) {
    return {ToValidUtf8(bytes), "UTF-8"};
  }
  const std::string charset = Detect(bytes);
  return {Convert(bytes, charset), charset};
}

}  // namespace ragd
