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
      {2, "settings",
       R"sql(
CREATE TABLE settings (
  name          TEXT PRIMARY KEY,          -- e.g. 'objects.access_key_id'
  value         TEXT NOT NULL,             -- may be a secret: never log or return it
  updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
      {3, "local object store",
       R"sql(
CREATE TABLE objects (
  bucket        TEXT NOT NULL,
  key           TEXT NOT NULL,             -- opaque UTF-8, never used as a path
  file_id       TEXT NOT NULL UNIQUE,      -- 32 hex digits: objects/<first 2>/<file_id>
  size          INTEGER NOT NULL,
  content_type  TEXT NOT NULL,
  sha256        TEXT NOT NULL,             -- lower-case hex
  etag          TEXT NOT NULL,             -- quoted hex MD5, as S3 reports it
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
)sql"},
  };
  return migrations;
}

}  // namespace ragd
