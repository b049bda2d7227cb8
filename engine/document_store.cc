#include "engine/document_store.h"

#include <nlohmann/json.hpp>

#include "core/crypto.h"

namespace ragd {
namespace {

constexpr const char* kColumns =
    "id, bot_id, filename, content_type, size, object_key, sha256, status, progress_done, "
    "progress_total, progress_unit, title, page_count, chunk_count, duplicate_of, error, tags, "
    "password IS NOT NULL AND password != '', created_at_ms, updated_at_ms";

Document ReadDocument(Statement& row) {
  Document d;
  d.id = row.Text(0);
  d.bot_id = row.Int(1);
  d.filename = row.Text(2);
  d.content_type = row.Text(3);
  d.size = row.Int(4);
  d.object_key = row.Text(5);
  d.sha256 = row.IsNull(6) ? "" : row.Text(6);
  d.status = row.Text(7);
  d.progress_done = row.Int(8);
  d.progress_total = row.Int(9);
  d.progress_unit = row.Text(10);
  d.title = row.Text(11);
  d.page_count = row.Int(12);
  d.chunk_count = row.Int(13);
  d.duplicate_of = row.IsNull(14) ? "" : row.Text(14);
  d.error = row.IsNull(15) ? "" : row.Text(15);
  nlohmann::json tags = nlohmann::json::parse(row.Text(16), nullptr, false);
  if (tags.is_array()) {
    for (const auto& t : tags) {
      if (t.is_string()) d.tags.push_back(t.get<std::string>());
    }
  }
  d.has_password = row.Int(17) != 0;
  d.created_at_ms = row.Int(18);
  d.updated_at_ms = row.Int(19);
  return d;
}

StatusOr<std::optional<Document>> SelectOne(Connection& conn, const std::string& where,
                                            std::string_view value) {
  RAGD_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(std::string("SELECT ") + kColumns +
                                                     " FROM documents WHERE " + where));
  stmt.Bind(1, value);
  RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<Document>();
  return std::optional<Document>(ReadDocument(stmt));
}

StatusOr<Document> MustGet(Connection& conn, const std::string& id) {
  RAGD_ASSIGN_OR_RETURN(std::optional<Document> doc, SelectOne(conn, "id = ?", id));
  if (!doc) return NotFoundError("no document " + id);
  return std::move(*doc);
}

Status InsertJob(Connection& conn, const std::string& id, int64_t now) {
  RAGD_ASSIGN_OR_RETURN(Statement job,
                        conn.Prepare("INSERT INTO ingest_jobs (document_id, state, created_at_ms) "
                                     "VALUES (?, 'queued', ?) ON CONFLICT(document_id) DO UPDATE "
                                     "SET state = 'queued', attempts = 0, not_before_ms = 0 "
                                     "WHERE ingest_jobs.state = 'queued'"));
  job.Bind(1, id).Bind(2, now);
  return job.Run();
}

}  // namespace

StatusOr<Document> DocumentStore::Create(const NewDocument& in) {
  Document d;
  d.id = "doc_" + RandomAlnum(24);
  d.bot_id = in.bot_id;
  d.filename = in.filename;
  d.content_type = in.content_type;
  d.size = in.size;
  d.object_key = "bots/" + in.bot_key + "/" + d.id;
  d.status = "pending_upload";
  d.tags = in.tags;
  d.has_password = !in.password.empty();
  d.created_at_ms = d.updated_at_ms = NowMs();
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("INSERT INTO documents (id, bot_id, filename, content_type, size, object_key, "
                     "status, password, tags, created_at_ms, updated_at_ms) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    stmt.Bind(1, d.id)
        .Bind(2, d.bot_id)
        .Bind(3, d.filename)
        .Bind(4, d.content_type)
        .Bind(5, d.size)
        .Bind(6, d.object_key)
        .Bind(7, d.status);
    if (in.password.empty()) {
      stmt.BindNull(8);
    } else {
      stmt.Bind(8, in.password);
    }
    stmt.Bind(9, nlohmann::json(in.tags).dump())
        .Bind(10, d.created_at_ms)
        .Bind(11, d.updated_at_ms);
    return stmt.Run();
  }));
  return d;
}

StatusOr<Document> DocumentStore::Get(const std::string& id) {
  std::optional<Document> doc;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(doc, SelectOne(conn, "id = ?", id));
    return OkStatus();
  }));
  if (!doc) return NotFoundError("no document " + id);
  return std::move(*doc);
}

StatusOr<std::optional<Document>> DocumentStore::FindByObjectKey(const std::string& key) {
  std::optional<Document> doc;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(doc, SelectOne(conn, "object_key = ?", key));
    return OkStatus();
  }));
  return doc;
}

