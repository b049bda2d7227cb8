#include "engine/engine.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/crypto.h"
#include "core/log.h"
#include "engine/engine_internal.h"
#include "retrieval/lexical_index.h"

namespace ragd {

StatusOr<uint64_t> BumpGeneration(Connection& conn, int64_t bot_id) {
  RAGD_ASSIGN_OR_RETURN(Statement stmt,
                        conn.Prepare("UPDATE bots SET index_generation = index_generation + 1 "
                                     "WHERE id = ? RETURNING index_generation"));
  stmt.Bind(1, bot_id);
  RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFoundError("the bot was deleted");
  const uint64_t generation = static_cast<uint64_t>(stmt.Int(0));
  RAGD_ASSIGN_OR_RETURN(row, stmt.Step());
  return generation;
}

namespace {

StatusOr<std::vector<int64_t>> ChunkIdsOfDocument(Connection& conn, const std::string& doc_id) {
  std::vector<int64_t> ids;
  RAGD_ASSIGN_OR_RETURN(Statement stmt,
                        conn.Prepare("SELECT id FROM chunks WHERE document_id = ?"));
  stmt.Bind(1, doc_id);
  while (true) {
    RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ids.push_back(stmt.Int(0));
  }
  return ids;
}

}  // namespace

StatusOr<std::unique_ptr<Engine>> Engine::Create(const EngineOptions& options, Database& db,
                                                 Clock& clock, ObjectStore* objects,
                                                 UploadUrlIssuer* uploads) {
  std::unique_ptr<Engine> engine(new Engine());
  engine->in_ = std::make_unique<EngineInternals>(options, db, clock, objects, uploads);
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir / "indexes", ec);
  std::filesystem::create_directories(options.data_dir / "tmp", ec);
  if (ec) return InternalError("cannot create " + (options.data_dir / "indexes").string());
  // Staging files left by a crash (an upload being stored, a document being fetched for parsing)
  // belong to no one now: the caller owns the data directory (LockDataDir), and their documents'
  // jobs start over from the object store.
  for (const auto& entry : std::filesystem::directory_iterator(options.data_dir / "tmp", ec)) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".upload" || ext == ".ingest") std::filesystem::remove(entry.path(), ec);
  }
  IndexCacheOptions cache;
  cache.directory = options.data_dir / "indexes";
  cache.memory_budget_bytes = options.index_memory_budget;
  RAGD_ASSIGN_OR_RETURN(engine->in_->vectors, IndexCache::Open(cache));
  LexicalCacheOptions lexical;
  lexical.memory_budget_bytes = options.lexical_memory_budget;
  lexical.min_chunks = options.lexical_memory_min_chunks;
  engine->in_->lexical_memory = std::make_unique<LexicalCache>(lexical, db, engine->in_->lexical);
  return engine;
}

Engine::~Engine() { Stop(); }

BotStore& Engine::bots() { return in_->bots; }
DocumentStore& Engine::documents() { return in_->docs; }

Status Engine::Start() {
  Logger log;
  RAGD_ASSIGN_OR_RETURN(int64_t requeued, in_->docs.RequeueInterruptedJobs());
  if (requeued > 0) log.Info("resuming interrupted ingestion", {{"jobs", requeued}});
  // A bot whose embedder now resolves differently (e.g. the model files appeared) is re-embedded.
  RAGD_ASSIGN_OR_RETURN(std::vector<Bot> all, in_->bots.List(Caller{"", true}));
  for (const Bot& bot : all) {
    StatusOr<std::shared_ptr<Embedder>> embedder =
        in_->embedders.Get(bot.config.knowledge.embedder);
    if (!embedder.ok()) {
      log.Warn("bot embedder unavailable",
               {{"bot", bot.key}, {"error", embedder.status().message()}});
      continue;
    }
    if ((*embedder)->id() != bot.embedder_id) {
      log.Info("embedder changed; re-embedding",
               {{"bot", bot.key}, {"from", bot.embedder_id}, {"to", (*embedder)->id()}});
      RAGD_RETURN_IF_ERROR(UpdateBot(bot, bot.config).status());
    }
  }
  const int n = in_->options.ingest_workers > 0
                    ? in_->options.ingest_workers
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  {
    std::lock_guard lock(in_->mu);
    in_->stopping = false;
  }
  for (int i = 0; i < n; ++i) in_->threads.emplace_back([this] { in_->WorkerLoop(); });
  return OkStatus();
}

void Engine::Stop() {
  if (!in_) return;
  {
    std::lock_guard lock(in_->mu);
    in_->stopping = true;
  }
  in_->cv.notify_all();
  for (std::thread& t : in_->threads) t.join();
  in_->threads.clear();
  if (Status s = in_->vectors->Flush(); !s.ok()) {
    Logger().Error("cannot save vector indexes", {{"error", s.message()}});
  }
}

