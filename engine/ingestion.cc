// The ingestion pipeline run by the engine's workers: fetch -> parse -> chunk (commit) -> embed
// (commit per batch) -> index (commit, then the vector index).
//
// Every stage ends in one SQLite transaction, so a crash (kill -9) at any moment leaves either
// the state before the stage or after it. The job row is deleted in the same transaction that
// marks the document indexed; a restart re-queues running jobs and resumes at the last committed
// stage. The vector index is applied after its commit and reconciled with the database when it
// is loaded (generation numbers), so it cannot keep orphans or miss chunks.
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "core/crypto.h"
#include "core/log.h"
#include "engine/engine_internal.h"
#include "ingest/chunking/chunker.h"
#include "ingest/parsers/registry.h"
#include "retrieval/lexical_index.h"

namespace ragd {
namespace {

// Limits hit while parsing (pages, text size, zip bombs, the time limit) use ResourceExhausted or
// DeadlineExceeded too, but retrying cannot help them: only embedding-provider and storage
// outages are worth another attempt. Parse-stage failures are made permanent with this.
Status Permanent(const Status& s) {
  if (s.ok() || s.code() == StatusCode::kNotFound) return s;
  return Status(StatusCode::kFailedPrecondition, s.message(), s.kind());
}

bool Transient(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kResourceExhausted ||
         s.code() == StatusCode::kDeadlineExceeded || s.code() == StatusCode::kAborted;
}

// Copies the stored object to a private temp file (parsers want a path) and hashes it.
StatusOr<std::string> FetchObject(EngineInternals& in, const Document& doc,
                                  const std::filesystem::path& dest) {
  if (in.objects == nullptr) return FailedPreconditionError("no object store is configured");
  StatusOr<std::unique_ptr<ObjectReader>> reader =
      in.objects->Open(in.options.bucket, doc.object_key);
  if (!reader.ok()) {
    if (reader.status().code() == StatusCode::kNotFound) {
      return FailedPreconditionError("the uploaded file is missing from the object store");
    }
    return reader.status();
  }
  std::ofstream out(dest, std::ios::binary | std::ios::trunc);
  if (!out) return UnavailableError("cannot write " + dest.string());
  Sha256Stream sha;
  int64_t total = 0;
  while (true) {
    RAGD_ASSIGN_OR_RETURN(std::string piece, (*reader)->Read(1 << 20));
    if (piece.empty()) break;
    total += static_cast<int64_t>(piece.size());
    if (total > in.options.max_document_bytes) {
      return TooLargeError("the file is larger than the limit of " +
                           std::to_string(in.options.max_document_bytes) + " bytes");
    }
    sha.Update(piece);
    out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
  }
  out.close();
  if (!out) return UnavailableError("cannot write " + dest.string());
  return sha.FinishHex();
}

// Stage 1 commit: the document's chunks (replacing any from an earlier attempt) and its metadata.
Status CommitChunks(EngineInternals& in, const Document& doc, const ParsedDocument& parsed,
                    const ChunkSet& chunks) {
  return in.db.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement exists,
                          conn.Prepare("SELECT status FROM documents WHERE id = ?"));
    exists.Bind(1, doc.id);
    RAGD_ASSIGN_OR_RETURN(bool row, exists.Step());
    if (!row) return NotFoundError("document deleted during ingestion");
    RAGD_ASSIGN_OR_RETURN(bool more, exists.Step());
    (void)more;
    for (const char* sql : {"DELETE FROM chunks WHERE document_id = ?",
                            "DELETE FROM chunk_parents WHERE document_id = ?"}) {
      RAGD_ASSIGN_OR_RETURN(Statement del, conn.Prepare(sql));
      del.Bind(1, doc.id);
      RAGD_RETURN_IF_ERROR(del.Run());
    }
    std::vector<int64_t> parent_ids;
    for (const Chunk& p : chunks.parents) {
      RAGD_ASSIGN_OR_RETURN(
          Statement ins, conn.Prepare("INSERT INTO chunk_parents (document_id, text, page_start, "
                                      "page_end) VALUES (?, ?, ?, ?)"));
      ins.Bind(1, doc.id).Bind(2, p.text).Bind(3, p.page_start).Bind(4, p.page_end);
      RAGD_RETURN_IF_ERROR(ins.Run());
      parent_ids.push_back(conn.LastInsertRowId());
    }
    int seq = 0;
    for (const Chunk& c : chunks.chunks) {
      RAGD_ASSIGN_OR_RETURN(
          Statement ins,
          conn.Prepare(
              "INSERT INTO chunks (bot_id, document_id, seq, text, content_hash, page_start, "
              "page_end, heading_path, char_begin, char_end, token_count, parent_id) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      ins.Bind(1, doc.bot_id)
          .Bind(2, doc.id)
          .Bind(3, seq++)
          .Bind(4, c.text)
          .Bind(5, Sha256Hex(c.text))
          .Bind(6, c.page_start)
          .Bind(7, c.page_end)
          .Bind(8, nlohmann::json(c.heading_path).dump())
          .Bind(9, c.char_begin)
          .Bind(10, c.char_end)
          .Bind(11, c.token_count);
      if (c.parent >= 0 && static_cast<size_t>(c.parent) < parent_ids.size()) {
        ins.Bind(12, parent_ids[static_cast<size_t>(c.parent)]);
      } else {
        ins.BindNull(12);
      }
      RAGD_RETURN_IF_ERROR(ins.Run());
    }
    RAGD_ASSIGN_OR_RETURN(
        Statement upd,
        conn.Prepare(
            "UPDATE documents SET status = 'embedding', title = ?, page_count = ?, "
            "chunk_count = ?, progress_done = 0, progress_total = ?, progress_unit = 'chunks', "
            "updated_at_ms = ? WHERE id = ?"));
    const std::string title = parsed.title.empty() ? doc.filename : parsed.title;
    upd.Bind(1, title)
        .Bind(2, parsed.page_count)
        .Bind(3, static_cast<int64_t>(chunks.chunks.size()))
        .Bind(4, static_cast<int64_t>(chunks.chunks.size()))
        .Bind(5, in.docs.NowMs())
        .Bind(6, doc.id);
    return upd.Run();
  });
}

struct ChunkRef {
  int64_t id;
  std::string text;
  std::string hash;
  std::string headings;  // heading path joined by spaces (indexed with the title)
};

StatusOr<std::vector<ChunkRef>> LoadChunks(EngineInternals& in, const std::string& doc_id) {
  std::vector<ChunkRef> chunks;
  RAGD_RETURN_IF_ERROR(in.db.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement stmt,
                          conn.Prepare("SELECT id, text, content_hash, heading_path FROM chunks "
                                       "WHERE document_id = ? ORDER BY seq"));
    stmt.Bind(1, doc_id);
    while (true) {
      RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      std::string headings;
      nlohmann::json path = nlohmann::json::parse(stmt.Text(3), nullptr, false);
      if (path.is_array()) {
        for (const auto& h : path) {
          if (h.is_string()) headings += (headings.empty() ? "" : " ") + h.get<std::string>();
        }
      }
      chunks.push_back({stmt.Int(0), stmt.Text(1), stmt.Text(2), std::move(headings)});
    }
    return OkStatus();
  }));
  return chunks;
}