StatusOr<std::vector<Document>> DocumentStore::List(int64_t bot_id, size_t limit,
                                                    const std::string& after_id) {
  std::vector<Document> docs;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare(std::string("SELECT ") + kColumns +
                     " FROM documents WHERE bot_id = ?1 AND (?2 = '' OR (created_at_ms, id) < "
                     "(SELECT created_at_ms, id FROM documents WHERE id = ?2)) "
                     "ORDER BY created_at_ms DESC, id DESC LIMIT ?3"));
    stmt.Bind(1, bot_id).Bind(2, after_id).Bind(3, static_cast<int64_t>(limit));
    while (true) {
      RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      docs.push_back(ReadDocument(stmt));
    }
    return OkStatus();
  }));
  return docs;
}

StatusOr<std::string> DocumentStore::Password(const std::string& id) {
  std::string password;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt, conn.Prepare("SELECT coalesce(password, '') FROM documents WHERE id = ?"));
    stmt.Bind(1, id);
    RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFoundError("no document " + id);
    password = stmt.Text(0);
    return OkStatus();
  }));
  return password;
}

StatusOr<Document> DocumentStore::MarkUploaded(const std::string& id, int64_t size,
                                               const std::string& sha256) {
  const int64_t now = NowMs();
  Document result;
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Document doc, MustGet(conn, id));
    if (doc.status != "pending_upload" && doc.status != "failed") {
      result = std::move(doc);  // a repeated notification
      return OkStatus();
    }
    RAGD_ASSIGN_OR_RETURN(
        Statement same,
        conn.Prepare("SELECT id FROM documents WHERE bot_id = ? AND sha256 = ? AND id != ? AND "
                     "duplicate_of IS NULL AND status NOT IN ('failed', 'pending_upload') "
                     "ORDER BY created_at_ms LIMIT 1"));
    same.Bind(1, doc.bot_id).Bind(2, sha256).Bind(3, id);
    // An unknown hash (S3: known only once ingestion reads the object) matches nothing.
    bool duplicate = false;
    if (!sha256.empty()) {
      RAGD_ASSIGN_OR_RETURN(duplicate, same.Step());
    }
    const std::string original = duplicate ? same.Text(0) : "";
    RAGD_ASSIGN_OR_RETURN(
        Statement update,
        conn.Prepare("UPDATE documents SET size = ?, sha256 = ?, status = ?, duplicate_of = ?, "
                     "error = NULL, progress_done = 0, progress_total = 0, updated_at_ms = ? "
                     "WHERE id = ?"));
    update.Bind(1, size);
    if (sha256.empty()) {
      update.BindNull(2);
    } else {
      update.Bind(2, sha256);
    }
    update.Bind(3, duplicate ? "indexed" : "queued");
    if (duplicate) {
      update.Bind(4, original);
    } else {
      update.BindNull(4);
    }
    update.Bind(5, now).Bind(6, id);
    RAGD_RETURN_IF_ERROR(update.Run());
    if (!duplicate) RAGD_RETURN_IF_ERROR(InsertJob(conn, id, now));
    RAGD_ASSIGN_OR_RETURN(result, MustGet(conn, id));
    return OkStatus();
  }));
  return result;
}

StatusOr<bool> DocumentStore::ResolveDuplicate(const std::string& id, const std::string& sha256) {
  bool duplicate = false;
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Document doc, MustGet(conn, id));
    RAGD_ASSIGN_OR_RETURN(
        Statement same,
        conn.Prepare("SELECT id FROM documents WHERE bot_id = ? AND sha256 = ? AND id != ? AND "
                     "duplicate_of IS NULL AND status NOT IN ('failed', 'pending_upload') AND "
                     "created_at_ms <= ? ORDER BY created_at_ms LIMIT 1"));
    same.Bind(1, doc.bot_id).Bind(2, sha256).Bind(3, id).Bind(4, doc.created_at_ms);
    RAGD_ASSIGN_OR_RETURN(duplicate, same.Step());
    const std::string original = duplicate ? same.Text(0) : "";
    RAGD_ASSIGN_OR_RETURN(bool more, same.Step());
    (void)more;
    RAGD_ASSIGN_OR_RETURN(
        Statement update,
        conn.Prepare("UPDATE documents SET sha256 = ?, updated_at_ms = ? WHERE id = ?"));
    update.Bind(1, sha256).Bind(2, NowMs()).Bind(3, id);
    RAGD_RETURN_IF_ERROR(update.Run());
    if (!duplicate) return OkStatus();
    RAGD_ASSIGN_OR_RETURN(Statement dup,
                          conn.Prepare("UPDATE documents SET status = 'indexed', duplicate_of = ? "
                                       "WHERE id = ?"));
    dup.Bind(1, original).Bind(2, id);
    RAGD_RETURN_IF_ERROR(dup.Run());
    RAGD_ASSIGN_OR_RETURN(Statement job,
                          conn.Prepare("DELETE FROM ingest_jobs WHERE document_id = ?"));
    job.Bind(1, id);
    return job.Run();
  }));
  return duplicate;
}

