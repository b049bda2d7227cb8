// Amazon S3 "flexible checksums": the x-amz-checksum-<algorithm> values an S3 client attaches to
// an upload (the AWS SDK for JavaScript v3 sends x-amz-checksum-crc32 with every PutObject by
// default) and Content-MD5. ragd's own upload endpoint recomputes them over the received body and
// answers BadDigest on a mismatch, as S3 does.
//
// Wire form: the checksum's bytes (a CRC as a big-endian integer, a digest as is), base64.
// Algorithms and their parameters, as the SDK's @aws-sdk/checksums computes them:
//   CRC32      zlib's CRC-32 (reflected 0xEDB88320)          4 bytes
//   CRC32C     Castagnoli (reflected 0x82F63B78)              4 bytes
//   CRC64NVME  NVMe CRC-64 (reflected 0x9A6C9329AC4BC9B5)     8 bytes
//   SHA1, SHA256, MD5 (Content-MD5)                          20, 32, 16 bytes
//
// Thread safety: the free functions are pure; a Checksummer is one stream, not shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ragd {

enum class ChecksumAlgorithm { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256, kMd5 };

// "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "MD5" (any case), as in
// x-amz-sdk-checksum-algorithm. nullopt for anything else.
std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name);
// Upper case, as above.
std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm);
// The header carrying it: "x-amz-checksum-crc32", ..., "content-md5" for kMd5.
std::string ChecksumHeaderName(ChecksumAlgorithm algorithm);
// Raw size in bytes (4, 4, 8, 20, 32, 16).
size_t ChecksumSize(ChecksumAlgorithm algorithm);
// The raw bytes of a wire value: nullopt unless `value` is padded standard base64 of exactly
// ChecksumSize(algorithm) bytes.
std::optional<std::string> DecodeChecksumValue(ChecksumAlgorithm algorithm, std::string_view value);

// Incremental checksum of a stream.
class Checksummer {
 public:
  explicit Checksummer(ChecksumAlgorithm algorithm);
  ~Checksummer();
  Checksummer(const Checksummer&) = delete;
  Checksummer& operator=(const Checksummer&) = delete;

  void Update(std::string_view data);
  // The raw checksum bytes; the object must not be used afterwards.
  std::string Finish();
  // Finish(), base64-encoded (the wire form).
  std::string FinishBase64();

  ChecksumAlgorithm algorithm() const { return algorithm_; }

 private:
  ChecksumAlgorithm algorithm_;
  uint64_t crc_ = 0;
  void* md_ctx_ = nullptr;  // EVP_MD_CTX* for the digests, owned
};

// One-shot convenience: base64 checksum of `data`.
std::string ChecksumBase64(ChecksumAlgorithm algorithm, std::string_view data);

}  // namespace ragd