// Stage 2: embeds the chunks whose text is not in the embedding cache yet, one committed batch at a
// time (a crash loses at most the batch in flight).
Status EmbedChunks(EngineInternals& in, const Document& doc, Embedder& embedder,
                   const std::vector<ChunkRef>& chunks) {
  const std::string embedder_id = embedder.id();
  std::vector<const ChunkRef*> missing;
  std::set<std::string> seen;
  RAGD_RETURN_IF_ERROR(in.db.Read([&](Connection& conn) -> Status {
    for (const ChunkRef& c : chunks) {
      if (!seen.insert(c.hash).second) continue;
      RAGD_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare("SELECT 1 FROM embeddings WHERE "
                                                         "embedder_id = ? AND content_hash = ?"));
      stmt.Bind(1, embedder_id).Bind(2, c.hash);
      RAGD_ASSIGN_OR_RETURN(bool cached, stmt.Step());
      if (!cached) missing.push_back(&c);
    }
    return OkStatus();
  }));
  const int64_t total = static_cast<int64_t>(chunks.size());
  int64_t done = total - static_cast<int64_t>(missing.size());
  const size_t batch = static_cast<size_t>(std::max(1, embedder.max_batch()));
  for (size_t start = 0; start < missing.size(); start += batch) {
    const size_t n = std::min(batch, missing.size() - start);
    std::vector<std::string> texts;
    for (size_t i = 0; i < n; ++i) texts.push_back(missing[start + i]->text);
    RAGD_ASSIGN_OR_RETURN(std::vector<float> vectors,
                          embedder.Embed(texts, EmbedPurpose::kDocument));
    const size_t dim = n > 0 ? vectors.size() / n : 0;
    if (dim == 0 || vectors.size() != n * dim) {
      return InternalError("the embedder returned " + std::to_string(vectors.size()) +
                           " floats for " + std::to_string(n) + " texts");
    }
    done += static_cast<int64_t>(n);
    RAGD_RETURN_IF_ERROR(in.db.Write([&](Connection& conn) -> Status {
      for (size_t i = 0; i < n; ++i) {
        RAGD_ASSIGN_OR_RETURN(Statement ins,
                              conn.Prepare("INSERT OR IGNORE INTO embeddings (embedder_id, "
                                           "content_hash, vector) VALUES (?, ?, ?)"));
        ins.Bind(1, embedder_id)
            .Bind(2, missing[start + i]->hash)
            .BindBlob(3, std::string_view(reinterpret_cast<const char*>(vectors.data() + i * dim),
                                          dim * sizeof(float)));
        RAGD_RETURN_IF_ERROR(ins.Run());
      }
      RAGD_ASSIGN_OR_RETURN(Statement upd, conn.Prepare("UPDATE documents SET progress_done = ?, "
                                                        "updated_at_ms = ? WHERE id = ?"));
      upd.Bind(1, done).Bind(2, in.docs.NowMs()).Bind(3, doc.id);
      return upd.Run();
    }));
  }
  return OkStatus();
}