Status DocumentStore::Requeue(const std::string& id) {
  const int64_t now = NowMs();
  return db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Document doc, MustGet(conn, id));
    if (doc.status == "pending_upload") {
      return FailedPreconditionError("document " + id + " has not been uploaded yet");
    }
    if (!doc.duplicate_of.empty()) return OkStatus();
    RAGD_ASSIGN_OR_RETURN(Statement update,
                          conn.Prepare("UPDATE documents SET status = 'queued', error = NULL, "
                                       "updated_at_ms = ? WHERE id = ?"));
    update.Bind(1, now).Bind(2, id);
    RAGD_RETURN_IF_ERROR(update.Run());
    return InsertJob(conn, id, now);
  });
}

Status DocumentStore::SetStage(const std::string& id, std::string_view status, int64_t done,
                               int64_t total, std::string_view unit) {
  return db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement stmt,
                          conn.Prepare("UPDATE documents SET status = ?, progress_done = ?, "
                                       "progress_total = ?, progress_unit = ?, updated_at_ms = ? "
                                       "WHERE id = ?"));
    stmt.Bind(1, status).Bind(2, done).Bind(3, total).Bind(4, unit).Bind(5, NowMs()).Bind(6, id);
    return stmt.Run();
  });
}

Status DocumentStore::Fail(const std::string& id, const std::string& message) {
  return db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement stmt,
                          conn.Prepare("UPDATE documents SET status = 'failed', error = ?, "
                                       "updated_at_ms = ? WHERE id = ?"));
    stmt.Bind(1, message).Bind(2, NowMs()).Bind(3, id);
    RAGD_RETURN_IF_ERROR(stmt.Run());
    RAGD_ASSIGN_OR_RETURN(Statement job,
                          conn.Prepare("DELETE FROM ingest_jobs WHERE document_id = ?"));
    job.Bind(1, id);
    return job.Run();
  });
}

StatusOr<std::optional<IngestJob>> DocumentStore::ClaimJob() {
  std::optional<IngestJob> job;
  const int64_t now = NowMs();
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("UPDATE ingest_jobs SET state = 'running', attempts = attempts + 1 "
                     "WHERE id = (SELECT id FROM ingest_jobs WHERE state = 'queued' AND "
                     "not_before_ms <= ? ORDER BY not_before_ms, id LIMIT 1) "
                     "RETURNING id, document_id, attempts"));
    stmt.Bind(1, now);
    RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) job = IngestJob{stmt.Int(0), stmt.Text(1), static_cast<int>(stmt.Int(2))};
    while (row) {
      RAGD_ASSIGN_OR_RETURN(row, stmt.Step());  // finish the statement before committing
    }
    return OkStatus();
  }));
  return job;
}

Status DocumentStore::RetryJob(const IngestJob& job, const std::string& error, int64_t delay_ms) {
  return db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement stmt,
                          conn.Prepare("UPDATE ingest_jobs SET state = 'queued', last_error = ?, "
                                       "not_before_ms = ? WHERE id = ?"));
    stmt.Bind(1, error).Bind(2, NowMs() + delay_ms).Bind(3, job.id);
    RAGD_RETURN_IF_ERROR(stmt.Run());
    RAGD_ASSIGN_OR_RETURN(Statement doc,
                          conn.Prepare("UPDATE documents SET status = CASE status WHEN "
                                       "'embedding' THEN 'embedding' ELSE 'queued' END, error = ?, "
                                       "updated_at_ms = ? WHERE id = ?"));
    doc.Bind(1, "retrying: " + error).Bind(2, NowMs()).Bind(3, job.document_id);
    return doc.Run();
  });
}

StatusOr<int64_t> DocumentStore::RequeueInterruptedJobs() {
  int64_t count = 0;
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_RETURN_IF_ERROR(
        conn.Exec("UPDATE ingest_jobs SET state = 'queued' WHERE state = 'running'"));
    count = conn.Changes();
    return OkStatus();
  }));
  return count;
}

StatusOr<std::optional<int64_t>> DocumentStore::NextJobDelayMs() {
  std::optional<int64_t> delay;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("SELECT min(not_before_ms) FROM ingest_jobs WHERE state = 'queued'"));
    RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row && !stmt.IsNull(0)) delay = std::max<int64_t>(0, stmt.Int(0) - NowMs());
    return OkStatus();
  }));
  return delay;
}

}  // namespace ragd
