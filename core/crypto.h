// Hashing, MACs, randomness and constant-time comparison (OpenSSL underneath).
// All functions are thread-safe and take/return raw bytes in std::string unless named *Hex.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ragd {

std::string Sha256(std::string_view data);                            // 32 raw bytes
std::string Sha256Hex(std::string_view data);                         // 64 lower-case hex chars
std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string HexEncode(std::string_view bytes);                        // lower-case
std::string Base64Encode(std::string_view bytes);                     // standard alphabet, padded

// Cryptographically secure random bytes (RAND_bytes). Aborts if the CSPRNG fails, which only
// happens when the system has no entropy source at all.
std::string RandomBytes(size_t n);
// `n` random characters from [A-Za-z0-9] (unbiased).
std::string RandomAlnum(size_t n);

// Equality in time that depends only on the lengths, never on where the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Incremental SHA-256 for streamed bodies. Not thread-safe; one instance per stream.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view data);
  std::string FinishHex();  // the object must not be used afterwards

 private:
  void* ctx_;  // EVP_MD_CTX*, owned
};

}  // namespace ragd