// Stage 3 commit: lexical rows, status indexed, job gone, generation bumped; then the vectors.
Status CommitIndexed(EngineInternals& in, const Bot& bot, const Document& doc,
                     const std::vector<ChunkRef>& chunks) {
  std::lock_guard commit(in.commit_mu);
  std::vector<int64_t> ids;
  for (const ChunkRef& c : chunks) ids.push_back(c.id);
  uint64_t generation = 0;
  std::vector<LexicalRow> rows;
  RAGD_RETURN_IF_ERROR(in.db.Write([&](Connection& conn) -> Status {
    rows.clear();
    RAGD_ASSIGN_OR_RETURN(Statement check,
                          conn.Prepare("SELECT title, tags FROM documents WHERE id = ? AND "
                                       "status = 'embedding'"));
    check.Bind(1, doc.id);
    RAGD_ASSIGN_OR_RETURN(bool row, check.Step());
    if (!row) return NotFoundError("document deleted during ingestion");
    const std::string title = check.Text(0);
    std::vector<std::string> tags;
    nlohmann::json t = nlohmann::json::parse(check.Text(1), nullptr, false);
    if (t.is_array()) {
      for (const auto& tag : t) {
        if (tag.is_string()) tags.push_back(tag.get<std::string>());
      }
    }
    RAGD_ASSIGN_OR_RETURN(row, check.Step());
    RAGD_RETURN_IF_ERROR(in.lexical.EnsureBot(conn, bot.key));
    RAGD_RETURN_IF_ERROR(in.lexical.Remove(conn, bot.key, ids).status());
    for (const ChunkRef& c : chunks) {
      LexicalRow r;
      r.chunk_id = c.id;
      r.text = c.text;
      r.title = c.headings.empty() ? title : title + " " + c.headings;
      r.document_id = doc.id;
      r.tags = tags;
      rows.push_back(std::move(r));
    }
    RAGD_RETURN_IF_ERROR(in.lexical.Add(conn, bot.key, rows));
    RAGD_ASSIGN_OR_RETURN(
        Statement upd,
        conn.Prepare("UPDATE documents SET status = 'indexed', progress_done = progress_total, "
                     "error = NULL, password = NULL, updated_at_ms = ? WHERE id = ?"));
    upd.Bind(1, in.docs.NowMs()).Bind(2, doc.id);
    RAGD_RETURN_IF_ERROR(upd.Run());
    RAGD_ASSIGN_OR_RETURN(Statement job,
                          conn.Prepare("DELETE FROM ingest_jobs WHERE document_id = ?"));
    job.Bind(1, doc.id);
    RAGD_RETURN_IF_ERROR(job.Run());
    RAGD_ASSIGN_OR_RETURN(generation, BumpGeneration(conn, bot.id));
    return OkStatus();
  }));
  in.lexical_memory->Apply(bot.key, generation, ids, rows);
  return in.ApplyVectors(bot, ids, generation);
}

