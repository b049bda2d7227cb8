// Engine's private state, shared by engine.cc (bots, documents), ingestion.cc (the job pipeline)
// and search.cc (retrieval). Not part of the engine's public surface.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/lexical_cache.h"
#include "retrieval/index_cache.h"
#include "retrieval/lexical_index.h"

namespace ragd {

struct EngineInternals {
  EngineInternals(const EngineOptions& o, Database& d, Clock& c, ObjectStore* obj,
                  UploadUrlIssuer* up)
      : options(o),
        db(d),
        clock(c),
        objects(obj),
        uploads(up),
        bots(d, c),
        docs(d, c),
        embedders(o.model_dir, o.remote, o.transport, o.credentials, c) {}

  const EngineOptions options;
  Database& db;
  Clock& clock;
  ObjectStore* objects;
  UploadUrlIssuer* uploads;
  BotStore bots;
  DocumentStore docs;
  EmbedderRegistry embedders;
  std::unique_ptr<IndexCache> vectors;
  LexicalIndex lexical;
  std::unique_ptr<LexicalCache> lexical_memory;  // in-memory BM25 for large bots

  // Serialises "commit to SQLite, then apply to the vector index" so the two stay in the same
  // order for every bot (a delete never overtakes the add it undoes).
  std::mutex commit_mu;

  // Ingestion workers.
  std::mutex mu;
  std::condition_variable cv;       // work arrived, or stopping
  std::condition_variable idle_cv;  // a job finished
  bool stopping = false;            // guarded by mu
  int busy = 0;                     // jobs being processed; guarded by mu
  uint64_t wakeups = 0;             // guarded by mu
  bool unsaved = false;             // indexes changed since the last flush; guarded by mu
  // When the indexes were last saved and how long that took; guarded by mu. Saves are spaced so
  // they take at most ~10% of the time (see WorkerLoop).
  std::chrono::steady_clock::time_point last_flush{};
  std::chrono::steady_clock::duration last_flush_cost{};
  std::vector<std::thread> threads;

  void Wake() {
    {
      std::lock_guard lock(mu);
      ++wakeups;
    }
    cv.notify_all();
  }
  void WorkerLoop();
  void ProcessJob(const IngestJob& job);

  // The bot's vector index, loaded (or rebuilt when its file is missing) and reconciled with the
  // database: exactly the chunks of its indexed documents. Null when the bot has no vectors yet.
  // VectorsForLocked expects commit_mu held.
  StatusOr<std::shared_ptr<VectorIndex>> VectorsFor(const Bot& bot);
  StatusOr<std::shared_ptr<VectorIndex>> VectorsForLocked(const Bot& bot);
  // Removes the bot's vector index from memory and disk. Expects commit_mu held.
  Status DropVectors(const Bot& bot);
  // After a commit that made `chunk_ids` indexed at `generation`: adds their vectors from the
  // embeddings table. Expects commit_mu held.
  Status ApplyVectors(const Bot& bot, const std::vector<int64_t>& chunk_ids, uint64_t generation);
  // Index objects already checked against the database since they were loaded (by bot key).
  std::map<std::string, std::weak_ptr<VectorIndex>> verified;  // guarded by commit_mu
};

// Bumps bots.index_generation inside a write transaction and returns the new value.
StatusOr<uint64_t> BumpGeneration(Connection& conn, int64_t bot_id);

}  // namespace ragd
