// LexicalCache: in-memory BM25 indexes (retrieval/lexical_memory.h) for the engine's large bots,
// kept equal to their FTS5 tables, which stay the source of truth.
//
// Consistency: every commit that changes a bot's indexed chunks bumps bots.index_generation by one
// (engine.cc, ingestion.cc) and then, still under the engine's commit_mu, calls Apply with what it
// changed. A memory index carries the generation it reflects; a search uses it only when that is
// the generation its own read snapshot sees (Find), and FTS5 otherwise. A missed or failed Apply
// leaves the index behind for good: it is dropped and rebuilt, never used stale.
//
// Building: Find queues a build for a bot with at least min_chunks rows; one background thread
// scans the bot's FTS5 rows in one read snapshot (generation G) and tokenizes them (4.3 s per
// 100k chunks on the benchmark machine), while Apply records the commits that land meanwhile; those
// after G are replayed before the index is published. Searches use FTS5 until then. An index that
// would push the total past memory_budget_bytes is not kept (the bot keeps using FTS5; logged
// once).
//
// Thread safety: all methods are thread-safe; Apply calls must come in commit order (commit_mu).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/sqlite.h"
#include "retrieval/lexical_index.h"
#include "retrieval/lexical_memory.h"

namespace ragd {

struct LexicalCacheOptions {
  int64_t min_chunks = 20000;  // smaller bots search FTS5 directly (fast enough there)
  size_t memory_budget_bytes = size_t{512} << 20;
};

class LexicalCache {
 public:
  LexicalCache(const LexicalCacheOptions& options, Database& db, const LexicalIndex& lexical);
  ~LexicalCache();  // stops the builder; a build in progress is abandoned
  LexicalCache(const LexicalCache&) = delete;
  LexicalCache& operator=(const LexicalCache&) = delete;

  // The bot's memory index if it reflects `generation` (as read in the caller's snapshot), else
  // null. When there is none and `rows()` (called only then) is at least min_chunks, a build is
  // queued.
  std::shared_ptr<const LexicalMemoryIndex> Find(int64_t bot_id, const std::string& bot_key,
                                                 uint64_t generation,
                                                 const std::function<int64_t()>& rows);

  // After a commit that took the bot to `generation` (from generation - 1) by removing
  // `removed` chunk ids and then adding `added` rows.
  void Apply(const std::string& bot_key, uint64_t generation, std::span<const int64_t> removed,
             std::span<const LexicalRow> added);
  // The bot is gone (or its index must be rebuilt from scratch).
  void Drop(const std::string& bot_key);

  // A build is queued or running for the bot.
  bool building(const std::string& bot_key) const;
  // The bot has a memory index (current, or about to be after an Apply in flight).
  bool resident(const std::string& bot_key) const;

 private:
  struct Delta {
    uint64_t generation = 0;
    std::vector<int64_t> removed;
    std::vector<LexicalRow> added;
  };
  struct Entry {
    int64_t bot_id = 0;
    uint64_t build_id = 0;                      // of the build queued last
    std::shared_ptr<LexicalMemoryIndex> index;  // null until built
    uint64_t generation = 0;                    // what `index` reflects
    size_t bytes = 0;
    bool building = false;
    bool over_budget = false;    // not rebuilt until Drop
    std::vector<Delta> pending;  // commits seen while building
  };

  struct Job {
    int64_t bot_id = 0;
    std::string bot_key;
    uint64_t build_id = 0;
  };

  void BuilderLoop();
  void Build(const Job& job);

  const LexicalCacheOptions options_;
  Database& db_;
  const LexicalIndex& lexical_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;  // by bot key; guarded by mu_
  std::deque<Job> queue_;                 // guarded by mu_
  uint64_t next_build_id_ = 0;            // guarded by mu_
  size_t resident_bytes_ = 0;             // guarded by mu_
  bool stopping_ = false;                 // guarded by mu_
  std::thread builder_;
};

}  // namespace ragd
