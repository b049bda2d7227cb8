// IndexCache: the per-bot vector indexes of one data directory, loaded lazily and kept within a
// memory budget so that thousands of bots fit.
//
// Files: <directory>/<BotStorageName(bot)>.faiss (see VectorIndex for the format and the atomic
// save). Open() removes temp files a crash left behind ("*.faiss.tmp.*"); they are never read.
//
// Memory: resident indexes are kept in LRU order; their VectorIndex::MemoryBytes() is re-read on
// every Get. When the total passes `memory_budget_bytes`, the least recently used indexes that no
// caller holds are evicted; a dirty one is saved first (outside the cache lock), so eviction never
// loses data. An index a caller holds (its shared_ptr) is pinned: it is never evicted mid-search,
// so the budget is soft while many indexes are in use. A Get for an index being evicted takes the
// same object back. If saving a victim fails it stays resident and the error is kept in
// last_error(). A victim whose flat -> HNSW rebuild is still running is saved as it stands (flat,
// complete) and its rebuild is cancelled; loading it again restarts the rebuild in the background.
// MemoryBytes() counts a running rebuild's snapshot and new index, so a rebuild can push others
// out.
//
// Thread safety: all methods are thread-safe. Loading a bot's file happens outside the cache lock;
// concurrent Gets of the same bot wait for one load.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "retrieval/vector_index.h"

namespace ragd {

struct IndexCacheOptions {
  std::filesystem::path directory;               // created if missing
  size_t memory_budget_bytes = size_t{2} << 30;  // 2 GiB
  VectorIndexOptions index_options;
};

class IndexCache {
 public:
  static StatusOr<std::unique_ptr<IndexCache>> Open(const IndexCacheOptions& options);
  ~IndexCache();

  // The bot's index: resident, loaded from its file, or a new empty one (not written until it is
  // saved). FailedPrecondition when the stored index was built with another embedder id or dim
  // (the caller must reindex: Drop, then Get). DataLoss for an unreadable file.
  StatusOr<std::shared_ptr<VectorIndex>> Get(std::string_view bot_key, std::string_view embedder_id,
                                             int dim);
  // The bot's index if it is resident or has a file; NotFound otherwise.
  StatusOr<std::shared_ptr<VectorIndex>> GetExisting(std::string_view bot_key);

  // Saves one bot's index if it is resident and dirty.
  Status Save(std::string_view bot_key);
  // Saves every dirty resident index; returns the first error after trying all.
  Status Flush();
  // Forgets the bot's index and deletes its file (bot deleted, or reindex with a new embedder).
  // Callers still holding the old index keep a detached object.
  Status Drop(std::string_view bot_key);

  std::filesystem::path PathFor(std::string_view bot_key) const;  // empty for an invalid key
  size_t resident_bytes() const;
  size_t resident_count() const;
  Status last_error() const;

 private:
  explicit IndexCache(const IndexCacheOptions& options) : options_(options) {}

  using LoadResult = StatusOr<std::shared_ptr<VectorIndex>>;
  struct Slot {
    std::shared_ptr<VectorIndex> index;
    size_t bytes = 0;
    std::list<std::string>::iterator lru;  // position in lru_ (front = most recent)
  };

  StatusOr<std::shared_ptr<VectorIndex>> GetImpl(std::string_view bot_key,
                                                 std::string_view embedder_id, int dim,
                                                 bool create);
  // Expects mu_ held. Records (or refreshes) the bot as most recently used.
  void TouchLocked(const std::string& name, std::shared_ptr<VectorIndex> index);
  // Expects mu_ held. Moves unpinned LRU victims over budget into evicting_ and returns them.
  std::vector<std::pair<std::string, std::shared_ptr<VectorIndex>>> PickVictimsLocked();
  void Evict(std::vector<std::pair<std::string, std::shared_ptr<VectorIndex>>> victims);

  const IndexCacheOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Slot> resident_;  // by storage name; guarded by mu_
  std::list<std::string> lru_;                      // guarded by mu_
  size_t resident_bytes_ = 0;                       // guarded by mu_
  std::unordered_map<std::string, std::shared_future<LoadResult>> loading_;  // guarded by mu_
  std::unordered_map<std::string, std::shared_ptr<VectorIndex>> evicting_;   // guarded by mu_
  Status last_error_;                                                        // guarded by mu_
  std::condition_variable evict_cv_;  // signalled when an eviction or a load finishes
};

}  // namespace ragd
