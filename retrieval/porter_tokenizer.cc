#include "retrieval/porter_tokenizer.h"

#include <climits>

namespace ragd {

StatusOr<std::unique_ptr<PorterTokenizer>> PorterTokenizer::Create() {
  std::unique_ptr<PorterTokenizer> t(new PorterTokenizer());
  if (sqlite3_open_v2(":memory:", &t->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    return InternalError("cannot open an in-memory SQLite connection for the tokenizer");
  }
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(t->db_, "SELECT fts5(?1)", -1, &stmt, nullptr) != SQLITE_OK) {
    return InternalError("SQLite has no FTS5");
  }
  sqlite3_bind_pointer(stmt, 1, &api, "fts5_api_ptr", nullptr);
  sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (api == nullptr) return InternalError("SQLite has no FTS5");
  void* ctx = nullptr;
  const char* args[] = {"unicode61", "remove_diacritics", "2"};
  if (api->xFindTokenizer(api, "porter", &ctx, &t->api_) != SQLITE_OK ||
      t->api_.xCreate(ctx, args, 3, &t->instance_) != SQLITE_OK) {
    t->instance_ = nullptr;
    return InternalError("cannot create the FTS5 porter tokenizer");
  }
  return t;
}

PorterTokenizer::~PorterTokenizer() {
  if (instance_ != nullptr) api_.xDelete(instance_);
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status PorterTokenizer::Run(std::string_view text, bool query, void* ctx, Callback callback) {
  if (text.size() > static_cast<size_t>(INT_MAX)) return InvalidArgumentError("text too long");
  const int rc =
      api_.xTokenize(instance_, ctx, query ? FTS5_TOKENIZE_QUERY : FTS5_TOKENIZE_DOCUMENT,
                     text.data(), static_cast<int>(text.size()), callback);
  if (rc != SQLITE_OK)
    return InternalError("FTS5 tokenizer failed: " + std::string(sqlite3_errstr(rc)));
  return OkStatus();
}

}  // namespace ragd
