// Documents of a bot and their ingestion jobs: the documents and ingest_jobs tables.
//
// Life of a document: pending_upload (URL issued) -> queued (object arrived; a job row exists)
// -> parsing -> embedding -> indexed, or failed at any step with a message for the user. A
// document whose bytes equal an indexed document of the same bot becomes indexed at once with
// duplicate_of set and no chunks of its own.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/sqlite.h"
#include "core/status.h"

namespace ragd {

struct Document {
  std::string id;
  int64_t bot_id = 0;
  std::string filename;
  std::string content_type;
  int64_t size = 0;
  std::string object_key;
  std::string sha256;
  std::string status;
  int64_t progress_done = 0;
  int64_t progress_total = 0;
  std::string progress_unit;  // "pages", "bytes", "chunks"
  std::string title;
  int64_t page_count = 0;
  int64_t chunk_count = 0;
  std::string duplicate_of;
  std::string error;
  std::vector<std::string> tags;
  bool has_password = false;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

struct NewDocument {
  int64_t bot_id = 0;
  std::string bot_key;
  std::string filename;
  std::string content_type;
  int64_t size = 0;
  std::string password;
  std::vector<std::string> tags;
};

// One claimed ingestion job.
struct IngestJob {
  int64_t id = 0;
  std::string document_id;
  int attempts = 0;  // including this one
};

class DocumentStore {
 public:
  DocumentStore(Database& db, Clock& clock) : db_(db), clock_(clock) {}

  // A pending_upload document with a fresh id and object key "bots/<bot>/<id>".
  StatusOr<Document> Create(const NewDocument& doc);
  StatusOr<Document> Get(const std::string& id);
  StatusOr<std::optional<Document>> FindByObjectKey(const std::string& object_key);
  // Newest first; `after_id` continues a page (documents created before it).
  StatusOr<std::vector<Document>> List(int64_t bot_id, size_t limit, const std::string& after_id);
  // The PDF password given at creation (empty if none). Never logged or returned by the API.
  StatusOr<std::string> Password(const std::string& id);

  // The object arrived with this content: a duplicate of an indexed (or in-progress) document of
  // the same bot becomes indexed with duplicate_of; otherwise the document is queued and gets a
  // job, in one transaction. Calling it again for a queued/indexed document changes nothing
  // (S3 notifications may be delivered twice). Returns the updated document.
  StatusOr<Document> MarkUploaded(const std::string& id, int64_t size, const std::string& sha256);
  // For uploads whose hash was unknown on arrival (S3): records it; if an earlier document of the
  // bot has the same bytes, this one becomes its duplicate (indexed, job removed) and true is
  // returned.
  StatusOr<bool> ResolveDuplicate(const std::string& id, const std::string& sha256);
  // Re-queues a failed or indexed document (explicit POST .../ingest, embedder change).
  Status Requeue(const std::string& id);

  // Ingestion progress, visible to GET while the job runs.
  Status SetStage(const std::string& id, std::string_view status, int64_t done, int64_t total,
                  std::string_view unit);
  // Permanent failure: status failed with `message`, job removed.
  Status Fail(const std::string& id, const std::string& message);

  // Jobs. Claim takes the oldest runnable queued job (not_before passed), marks it running and
  // returns it; nullopt when there is none.
  StatusOr<std::optional<IngestJob>> ClaimJob();
  // Transient failure: back to queued, runnable again after `delay_ms`.
  Status RetryJob(const IngestJob& job, const std::string& error, int64_t delay_ms);
  // At start-up (one process owns the database): jobs left running by a crash are queued again.
  StatusOr<int64_t> RequeueInterruptedJobs();
  // Milliseconds until the next queued job becomes runnable; nullopt when no job is queued.
  StatusOr<std::optional<int64_t>> NextJobDelayMs();

  int64_t NowMs() const { return UnixMillis(clock_.Now()); }

 private:
  Database& db_;
  Clock& clock_;
};

}  // namespace ragd
