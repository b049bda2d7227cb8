#include "aws/checksums.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <array>
#include <cctype>

#include "core/crypto.h"

namespace ragd {
namespace {

template <typename T, T kPoly>
std::array<T, 256> ReflectedCrcTable() {
  std::array<T, 256> table{};
  for (T i = 0; i < 256; ++i) {
    T crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ kPoly : crc >> 1;
    table[i] = crc;
  }
  return table;
}

const std::array<uint32_t, 256>& Crc32cTable() {
  static const auto table = ReflectedCrcTable<uint32_t, 0x82F63B78u>();
  return table;
}

const std::array<uint64_t, 256>& Crc64NvmeTable() {
  static const auto table = ReflectedCrcTable<uint64_t, 0x9A6C9329AC4BC9B5ull>();
  return table;
}

const EVP_MD* DigestOf(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kSha1:
      return EVP_sha1();
    case ChecksumAlgorithm::kSha256:
      return EVP_sha256();
    case ChecksumAlgorithm::kMd5:
      return EVP_md5();
    default:
      return nullptr;
  }
}

std::string BigEndian(uint64_t value, size_t bytes) {
  std::string out(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) {
    out[bytes - 1 - i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

}  // namespace

std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (ChecksumAlgorithm a :
       {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
        ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256, ChecksumAlgorithm::kMd5}) {
    if (ChecksumAlgorithmName(a) == upper) return a;
  }
  return std::nullopt;
}

std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
      return "CRC32";
    case ChecksumAlgorithm::kCrc32c:
      return "CRC32C";
    case ChecksumAlgorithm::kCrc64Nvme:
      return "CRC64NVME";
    case ChecksumAlgorithm::kSha1:
      return "SHA1";
    case ChecksumAlgorithm::kSha256:
      return "SHA256";
    case ChecksumAlgorithm::kMd5:
      return "MD5";
  }
  return "";
}

std::string ChecksumHeaderName(ChecksumAlgorithm algorithm) {
  if (algorithm == ChecksumAlgorithm::kMd5) return "content-md5";
  std::string name = "x-amz-checksum-";
  for (char c : ChecksumAlgorithmName(algorithm)) {
    name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return name;
}

size_t ChecksumSize(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
    case ChecksumAlgorithm::kCrc32c:
      return 4;
    case ChecksumAlgorithm::kCrc64Nvme:
      return 8;
    case ChecksumAlgorithm::kSha1:
      return 20;
    case ChecksumAlgorithm::kSha256:
      return 32;
    case ChecksumAlgorithm::kMd5:
      return 16;
  }
  return 0;
}

std::optional<std::string> DecodeChecksumValue(ChecksumAlgorithm algorithm,
                                               std::string_view value) {
  const size_t n = ChecksumSize(algorithm);
  if (value.size() != 4 * ((n + 2) / 3)) return std::nullopt;
  for (char c : value) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') {
      return std::nullopt;
    }
  }
  std::string raw(value.size(), '\0');
  const int decoded = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()));
  if (decoded < static_cast<int>(n)) return std::nullopt;
  raw.resize(n);
  // Only the canonical spelling (right padding, zero spare bits) is accepted.
  if (Base64Encode(raw) != value) return std::nullopt;
  return raw;
}

Checksummer::Checksummer(ChecksumAlgorithm algorithm) : algorithm_(algorithm) {
  if (const EVP_MD* md = DigestOf(algorithm)) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, md, nullptr);
    md_ctx_ = ctx;
  } else if (algorithm == ChecksumAlgorithm::kCrc32) {
    crc_ = crc32_z(0, nullptr, 0);
  } else {
    crc_ = ~uint64_t{0};
  }
}

Checksummer::~Checksummer() {
  if (md_ctx_ != nullptr) EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(md_ctx_));
}

void Checksummer::Update(std::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  switch (algorithm_) {
    case ChecksumAlgorithm::kCrc32:
      crc_ = crc32_z(static_cast<uLong>(crc_), p, data.size());
      return;
    case ChecksumAlgorithm::kCrc32c: {
      const auto& table = Crc32cTable();
      uint32_t crc = static_cast<uint32_t>(crc_);
      for (size_t i = 0; i < data.size(); ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
      crc_ = crc;
      return;
    }
    case ChecksumAlgorithm::kCrc64Nvme: {
      const auto& table = Crc64NvmeTable();
      uint64_t crc = crc_;
      for (size_t i = 0; i < data.size(); ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
      crc_ = crc;
      return;
    }
    default:
      EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(md_ctx_), p, data.size());
  }
}

std::string Checksummer::Finish() {
  switch (algorithm_) {
    case ChecksumAlgorithm::kCrc32:
      return BigEndian(crc_, 4);
    case ChecksumAlgorithm::kCrc32c:
      return BigEndian(~crc_ & 0xffffffffu, 4);
    case ChecksumAlgorithm::kCrc64Nvme:
      return BigEndian(~crc_, 8);
    default: {
      unsigned char out[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(md_ctx_), out, &len);
      return std::string(reinterpret_cast<char*>(out), len);
    }
  }
}

std::string Checksummer::FinishBase64() { return Base64Encode(Finish()); }

std::string ChecksumBase64(ChecksumAlgorithm algorithm, std::string_view data) {
  Checksummer c(algorithm);
  c.Update(data);
  return c.FinishBase64();
}

}  // namespace ragd
