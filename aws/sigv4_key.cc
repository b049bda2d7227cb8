#include "aws/sigv4_key.h"

#include "core/crypto.h"

namespace ragd {

std::string DeriveSigV4SigningKey(std::string_view secret_access_key, std::string_view date,
                                  std::string_view region, std::string_view service) {
  std::string key = "AWS4";
  key.append(secret_access_key);
  key = HmacSha256(key, date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  return HmacSha256(key, "aws4_request");
}

SigV4KeyCache::SigV4KeyCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

std::string SigV4KeyCache::SigningKey(const AwsCredentials& credentials, std::string_view date,
                                      std::string_view region, std::string_view service) {
  // Fields are separated by '\n', which none of them may contain in a valid scope; the secret is
  // represented by its hash so the map never holds it in the clear.
  std::string cache_key = credentials.access_key_id;
  cache_key.push_back('\n');
  cache_key.append(Sha256(credentials.secret_access_key));
  cache_key.push_back('\n');
  cache_key.append(date);
  cache_key.push_back('\n');
  cache_key.append(region);
  cache_key.push_back('\n');
  cache_key.append(service);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = keys_.find(cache_key);
    if (it != keys_.end()) {
      ++hits_;
      return it->second;
    }
    ++misses_;
  }
  // Derive outside the lock; two threads racing on the same miss compute the same value.
  std::string key = DeriveSigV4SigningKey(credentials.secret_access_key, date, region, service);
  std::lock_guard<std::mutex> lock(mu_);
  if (keys_.emplace(cache_key, key).second) {
    insertion_order_.push_back(std::move(cache_key));
    while (insertion_order_.size() > capacity_) {
      keys_.erase(insertion_order_.front());
      insertion_order_.pop_front();
    }
  }
  return key;
}

size_t SigV4KeyCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.size();
}

uint64_t SigV4KeyCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

uint64_t SigV4KeyCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

void SigV4KeyCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  keys_.clear();
  insertion_order_.clear();
  hits_ = 0;
  misses_ = 0;
}

SigV4KeyCache& SigV4KeyCache::Global() {
  static SigV4KeyCache cache;
  return cache;
}

}  // namespace ragd
