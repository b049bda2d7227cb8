#include "ingest/object_store.h"

#include <algorithm>

namespace ragd {
namespace {

// Length of the UTF-8 sequence starting at `s[i]`, 0 if it is not a valid one (overlong forms,
// surrogates and code points beyond U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

Status ValidateBucketName(std::string_view bucket) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  const bool ok = bucket.size() >= 3 && bucket.size() <= 63 && alnum(bucket.front()) &&
                  alnum(bucket.back()) && std::all_of(bucket.begin(), bucket.end(), [&](char c) {
                    return alnum(c) || c == '.' || c == '-';
                  });
  if (!ok) return InvalidArgumentError("invalid bucket name");
  return OkStatus();
}

Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return InvalidArgumentError("object key is empty");
  if (key.size() > kMaxObjectKeyBytes) {
    return InvalidArgumentError("object key is longer than 1024 bytes");
  }
  for (size_t i = 0; i < key.size();) {
    const size_t n = Utf8SequenceLength(key, i);
    if (n == 0) return InvalidArgumentError("object key is not valid UTF-8");
    if (key[i] == '\0') return InvalidArgumentError("object key contains NUL");
    i += n;
  }
  return OkStatus();
}

StatusOr<std::string> ObjectStore::ReadAll(std::string_view bucket, std::string_view key,
                                           uint64_t max_bytes) {
  RAGD_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, Open(bucket, key));
  if (reader->info().size > max_bytes) {
    return TooLargeError("object is larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string out;
  out.reserve(reader->info().size);
  while (true) {
    RAGD_ASSIGN_OR_RETURN(std::string chunk, reader->Read(1 << 20));
    if (chunk.empty()) return out;
    if (out.size() + chunk.size() > max_bytes) {
      return TooLargeError("object is larger than " + std::to_string(max_bytes) + " bytes");
    }
    out += chunk;
  }
}

}  // namespace ragd
