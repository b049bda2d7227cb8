// API keys: created with a role, shown once, stored only as a SHA-256 hash, revocable.
//
// Key format: "rgd_<id>_<secret>" where <id> (12 alphanumerics) is public and indexes the row,
// and <secret> is 32 random alphanumerics (~190 bits). Keys injected from configuration
// (auth.admin_key) may have any format; their id is derived from their hash.
// Verification looks the row up by id, then compares hashes in constant time.
//
// Successful verifications are cached in memory for kAuthCacheTtlMs so the hot path does no SQLite
// work; revocations made through this store clear the cache at once, revocations made by another
// process (`ragd keys revoke` while the server runs) take effect within that TTL.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/http.h"
#include "core/clock.h"
#include "core/sqlite.h"
#include "core/status.h"

namespace ragd {

struct ApiKeyInfo {
  std::string id;
  std::string name;
  Role role = Role::kUser;
  int64_t created_at_ms = 0;
  std::optional<int64_t> revoked_at_ms;
  std::optional<int64_t> last_used_at_ms;
};

struct CreatedApiKey {
  ApiKeyInfo info;
  std::string key;  // the whole key; this is the only time it is available
};

class ApiKeyStore {
 public:
  ApiKeyStore(Database& db, Clock& clock) : db_(db), clock_(clock) {}

  StatusOr<CreatedApiKey> Create(std::string_view name, Role role);
  // All keys, newest first, including revoked ones.
  StatusOr<std::vector<ApiKeyInfo>> List();
  // kNotFound for an unknown id; revoking twice is OK.
  Status Revoke(std::string_view id);
  // Revokes every active key called `name` and creates a fresh one (the demo admin key).
  StatusOr<CreatedApiKey> Rotate(std::string_view name, Role role);
  // Makes sure `key` (any format, >= 24 chars) is accepted with `role`.
  Status Ensure(std::string_view key, std::string_view name, Role role);
  // The principal for a presented key, or kUnauthenticated.
  StatusOr<Principal> Authenticate(std::string_view key);

 private:
  Database& db_;
  Clock& clock_;
  struct CachedKey {
    std::string key_hash;  // hex SHA-256 of the whole key
    Principal principal;
    int64_t expires_at_ms;
  };
  void ForgetCached();

  std::mutex mu_;
  std::unordered_map<std::string, int64_t> last_used_written_;  // id -> ms; guarded by mu_
  std::unordered_map<std::string, CachedKey> cache_;            // id -> entry; guarded by mu_
  uint64_t generation_ = 0;  // bumped by ForgetCached; guarded by mu_
};

inline constexpr int64_t kAuthCacheTtlMs = 1000;

// The id under which `key` is stored.
std::string ApiKeyId(std::string_view key);

}  // namespace ragd