StatusOr<Bot> Engine::CreateBot(const std::string& key, const Caller& owner,
                                const BotConfig& config) {
  RAGD_RETURN_IF_ERROR(CheckBotKey(key));
  RAGD_RETURN_IF_ERROR(ValidateBotConfig(config));
  RAGD_ASSIGN_OR_RETURN(std::shared_ptr<Embedder> embedder,
                        in_->embedders.Get(config.knowledge.embedder));
  RAGD_ASSIGN_OR_RETURN(Bot bot, in_->bots.Create(key, owner, config, embedder->id()));
  // A stale index file of an earlier bot with this key must not be picked up.
  {
    std::lock_guard commit(in_->commit_mu);
    RAGD_RETURN_IF_ERROR(in_->DropVectors(bot));
  }
  RAGD_RETURN_IF_ERROR(
      in_->db.Write([&](Connection& conn) { return in_->lexical.EnsureBot(conn, bot.key); }));
  return bot;
}

StatusOr<Bot> Engine::UpdateBot(const Bot& bot, const BotConfig& config) {
  RAGD_RETURN_IF_ERROR(ValidateBotConfig(config));
  RAGD_ASSIGN_OR_RETURN(std::shared_ptr<Embedder> embedder,
                        in_->embedders.Get(config.knowledge.embedder));
  Bot updated = bot;
  updated.config = config;
  updated.embedder_id = embedder->id();
  if (updated.embedder_id == bot.embedder_id) {
    RAGD_RETURN_IF_ERROR(in_->bots.Update(updated));
    return in_->bots.GetById(bot.id);
  }
  // New embedder: the old vectors are useless. Every document with chunks is embedded again
  // (the chunks and their text stay; the embedding cache makes a switch back cheap).
  std::lock_guard commit(in_->commit_mu);
  uint64_t generation = 0;
  RAGD_RETURN_IF_ERROR(in_->db.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt, conn.Prepare("UPDATE bots SET config = ?, visibility = ?, embedder_id = ?, "
                                     "updated_at_ms = ? WHERE id = ?"));
    stmt.Bind(1, BotConfigToJson(config).dump())
        .Bind(2, config.visibility)
        .Bind(3, updated.embedder_id)
        .Bind(4, in_->docs.NowMs())
        .Bind(5, bot.id);
    RAGD_RETURN_IF_ERROR(stmt.Run());
    RAGD_ASSIGN_OR_RETURN(
        Statement docs,
        conn.Prepare(
            "UPDATE documents SET status = 'embedding', progress_done = 0 "
            "WHERE bot_id = ? AND duplicate_of IS NULL AND status IN ('indexed', 'embedding')"));
    docs.Bind(1, bot.id);
    RAGD_RETURN_IF_ERROR(docs.Run());
    RAGD_ASSIGN_OR_RETURN(
        Statement jobs,
        conn.Prepare(
            "INSERT INTO ingest_jobs (document_id, state, created_at_ms) "
            "SELECT id, 'queued', ? FROM documents WHERE bot_id = ? AND status = 'embedding' "
            "ON CONFLICT(document_id) DO UPDATE SET state = 'queued', not_before_ms = 0"));
    jobs.Bind(1, in_->docs.NowMs()).Bind(2, bot.id);
    RAGD_RETURN_IF_ERROR(jobs.Run());
    RAGD_ASSIGN_OR_RETURN(generation, BumpGeneration(conn, bot.id));
    return OkStatus();
  }));
  in_->lexical_memory->Apply(bot.key, generation, {}, {});  // chunk text unchanged
  RAGD_RETURN_IF_ERROR(in_->DropVectors(bot));
  in_->Wake();
  return in_->bots.GetById(bot.id);
}

Status Engine::DeleteBot(const Bot& bot) {
  std::vector<std::string> object_keys;
  {
    std::lock_guard commit(in_->commit_mu);
    RAGD_RETURN_IF_ERROR(in_->db.Write([&](Connection& conn) -> Status {
      RAGD_ASSIGN_OR_RETURN(Statement keys,
                            conn.Prepare("SELECT object_key FROM documents WHERE bot_id = ?"));
      keys.Bind(1, bot.id);
      while (true) {
        RAGD_ASSIGN_OR_RETURN(bool row, keys.Step());
        if (!row) break;
        object_keys.push_back(keys.Text(0));
      }
      RAGD_RETURN_IF_ERROR(in_->lexical.DropBot(conn, bot.key));
      RAGD_ASSIGN_OR_RETURN(Statement del, conn.Prepare("DELETE FROM bots WHERE id = ?"));
      del.Bind(1, bot.id);
      return del.Run();
    }));
    in_->lexical_memory->Drop(bot.key);
    RAGD_RETURN_IF_ERROR(in_->DropVectors(bot));
  }
  if (in_->objects != nullptr) {
    for (const std::string& key : object_keys) {
      StatusOr<bool> gone = in_->objects->Delete(in_->options.bucket, key);
      if (!gone.ok()) Logger().Warn("cannot delete object", {{"error", gone.status().message()}});
    }
  }
  return OkStatus();
}