// Parses the fetched file and commits its chunks (stage 1).
Status ParseAndChunk(EngineInternals& in, const Bot& bot, const Document& doc,
                     const std::filesystem::path& file) {
  RAGD_ASSIGN_OR_RETURN(const DocumentParser* parser, ParserFor(doc.content_type, doc.filename));
  ParseOptions options;
  RAGD_ASSIGN_OR_RETURN(options.password, in.docs.Password(doc.id));
  options.max_pages = in.options.max_pages;
  options.max_text_bytes = in.options.max_text_bytes;
  options.deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(in.options.document_time_limit_s);
  auto last = std::chrono::steady_clock::now();
  options.progress = [&](int64_t done, int64_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(500) && done < total) return;
    last = now;
    (void)in.docs.SetStage(doc.id, "parsing", done, total, "pages");
  };
  RAGD_RETURN_IF_ERROR(in.docs.SetStage(doc.id, "parsing", 0, 0, "pages"));
  RAGD_ASSIGN_OR_RETURN(ParsedDocument parsed, parser->Parse(file, options));
  RAGD_ASSIGN_OR_RETURN(ChunkSet chunks, ChunkDocument(parsed, bot.config.knowledge.chunking));
  if (chunks.chunks.empty()) return FailedPreconditionError("the document contains no text");
  return CommitChunks(in, doc, parsed, chunks);
}

Status RunJob(EngineInternals& in, const Document& doc) {
  RAGD_ASSIGN_OR_RETURN(Bot bot, in.bots.GetById(doc.bot_id));
  if (doc.status != "embedding") {
    const std::filesystem::path file = in.options.data_dir / "tmp" / (doc.id + ".ingest");
    struct Cleanup {
      std::filesystem::path path;
      ~Cleanup() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
      }
    } cleanup{file};
    StatusOr<std::string> fetched = FetchObject(in, doc, file);
    if (!fetched.ok()) {
      return fetched.status().code() == StatusCode::kUnavailable ? fetched.status()
                                                                 : Permanent(fetched.status());
    }
    const std::string sha256 = *fetched;
    if (doc.sha256.empty()) {  // arrived through S3: the hash is known only now
      RAGD_ASSIGN_OR_RETURN(bool duplicate, in.docs.ResolveDuplicate(doc.id, sha256));
      if (duplicate) return OkStatus();
    }
    RAGD_RETURN_IF_ERROR(Permanent(ParseAndChunk(in, bot, doc, file)));
  }
  RAGD_ASSIGN_OR_RETURN(std::shared_ptr<Embedder> embedder,
                        in.embedders.Get(bot.config.knowledge.embedder));
  RAGD_ASSIGN_OR_RETURN(std::vector<ChunkRef> chunks, LoadChunks(in, doc.id));
  RAGD_RETURN_IF_ERROR(EmbedChunks(in, doc, *embedder, chunks));
  return CommitIndexed(in, bot, doc, chunks);
}

}  // namespace

