// AWS credentials and the SigV4 signing key derived from them.
//
// The signing key is HMAC(HMAC(HMAC(HMAC("AWS4" + secret, yyyymmdd), region), service),
// "aws4_request"): four HMACs that depend only on the credentials and the scope, so it is cached
// (the AWS SDKs do the same) and a busy process pays for it once per day, region and service.
//
// Secrets: nothing in this module logs, and no error message contains a secret or a derived key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ragd {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  // Temporary (STS) credentials only; empty for long-term keys. Sent as X-Amz-Security-Token.
  std::string session_token;
};

// The raw 32-byte signing key for the scope `date` (yyyymmdd) / `region` / `service`. Thread-safe.
std::string DeriveSigV4SigningKey(std::string_view secret_access_key, std::string_view date,
                                  std::string_view region, std::string_view service);

// A bounded cache of derived signing keys, keyed by (access key id, a SHA-256 of the secret, date,
// region, service), so rotated credentials never see a stale key. When full, the oldest entry is
// dropped (keys change daily, so a FIFO is as good as an LRU here).
//
// Thread safety: all methods may be called concurrently.
class SigV4KeyCache {
 public:
  explicit SigV4KeyCache(size_t capacity = 64);
  SigV4KeyCache(const SigV4KeyCache&) = delete;
  SigV4KeyCache& operator=(const SigV4KeyCache&) = delete;

  // The signing key for `credentials` and the scope; derived on a miss.
  std::string SigningKey(const AwsCredentials& credentials, std::string_view date,
                         std::string_view region, std::string_view service);

  size_t size() const;
  uint64_t hits() const;
  uint64_t misses() const;
  void Clear();

  // The process-wide cache used when a caller does not bring its own.
  static SigV4KeyCache& Global();

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> keys_;  // guarded by mu_
  std::deque<std::string> insertion_order_;            // guarded by mu_
  uint64_t hits_ = 0;                                  // guarded by mu_
  uint64_t misses_ = 0;                                // guarded by mu_
};

}  // namespace ragd