StatusOr<BotStats> Engine::Stats(const Bot& bot) {
  BotStats stats;
  RAGD_RETURN_IF_ERROR(in_->db.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare(
            "SELECT count(*), coalesce(sum(status = 'indexed'), 0), "
            "(SELECT count(*) FROM chunks WHERE bot_id = ?1) FROM documents WHERE bot_id = ?1"));
    stmt.Bind(1, bot.id);
    RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) {
      stats.documents = stmt.Int(0);
      stats.indexed_documents = stmt.Int(1);
      stats.chunks = stmt.Int(2);
    }
    return OkStatus();
  }));
  RAGD_ASSIGN_OR_RETURN(std::shared_ptr<VectorIndex> index, in_->VectorsFor(bot));
  if (index) stats.vectors = index->size();
  stats.optimizing = (index && index->rebuilding()) || in_->lexical_memory->building(bot.key);
  stats.lexical_in_memory = in_->lexical_memory->resident(bot.key);
  return stats;
}

StatusOr<DocumentUpload> Engine::CreateDocument(const Bot& bot, NewDocument doc) {
  if (in_->uploads == nullptr) return FailedPreconditionError("uploads are not configured");
  if (doc.size > in_->options.max_document_bytes) {
    return TooLargeError("the file is " + std::to_string(doc.size) + " bytes; the limit is " +
                         std::to_string(in_->options.max_document_bytes));
  }
  doc.bot_id = bot.id;
  doc.bot_key = bot.key;
  DocumentUpload out;
  RAGD_ASSIGN_OR_RETURN(out.document, in_->docs.Create(doc));
  UploadUrlRequest request;
  request.key = out.document.object_key;
  request.content_type = doc.content_type;
  request.size = static_cast<uint64_t>(doc.size);
  RAGD_ASSIGN_OR_RETURN(out.upload, in_->uploads->Issue(request));
  return out;
}

