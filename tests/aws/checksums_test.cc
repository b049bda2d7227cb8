// S3 flexible checksums: the standard check values of each CRC, digests, and the wire form the
// AWS SDK for JavaScript sends (x-amz-checksum-crc32 of "hello world" is "DUoRhQ==").
#include "aws/checksums.h"

#include <gtest/gtest.h>

#include <string>

#include "core/crypto.h"

namespace ragd {
namespace {

std::string Hex(ChecksumAlgorithm a, std::string_view data) {
  Checksummer c(a);
  c.Update(data);
  return HexEncode(c.Finish());
}

TEST(ChecksumsTest, CheckValues) {
  // "123456789" is the CRC catalogue's check input.
  EXPECT_EQ(Hex(ChecksumAlgorithm::kCrc32, "123456789"), "cbf43926");
  EXPECT_EQ(Hex(ChecksumAlgorithm::kCrc32c, "123456789"), "e3069283");
  EXPECT_EQ(Hex(ChecksumAlgorithm::kCrc64Nvme, "123456789"), "ae8b14860a799888");
  EXPECT_EQ(Hex(ChecksumAlgorithm::kSha1, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Hex(ChecksumAlgorithm::kSha256, "abc"), Sha256Hex("abc"));
  EXPECT_EQ(Hex(ChecksumAlgorithm::kMd5, ""), "d41d8cd98f00b204e9800998ecf8427e");
  // The empty input: what a presigned URL carries when the SDK checksummed an absent body.
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kCrc32, ""), "AAAAAA==");
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kCrc32, "hello world"), "DUoRhQ==");
}

TEST(ChecksumsTest, IncrementalEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>(i * 7 + (i >> 5)));
  for (ChecksumAlgorithm a :
       {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
        ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256, ChecksumAlgorithm::kMd5}) {
    Checksummer c(a);
    for (size_t i = 0; i < data.size(); i += 777) c.Update(std::string_view(data).substr(i, 777));
    const std::string value = c.FinishBase64();
    EXPECT_EQ(value, ChecksumBase64(a, data)) << ChecksumAlgorithmName(a);
    std::optional<std::string> raw = DecodeChecksumValue(a, value);
    ASSERT_TRUE(raw.has_value()) << ChecksumAlgorithmName(a);
    EXPECT_EQ(raw->size(), ChecksumSize(a));
  }
}

TEST(ChecksumsTest, NamesAndHeaders) {
  EXPECT_EQ(ParseChecksumAlgorithm("crc32"), ChecksumAlgorithm::kCrc32);
  EXPECT_EQ(ParseChecksumAlgorithm("CRC64NVME"), ChecksumAlgorithm::kCrc64Nvme);
  EXPECT_EQ(ParseChecksumAlgorithm("Sha256"), ChecksumAlgorithm::kSha256);
  EXPECT_FALSE(ParseChecksumAlgorithm("xxhash64").has_value());
  EXPECT_FALSE(ParseChecksumAlgorithm("").has_value());
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCrc32c), "x-amz-checksum-crc32c");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kMd5), "content-md5");
}

TEST(ChecksumsTest, DecodeAcceptsOnlyCanonicalBase64OfTheRightSize) {
  EXPECT_EQ(DecodeChecksumValue(ChecksumAlgorithm::kCrc32, "DUoRhQ=="),
            std::string("\x0d\x4a\x11\x85"));
  EXPECT_FALSE(DecodeChecksumValue(ChecksumAlgorithm::kCrc32, "DUoRhQ"));        // no padding
  EXPECT_FALSE(DecodeChecksumValue(ChecksumAlgorithm::kCrc32, "DUoRhR=="));      // spare bits set
  EXPECT_FALSE(DecodeChecksumValue(ChecksumAlgorithm::kCrc32, "DUoRhQ=a"));      // junk
  EXPECT_FALSE(DecodeChecksumValue(ChecksumAlgorithm::kCrc32, "DUoR hQ="));      // space
  EXPECT_FALSE(DecodeChecksumValue(ChecksumAlgorithm::kCrc64Nvme, "DUoRhQ=="));  // too short
  EXPECT_FALSE(DecodeChecksumValue(ChecksumAlgorithm::kSha256, ""));
}

}  // namespace
}  // namespace ragd
