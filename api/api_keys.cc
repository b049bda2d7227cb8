#include "api/api_keys.h"

#include "core/crypto.h"

namespace ragd {
namespace {

constexpr std::string_view kPrefix = "rgd_";
constexpr size_t kIdLength = 12;
constexpr size_t kSecretLength = 32;
constexpr int64_t kLastUsedResolutionMs = 60'000;

Status ValidateName(std::string_view name) {
  if (name.empty() || name.size() > 100) {
    return UnprocessableError("name", "must be 1 to 100 characters");
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return UnprocessableError("name", "must not contain control characters");
    }
  }
  return OkStatus();
}

ApiKeyInfo RowToInfo(const Statement& st) {
  ApiKeyInfo info;
  info.id = st.Text(0);
  info.name = st.Text(1);
  info.role = ParseRole(st.Text(2)).value_or(Role::kUser);
  info.created_at_ms = st.Int(3);
  if (!st.IsNull(4)) info.revoked_at_ms = st.Int(4);
  if (!st.IsNull(5)) info.last_used_at_ms = st.Int(5);
  return info;
}

Status Insert(Connection& c, const ApiKeyInfo& info, std::string_view key) {
  RAGD_ASSIGN_OR_RETURN(Statement st,
                        c.Prepare("INSERT INTO api_keys (id, name, role, key_hash, created_at_ms) "
                                  "VALUES (?, ?, ?, ?, ?)"));
  st.Bind(1, info.id).Bind(2, info.name).Bind(3, RoleName(info.role)).Bind(4, Sha256Hex(key));
  st.Bind(5, info.created_at_ms);
  return st.Run();
}

// A fresh random key (not yet stored).
CreatedApiKey NewKey(std::string_view name, Role role, int64_t now_ms) {
  CreatedApiKey created;
  created.info.id = RandomAlnum(kIdLength);
  created.info.name = std::string(name);
  created.info.role = role;
  created.info.created_at_ms = now_ms;
  created.key = std::string(kPrefix) + created.info.id + "_" + RandomAlnum(kSecretLength);
  return created;
}

}  // namespace

std::string ApiKeyId(std::string_view key) {
  if (key.size() == kPrefix.size() + kIdLength + 1 + kSecretLength && key.substr(0, 4) == kPrefix &&
      key[kPrefix.size() + kIdLength] == '_') {
    return std::string(key.substr(kPrefix.size(), kIdLength));
  }
  return "ext" + Sha256Hex(key).substr(0, kIdLength);
}

StatusOr<CreatedApiKey> ApiKeyStore::Create(std::string_view name, Role role) {
  RAGD_RETURN_IF_ERROR(ValidateName(name));
  CreatedApiKey created = NewKey(name, role, UnixMillis(clock_.Now()));
  RAGD_RETURN_IF_ERROR(
      db_.Write([&](Connection& c) { return Insert(c, created.info, created.key); }));
  return created;
}

StatusOr<std::vector<ApiKeyInfo>> ApiKeyStore::List() {
  std::vector<ApiKeyInfo> keys;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement st, c.Prepare("SELECT id, name, role, created_at_ms, revoked_at_ms, "
                                "last_used_at_ms FROM api_keys ORDER BY created_at_ms DESC, id"));
    while (true) {
      RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return OkStatus();
      keys.push_back(RowToInfo(st));
    }
  }));
  return keys;
}

void ApiKeyStore::ForgetCached() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
  ++generation_;
}

Status ApiKeyStore::Revoke(std::string_view id) {
  // Forget after the commit, so no concurrent verification can re-cache the old row.
  Status s = db_.Write([&](Connection& c) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement st, c.Prepare("UPDATE api_keys SET revoked_at_ms = COALESCE(revoked_at_ms, ?) "
                                "WHERE id = ?"));
    st.Bind(1, UnixMillis(clock_.Now())).Bind(2, id);
    RAGD_RETURN_IF_ERROR(st.Run());
    if (c.Changes() == 0) return NotFoundError("no API key with id '" + std::string(id) + "'");
    return OkStatus();
  });
  ForgetCached();
  return s;
}

StatusOr<CreatedApiKey> ApiKeyStore::Rotate(std::string_view name, Role role) {
  RAGD_RETURN_IF_ERROR(ValidateName(name));
  CreatedApiKey created = NewKey(name, role, UnixMillis(clock_.Now()));
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement st, c.Prepare("UPDATE api_keys SET revoked_at_ms = ? "
                                                  "WHERE name = ? AND revoked_at_ms IS NULL"));
    st.Bind(1, created.info.created_at_ms).Bind(2, name);
    RAGD_RETURN_IF_ERROR(st.Run());
    return Insert(c, created.info, created.key);
  }));
  ForgetCached();
  return created;
}

Status ApiKeyStore::Ensure(std::string_view key, std::string_view name, Role role) {
  if (key.size() < 24) return InvalidArgumentError("API keys must be at least 24 characters");
  RAGD_RETURN_IF_ERROR(ValidateName(name));
  ApiKeyInfo info;
  info.id = ApiKeyId(key);
  info.name = std::string(name);
  info.role = role;
  info.created_at_ms = UnixMillis(clock_.Now());
  return db_.Write([&](Connection& c) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement st, c.Prepare("SELECT key_hash, role, revoked_at_ms FROM api_keys WHERE id = ?"));
    st.Bind(1, info.id);
    RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Insert(c, info, key);
    if (st.Text(1) != RoleName(role) || !st.IsNull(2)) {
      return FailedPreconditionError("the configured key exists with another role or was revoked");
    }
    return OkStatus();
  });
}

StatusOr<Principal> ApiKeyStore::Authenticate(std::string_view key) {
  const Status invalid = UnauthenticatedError("invalid or revoked API key");
  if (key.empty() || key.size() > 256) return invalid;
  const std::string id = ApiKeyId(key);
  const std::string presented_hash = Sha256Hex(key);
  const int64_t now = UnixMillis(clock_.Now());
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation = generation_;
    auto it = cache_.find(id);
    if (it != cache_.end() && it->second.expires_at_ms > now &&
        ConstantTimeEquals(it->second.key_hash, presented_hash)) {
      return it->second.principal;
    }
  }
  Principal principal;
  bool ok = false;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("SELECT key_hash, name, role, revoked_at_ms FROM api_keys WHERE id = ?"));
    st.Bind(1, id);
    RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return OkStatus();
    const bool hash_matches = ConstantTimeEquals(st.Text(0), presented_hash);
    ok = hash_matches && st.IsNull(3);
    principal.key_id = id;
    principal.name = st.Text(1);
    principal.role = ParseRole(st.Text(2)).value_or(Role::kUser);
    return OkStatus();
  }));
  if (!ok) return invalid;

  bool write_last_used = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cache_.size() > 10'000) cache_.clear();  // bounded; refilled on demand
    // A revocation that committed while we read must not be undone by caching the old row.
    if (generation == generation_) {
      cache_[id] = CachedKey{presented_hash, principal, now + kAuthCacheTtlMs};
    }
    int64_t& last = last_used_written_[id];
    if (now - last >= kLastUsedResolutionMs) {
      last = now;
      write_last_used = true;
    }
  }
  if (write_last_used) {
    // Best effort: failing to record the last use must not fail the request.
    (void)db_.Write([&](Connection& c) -> Status {
      RAGD_ASSIGN_OR_RETURN(Statement st,
                            c.Prepare("UPDATE api_keys SET last_used_at_ms = ? WHERE id = ?"));
      st.Bind(1, now).Bind(2, id);
      return st.Run();
    });
  }
  return principal;
}

}  // namespace ragd