StatusOr<Document> Engine::AddLocalFile(const Bot& bot, const std::filesystem::path& file,
                                        const std::string& content_type,
                                        const std::string& password) {
  if (in_->objects == nullptr) return FailedPreconditionError("no local object store");
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return NotFoundError("cannot read " + file.string() + ": " + ec.message());
  NewDocument doc;
  doc.bot_id = bot.id;
  doc.bot_key = bot.key;
  doc.filename = file.filename().string();
  doc.content_type = content_type;
  doc.password = password;
  doc.size = static_cast<int64_t>(size);
  if (doc.size > in_->options.max_document_bytes) {
    return TooLargeError(file.string() + " is " + std::to_string(doc.size) +
                         " bytes; the limit is " + std::to_string(in_->options.max_document_bytes));
  }
  RAGD_ASSIGN_OR_RETURN(Document created, in_->docs.Create(doc));
  // Copy into the store's temp area, then let the store take the copy over (PutFile moves it).
  const std::filesystem::path tmp = in_->options.data_dir / "tmp" / (created.id + ".upload");
  std::filesystem::copy_file(file, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return InternalError("cannot copy " + file.string() + ": " + ec.message());
  PutObjectOptions put;
  put.content_type = content_type;
  StatusOr<ObjectInfo> stored =
      in_->objects->PutFile(in_->options.bucket, created.object_key, tmp.string(), put);
  if (!stored.ok()) {
    std::filesystem::remove(tmp, ec);
    return stored.status();
  }
  RAGD_ASSIGN_OR_RETURN(
      Document queued,
      in_->docs.MarkUploaded(created.id, static_cast<int64_t>(stored->size), stored->sha256));
  in_->Wake();
  return queued;
}

StatusOr<std::optional<Document>> Engine::OnObjectStored(const std::string& key, int64_t size,
                                                         const std::string& sha256) {
  RAGD_ASSIGN_OR_RETURN(std::optional<Document> doc, in_->docs.FindByObjectKey(key));
  if (!doc) return doc;
  RAGD_ASSIGN_OR_RETURN(Document updated, in_->docs.MarkUploaded(doc->id, size, sha256));
  in_->Wake();
  return std::optional<Document>(std::move(updated));
}

StatusOr<Document> Engine::RequestIngest(const Document& doc) {
  if (in_->objects != nullptr) {
    StatusOr<ObjectInfo> head = in_->objects->Head(in_->options.bucket, doc.object_key);
    if (!head.ok()) {
      if (head.status().code() == StatusCode::kNotFound) {
        return FailedPreconditionError("document " + doc.id +
                                       " has not been uploaded yet (no object at its upload URL)");
      }
      return head.status();
    }
    if (doc.status == "pending_upload") {
      RAGD_ASSIGN_OR_RETURN(
          Document queued,
          in_->docs.MarkUploaded(doc.id, static_cast<int64_t>(head->size), head->sha256));
      in_->Wake();
      return queued;
    }
  } else if (doc.status == "pending_upload") {
    RAGD_ASSIGN_OR_RETURN(Document queued, in_->docs.MarkUploaded(doc.id, doc.size, ""));
    in_->Wake();
    return queued;
  }
  if (doc.status == "queued" || doc.status == "parsing" || doc.status == "embedding") return doc;
  RAGD_RETURN_IF_ERROR(in_->docs.Requeue(doc.id));
  in_->Wake();
  return in_->docs.Get(doc.id);
}

Status Engine::DeleteDocument(const Bot& bot, const Document& doc) {
  {
    std::lock_guard commit(in_->commit_mu);
    std::vector<int64_t> ids;
    uint64_t generation = 0;
    RAGD_RETURN_IF_ERROR(in_->db.Write([&](Connection& conn) -> Status {
      RAGD_ASSIGN_OR_RETURN(ids, ChunkIdsOfDocument(conn, doc.id));
      RAGD_RETURN_IF_ERROR(in_->lexical.Remove(conn, bot.key, ids).status());
      // Duplicates of this document lose their original: the first becomes the new original
      // and is ingested again.
      RAGD_ASSIGN_OR_RETURN(
          Statement dups,
          conn.Prepare("UPDATE documents SET duplicate_of = NULL, status = 'queued' "
                       "WHERE id = (SELECT id FROM documents WHERE duplicate_of = ?1 "
                       "ORDER BY created_at_ms LIMIT 1) RETURNING id"));
      dups.Bind(1, doc.id);
      RAGD_ASSIGN_OR_RETURN(bool promoted, dups.Step());
      const std::string heir = promoted ? dups.Text(0) : "";
      RAGD_ASSIGN_OR_RETURN(promoted, dups.Step());
      if (!heir.empty()) {
        RAGD_ASSIGN_OR_RETURN(
            Statement rest,
            conn.Prepare("UPDATE documents SET duplicate_of = ? WHERE duplicate_of = ?"));
        rest.Bind(1, heir).Bind(2, doc.id);
        RAGD_RETURN_IF_ERROR(rest.Run());
        RAGD_ASSIGN_OR_RETURN(Statement job,
                              conn.Prepare("INSERT OR IGNORE INTO ingest_jobs (document_id, state, "
                                           "created_at_ms) VALUES (?, 'queued', ?)"));
        job.Bind(1, heir).Bind(2, in_->docs.NowMs());
        RAGD_RETURN_IF_ERROR(job.Run());
      }
      RAGD_ASSIGN_OR_RETURN(Statement del, conn.Prepare("DELETE FROM documents WHERE id = ?"));
      del.Bind(1, doc.id);
      RAGD_RETURN_IF_ERROR(del.Run());
      RAGD_ASSIGN_OR_RETURN(generation, BumpGeneration(conn, bot.id));
      return OkStatus();
    }));
    in_->lexical_memory->Apply(bot.key, generation, ids, {});
    RAGD_ASSIGN_OR_RETURN(std::shared_ptr<VectorIndex> index, in_->VectorsForLocked(bot));
    if (index && index->generation() != generation) {
      RAGD_RETURN_IF_ERROR(index->Remove(ids).status());
      index->set_generation(generation);
    }
  }
  if (in_->objects != nullptr) {
    StatusOr<bool> gone = in_->objects->Delete(in_->options.bucket, doc.object_key);
    if (!gone.ok()) Logger().Warn("cannot delete object", {{"error", gone.status().message()}});
  }
  in_->Wake();
  return OkStatus();
}

bool Engine::WaitIdle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    StatusOr<std::optional<int64_t>> next = in_->docs.NextJobDelayMs();
    bool running = false;
    (void)in_->db.Read([&](Connection& conn) -> Status {
      RAGD_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare("SELECT count(*) FROM ingest_jobs"));
      RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
      running = row && stmt.Int(0) > 0;
      return OkStatus();
    });
    if (next.ok() && !running) return true;
    std::unique_lock lock(in_->mu);
    in_->idle_cv.wait_for(lock, std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace ragd
