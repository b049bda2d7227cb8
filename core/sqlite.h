// SQLite, the way ragd uses it: WAL journal, busy timeout, prepared statements cached per
// connection, explicit transactions, and versioned schema migrations applied at open.
//
// Concurrency model: a Database owns one writer connection (serialized by a mutex; every Write()
// is one BEGIN IMMEDIATE transaction) and a small pool of reader connections (WAL lets them read
// while the writer writes). Connection and Statement are not thread-safe; they are only reachable
// inside the Read()/Write() callbacks, which run on the calling thread.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace ragd {

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
struct DbDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

// A prepared statement borrowed from a connection's cache. On destruction it is reset and its
// bindings cleared, ready for reuse. Bind indexes are 1-based; column indexes are 0-based.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);

  // Advances; true when a row is available, false when done.
  StatusOr<bool> Step();
  // Steps to completion, ignoring rows (INSERT/UPDATE/DELETE).
  Status Run();

  bool IsNull(int col) const;
  int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  std::string Blob(int col) const;

 private:
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens (creating if needed) `path` in WAL mode with the given busy timeout.
  static StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, int busy_timeout_ms,
                                                    bool read_only);

  // Runs one or more SQL statements without parameters.
  Status Exec(std::string_view sql);
  // Prepares `sql` once per connection and hands out the cached statement.
  StatusOr<Statement> Prepare(const std::string& sql);

  int64_t LastInsertRowId() const;
  int64_t Changes() const;
  sqlite3* raw() const { return db_.get(); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, DbDeleter> db_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StmtDeleter>> cache_;
};

// Schema migrations, applied in version order. Version numbers start at 1 and have no gaps; each
// runs in its own transaction together with the bump of PRAGMA user_version.
struct Migration {
  int version;
  std::string description;
  std::string sql;
};

struct DatabaseOptions {
  int busy_timeout_ms = 5000;
  int reader_connections = 4;
};

class Database {
 public:
  // Opens the database, applies pending migrations, and refuses (kFailedPrecondition) a database
  // whose schema is newer than the newest migration this binary knows.
  static StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                  const std::vector<Migration>& migrations,
                                                  const DatabaseOptions& options = {});

  // Runs `fn` in one write transaction: committed if it returns OK, rolled back otherwise.
  Status Write(const std::function<Status(Connection&)>& fn);
  // Runs `fn` in a read transaction on a reader connection (a consistent snapshot).
  Status Read(const std::function<Status(Connection&)>& fn);

  int schema_version() const { return schema_version_; }
  const std::string& path() const { return path_; }

 private:
  Database() = default;

  std::string path_;
  int schema_version_ = 0;
  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by write_mu_
  std::mutex read_mu_;
  std::condition_variable read_cv_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;  // guarded by read_mu_
};

}  // namespace ragd
