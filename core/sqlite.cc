#include "core/sqlite.h"

namespace ragd {
namespace {

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return UnavailableError(message);
  if (primary == SQLITE_CONSTRAINT) return AlreadyExistsError(message);
  if (primary == SQLITE_FULL) return ResourceExhaustedError(message);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return DataLossError(message);
  return InternalError(message);
}

}  // namespace

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Statement& Statement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

StatusOr<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(sqlite3_db_handle(stmt_), rc, "sqlite step");
}

Status Statement::Run() {
  while (true) {
    RAGD_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return OkStatus();
  }
}

bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::Double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(stmt_, col));
}
std::string Statement::Blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(stmt_, col));
}

StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path, int busy_timeout_ms,
                                                       bool read_only) {
  sqlite3* raw = nullptr;
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Connection> conn(new Connection(raw));  // owns raw even on failure
  if (rc != SQLITE_OK) return SqliteError(raw, rc, "cannot open database " + path);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  if (!read_only) {
    RAGD_RETURN_IF_ERROR(conn->Exec("PRAGMA journal_mode=WAL"));
    RAGD_RETURN_IF_ERROR(conn->Exec("PRAGMA synchronous=NORMAL"));
  }
  RAGD_RETURN_IF_ERROR(conn->Exec("PRAGMA foreign_keys=ON"));
  return conn;
}

Status Connection::Exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(db_.get(), rc, "sqlite exec");
    sqlite3_free(err);
    return s;
  }
  return OkStatus();
}

StatusOr<Statement> Connection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "sqlite prepare");
    it = cache_.emplace(sql, std::unique_ptr<sqlite3_stmt, StmtDeleter>(stmt)).first;
  }
  return Statement(it->second.get());
}

int64_t Connection::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_.get()); }
int64_t Connection::Changes() const { return sqlite3_changes64(db_.get()); }

StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                   const std::vector<Migration>& migrations,
                                                   const DatabaseOptions& options) {
  std::unique_ptr<Database> db(new Database());
  db->path_ = path;
  RAGD_ASSIGN_OR_RETURN(db->writer_, Connection::Open(path, options.busy_timeout_ms, false));
  Connection& w = *db->writer_;

  int current = 0;
  {
    RAGD_ASSIGN_OR_RETURN(Statement st, w.Prepare("PRAGMA user_version"));
    RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) current = static_cast<int>(st.Int(0));
  }
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (current > newest) {
    return FailedPreconditionError(
        "database " + path + " has schema version " + std::to_string(current) +
        ", newer than this ragd supports (" + std::to_string(newest) +
        "); it was written by a newer ragd: upgrade ragd or restore a backup");
  }
  for (size_t i = 0; i < migrations.size(); ++i) {
    const Migration& m = migrations[i];
    if (m.version != static_cast<int>(i) + 1) {
      return InternalError("migrations must be numbered 1..N without gaps");
    }
    if (m.version <= current) continue;
    RAGD_RETURN_IF_ERROR(w.Exec("BEGIN IMMEDIATE"));
    Status s = w.Exec(m.sql);
    if (s.ok()) s = w.Exec("PRAGMA user_version = " + std::to_string(m.version));
    if (s.ok()) s = w.Exec("COMMIT");
    if (!s.ok()) {
      (void)w.Exec("ROLLBACK");
      return s.WithContext("migration " + std::to_string(m.version) + " (" + m.description +
                           ") of " + path);
    }
    current = m.version;
  }
  db->schema_version_ = current;
  for (int i = 0; i < options.reader_connections; ++i) {
    RAGD_ASSIGN_OR_RETURN(auto reader, Connection::Open(path, options.busy_timeout_ms, true));
    db->idle_readers_.push_back(std::move(reader));
  }
  return db;
}

Status Database::Write(const std::function<Status(Connection&)>& fn) {
  std::lock_guard<std::mutex> lock(write_mu_);
  RAGD_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
  Status s = fn(*writer_);
  if (s.ok()) {
    s = writer_->Exec("COMMIT");
    if (s.ok()) return s;
  }
  (void)writer_->Exec("ROLLBACK");
  return s;
}

Status Database::Read(const std::function<Status(Connection&)>& fn) {
  std::unique_ptr<Connection> conn;
  {
    std::unique_lock<std::mutex> lock(read_mu_);
    read_cv_.wait(lock, [this] { return !idle_readers_.empty(); });
    conn = std::move(idle_readers_.back());
    idle_readers_.pop_back();
  }
  Status s = conn->Exec("BEGIN");
  if (s.ok()) {
    s = fn(*conn);
    (void)conn->Exec("COMMIT");
  }
  {
    std::lock_guard<std::mutex> lock(read_mu_);
    idle_readers_.push_back(std::move(conn));
  }
  read_cv_.notify_one();
  return s;
}

}  // namespace ragd
