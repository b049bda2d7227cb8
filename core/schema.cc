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
      {4, "bots, documents, chunks, ingestion jobs, embedding cache",
       R"sql(
CREATE TABLE bots (
  id            INTEGER PRIMARY KEY,
  key           TEXT NOT NULL UNIQUE,      -- the name in URLs: [a-z0-9][a-z0-9_-]{0,62}
  owner_key_id  TEXT NOT NULL,             -- api_keys.id of the creator
  visibility    TEXT NOT NULL CHECK (visibility IN ('private', 'shared')),
  config        TEXT NOT NULL,             -- JSON, engine/bot_config.h
  embedder_id   TEXT NOT NULL,             -- the embedder its vectors were made with
  index_generation INTEGER NOT NULL DEFAULT 0,  -- bumped by every committed vector change
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE TABLE documents (
  id            TEXT PRIMARY KEY,          -- doc_<24 alnum>
  bot_id        INTEGER NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  filename      TEXT NOT NULL,
  content_type  TEXT NOT NULL,
  size          INTEGER NOT NULL,          -- declared at creation, actual once uploaded
  object_key    TEXT NOT NULL,             -- in objects.bucket
  sha256        TEXT,                      -- set when the object arrived
  status        TEXT NOT NULL CHECK (status IN
                  ('pending_upload', 'queued', 'parsing', 'embedding', 'indexed', 'failed')),
  progress_done  INTEGER NOT NULL DEFAULT 0,
  progress_total INTEGER NOT NULL DEFAULT 0,
  progress_unit  TEXT NOT NULL DEFAULT '',
  title         TEXT NOT NULL DEFAULT '',
  page_count    INTEGER NOT NULL DEFAULT 0,
  chunk_count   INTEGER NOT NULL DEFAULT 0,
  duplicate_of  TEXT,                      -- same bytes as this (indexed) document: no chunks of its own
  error         TEXT,
  password      TEXT,                      -- PDF password supplied by the uploader; never returned or logged
  tags          TEXT NOT NULL DEFAULT '[]',-- JSON array of strings
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE INDEX documents_by_bot ON documents(bot_id, created_at_ms);
CREATE INDEX documents_by_sha ON documents(bot_id, sha256);
CREATE TABLE chunk_parents (
  id            INTEGER PRIMARY KEY,
  document_id   TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  text          TEXT NOT NULL,
  page_start    INTEGER NOT NULL,
  page_end      INTEGER NOT NULL
);
CREATE INDEX chunk_parents_by_document ON chunk_parents(document_id);
CREATE TABLE chunks (
  id            INTEGER PRIMARY KEY,       -- the id in the vector and lexical indexes
  bot_id        INTEGER NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  document_id   TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,          -- position in the document
  text          TEXT NOT NULL,
  content_hash  TEXT NOT NULL,             -- hex SHA-256 of text: the embedding cache key
  page_start    INTEGER NOT NULL,
  page_end      INTEGER NOT NULL,
  heading_path  TEXT NOT NULL,             -- JSON array
  char_begin    INTEGER NOT NULL,
  char_end      INTEGER NOT NULL,
  token_count   INTEGER NOT NULL,
  parent_id     INTEGER REFERENCES chunk_parents(id) ON DELETE SET NULL,
  UNIQUE (document_id, seq)
);
CREATE INDEX chunks_by_bot ON chunks(bot_id);
CREATE TABLE embeddings (
  embedder_id   TEXT NOT NULL,
  content_hash  TEXT NOT NULL,
  vector        BLOB NOT NULL,             -- dim float32, little-endian
  PRIMARY KEY (embedder_id, content_hash)
) WITHOUT ROWID;
CREATE TABLE ingest_jobs (
  id            INTEGER PRIMARY KEY,
  document_id   TEXT NOT NULL UNIQUE REFERENCES documents(id) ON DELETE CASCADE,
  state         TEXT NOT NULL CHECK (state IN ('queued', 'running')),
  attempts      INTEGER NOT NULL DEFAULT 0,
  not_before_ms INTEGER NOT NULL DEFAULT 0,  -- backoff after a transient failure
  last_error    TEXT,
  created_at_ms INTEGER NOT NULL
);
)sql"},
      {5, "conversations, messages, feedback, message search, usage records",
       R"sql(
CREATE TABLE conversations (
  id            TEXT PRIMARY KEY,          -- cnv_<24 alnum>
  bot_id        INTEGER NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  owner_key_id  TEXT NOT NULL,             -- api_keys.id; only this caller sees the conversation
  title         TEXT NOT NULL DEFAULT '',  -- '' until set or derived from the first user message
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL           -- last message or rename: the list order
);
CREATE INDEX conversations_by_owner ON conversations(owner_key_id, updated_at_ms, id);
CREATE INDEX conversations_by_bot ON conversations(bot_id);
CREATE TABLE messages (
  row_id        INTEGER PRIMARY KEY,       -- internal; the FTS rowid (stable across VACUUM)
  id            TEXT NOT NULL UNIQUE,      -- msg_<24 alnum>
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,          -- 1, 2, ... within the conversation
  role          TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  reply_to      TEXT,                      -- assistant: the user message it answers
  content       TEXT NOT NULL,             -- PII-redacted when the bot's guardrails say so
  status        TEXT NOT NULL CHECK (status IN ('complete', 'stopped', 'error', 'pending')),
  sources       TEXT NOT NULL DEFAULT '[]',-- JSON array of the passages given to the model
  provider      TEXT NOT NULL DEFAULT '',
  model         TEXT NOT NULL DEFAULT '',
  input_tokens  INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cost_nanousd  INTEGER NOT NULL DEFAULT 0,-- 1e-9 USD: integer so that sums are exact
  latency_ms    INTEGER NOT NULL DEFAULT 0,
  stop_reason   TEXT NOT NULL DEFAULT '',
  error         TEXT,
  notice        TEXT,                      -- e.g. answered by the extractive fallback
  feedback_rating   TEXT CHECK (feedback_rating IN ('up', 'down')),
  feedback_category TEXT,
  feedback_comment  TEXT,
  feedback_at_ms    INTEGER,
  created_at_ms INTEGER NOT NULL,
  UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_pending ON messages(status) WHERE status = 'pending';
-- Full-text search over message content (external content: the text lives once, in messages).
-- The triggers keep it in step inside the same transaction, cascade deletes included.
CREATE VIRTUAL TABLE messages_fts USING fts5(
  content, content='messages', content_rowid='row_id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, content) VALUES (new.row_id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.row_id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.row_id, old.content);
  INSERT INTO messages_fts(rowid, content) VALUES (new.row_id, new.content);
END;
-- One row per finished assistant message: the spend ledger behind usage reports. It has no
-- reference to the conversation, so deleting a conversation does not erase what it cost; it goes
-- with its bot.
CREATE TABLE usage_records (
  message_id    TEXT PRIMARY KEY,
  bot_id        INTEGER NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  owner_key_id  TEXT NOT NULL,
  provider      TEXT NOT NULL,
  model         TEXT NOT NULL,
  status        TEXT NOT NULL,             -- complete | stopped | error
  input_tokens  INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_nanousd  INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX usage_by_time ON usage_records(created_at_ms, bot_id, owner_key_id);
CREATE INDEX usage_by_bot ON usage_records(bot_id);
)sql"},
  };
  return migrations;
}

}  // namespace ragd
