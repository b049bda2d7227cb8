#include "ingest/object_credentials.h"

#include <optional>

#include "core/crypto.h"

namespace ragd {
namespace {

constexpr const char* kIdSetting = "objects.access_key_id";
constexpr const char* kSecretSetting = "objects.secret_access_key";

StatusOr<std::optional<std::string>> GetSetting(Connection& c, const char* name) {
  RAGD_ASSIGN_OR_RETURN(Statement st, c.Prepare("SELECT value FROM settings WHERE name = ?"));
  st.Bind(1, name);
  RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st.Text(0));
}

Status SetSetting(Connection& c, const char* name, const std::string& value, int64_t now_ms) {
  RAGD_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("INSERT OR REPLACE INTO settings (name, value, updated_at_ms) VALUES (?, ?, ?)"));
  st.Bind(1, name).Bind(2, value).Bind(3, now_ms);
  return st.Run();
}

}  // namespace

StatusOr<AwsCredentials> ResolveObjectCredentials(const Config& config, Database& db,
                                                  Clock& clock) {
  const bool has_id = !config.objects_access_key_id.empty();
  const bool has_secret = !config.objects_secret_access_key.empty();
  if (has_id != has_secret) {
    return InvalidArgumentError(
        "objects.access_key_id and objects.secret_access_key must be set together (or both left "
        "empty to use a generated pair)");
  }
  if (has_id) {
    return AwsCredentials{config.objects_access_key_id, config.objects_secret_access_key, ""};
  }
  AwsCredentials credentials;
  RAGD_RETURN_IF_ERROR(db.Write([&](Connection& c) -> Status {
    RAGD_ASSIGN_OR_RETURN(std::optional<std::string> id, GetSetting(c, kIdSetting));
    RAGD_ASSIGN_OR_RETURN(std::optional<std::string> secret, GetSetting(c, kSecretSetting));
    if (id && secret) {
      credentials = AwsCredentials{*id, *secret, ""};
      return OkStatus();
    }
    // Shaped like AWS keys: "RGD" + 17 upper-case letters/digits, a 40-character secret.
    std::string key_id = "RGD";
    for (char ch : RandomAlnum(17)) {
      key_id.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
    }
    credentials = AwsCredentials{key_id, RandomAlnum(40), ""};
    const int64_t now = UnixMillis(clock.Now());
    RAGD_RETURN_IF_ERROR(SetSetting(c, kIdSetting, credentials.access_key_id, now));
    return SetSetting(c, kSecretSetting, credentials.secret_access_key, now);
  }));
  return credentials;
}

}  // namespace ragd
