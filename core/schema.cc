#include "core/schema.h"

namespace ragd {

const std::vector<Migration>& RagdMigrations() {
  static const std::vector<Migration> migrations = {
      {1, "api keys",
       R"sql(
CREATE TABLE api_keys (
  id            TEXT PRIMARY KEY,          -- public part of the key, safe to show and log
  name          TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'user')),
  key_hash      TEXT NOT NULL,             -- hex SHA-256 of the whole key; the key itself is never stored
  created_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER,
  last_used_at_ms INTEGER
);
CREATE INDEX api_keys_by_name ON api_keys(name);
)sql"},
  };
  return migrations;
}

}  // namespace ragd