void EngineInternals::ProcessJob(const IngestJob& job) {
  Logger log;
  StatusOr<Document> doc = docs.Get(job.document_id);
  if (!doc.ok()) return;  // deleted meanwhile (its job row went with it)
  const auto started = std::chrono::steady_clock::now();
  Status s = RunJob(*this, *doc);
  if (s.ok()) {
    log.Info("document indexed", {{"document_id", doc->id},
                                  {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - started)
                                             .count()}});
    return;
  }
  if (s.code() == StatusCode::kNotFound && !docs.Get(job.document_id).ok()) return;
  if (Transient(s) && job.attempts < options.max_attempts) {
    // Exponential backoff with full jitter: 1 s, 2 s, 4 s ... capped at 60 s.
    const int64_t cap = std::min<int64_t>(60'000, 1000LL << std::min(job.attempts - 1, 6));
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const int64_t delay = std::uniform_int_distribution<int64_t>(cap / 2, cap)(rng);
    log.Warn("ingestion will retry", {{"document_id", doc->id},
                                      {"attempt", job.attempts},
                                      {"delay_ms", delay},
                                      {"error", s.message()}});
    (void)docs.RetryJob(job, s.message(), delay);
    return;
  }
  log.Warn("ingestion failed", {{"document_id", doc->id}, {"error", s.message()}});
  (void)docs.Fail(doc->id, s.message());
}

void EngineInternals::WorkerLoop() {
  while (true) {
    uint64_t seen = 0;
    {
      std::lock_guard lock(mu);
      if (stopping) return;
      seen = wakeups;
      ++busy;
    }
    StatusOr<std::optional<IngestJob>> job = docs.ClaimJob();
    if (job.ok() && *job) ProcessJob(**job);
    std::unique_lock lock(mu);
    --busy;
    idle_cv.notify_all();
    if (job.ok() && *job) {
      unsaved = true;
      continue;
    }
    // Nothing runnable: sleep until woken, or until the next delayed job is due.
    auto wait = std::chrono::milliseconds(5000);
    if (unsaved && busy == 0) {
      // The queue ran dry: save what changed, so a restart rarely needs to reconcile. When the
      // queue keeps running dry (uploads trickling in one by one), saves are spaced to at least
      // 2 s and 10x the last save's cost; a crash in between only means reconciling on restart.
      using std::chrono::steady_clock;
      const auto spacing =
          std::max<steady_clock::duration>(std::chrono::seconds(2), 10 * last_flush_cost);
      const auto now = steady_clock::now();
      if (now - last_flush >= spacing) {
        unsaved = false;
        lock.unlock();
        if (Status s = vectors->Flush(); !s.ok()) {
          Logger().Warn("cannot save vector indexes", {{"error", s.message()}});
        }
        const auto done = steady_clock::now();
        lock.lock();
        last_flush = done;
        last_flush_cost = done - now;
      } else {
        wait = std::chrono::duration_cast<std::chrono::milliseconds>(spacing - (now - last_flush)) +
               std::chrono::milliseconds(1);
      }
    }
    lock.unlock();
    StatusOr<std::optional<int64_t>> next = docs.NextJobDelayMs();
    lock.lock();
    if (next.ok() && *next) {
      wait = std::min(wait, std::chrono::milliseconds(std::max<int64_t>(10, **next)));
    }
    cv.wait_for(lock, wait, [&] { return stopping || wakeups != seen; });
  }
}

}  // namespace ragd
