// VectorIndex: one bot's chunk vectors in Faiss, searchable by inner product (cosine on unit
// vectors).
//
// Layout: ragd keeps its own position -> chunk id table next to a bare Faiss index, so it controls
// deletes and filters instead of relying on what faiss 1.7.3's IndexIDMap supports.
//   - Flat (exact, IndexFlatIP) while the index holds fewer than `hnsw_threshold` vectors. A delete
//     moves the last row into the hole: O(dim), no tombstones.
//   - HNSW (IndexHNSWFlat) once an Add takes it past `hnsw_threshold`. The HNSW index is built
//     off-lock on a background thread from a snapshot of the rows, with `build_threads` OpenMP
//     threads, while the flat index keeps answering searches and taking writes; writes that arrive
//     meanwhile are logged and replayed into the new index (mostly off-lock, the last few under the
//     lock), then the new index is swapped in. faiss 1.7.3's HNSW cannot remove vectors, so a
//     delete marks the row as a tombstone; searches over-fetch (k + tombstones seen, growing 4x
//     until k live hits or the index is exhausted) and drop tombstones. When tombstones exceed
//     `max_tombstone_fraction` of the rows, the write that crosses it starts a compaction: the live
//     vectors are rebuilt the same way (in the background when the result is HNSW; in the call,
//     a memcpy, when it is flat again because fewer than hnsw_threshold / 2 remain).
//     While a rebuild runs, memory holds the old index, the snapshot and the new index.
//   - Distances use FastFlatIP (retrieval/vector_distance.h): Debian's Faiss computes inner
//     products with a scalar loop, ~10x slower than needed.
//   - An allowed-id filter is applied exactly: small allow-lists (or any list on a flat index below
//     kBruteForceRows) are scored by brute force over just those rows; larger ones over-fetch like
//     tombstones.
//
// Re-adding an existing id replaces its vector.
//
// Persistence: Save() writes "<path>.tmp.<unique>", fsyncs it, renames it over <path> and fsyncs
// the directory, so a crash leaves either the old or the new file (a leftover temp file is never
// read). The file starts with a header (embedder id, dim, live count, caller-supplied generation)
// readable without loading the vectors (ReadVectorIndexInfo), then the id table, then the Faiss
// index, then a trailer that detects truncation. The engine stores its own generation in the index
// (set_generation) after each committed batch; after a crash it compares the loaded generation with
// the database's and reconciles with Ids().
//
// Thread safety: all methods are thread-safe. Searches run concurrently (shared lock); Add, Remove
// and the final swap of a rebuild are exclusive (a rebuild's graph construction holds no lock).
// Save runs under the shared lock (searches continue, writes wait). Search uses one OpenMP thread
// on the calling thread (see SetSearchThreads): for one query a parallel region costs more than it
// saves, and ragd already runs one search per worker thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/status.h"

namespace faiss {
struct Index;
}

namespace ragd {

struct VectorIndexOptions {
  int64_t hnsw_threshold = 50000;  // vectors; at or past this an Add switches flat -> HNSW
  int hnsw_m = 32;                 // graph degree (level 0 has 2*M links)
  int hnsw_ef_construction = 80;
  // 128: recall@10 0.98 vs 0.954 at 96 on 20k clustered 512-d vectors, 0.5 ms (bench notes).
  int hnsw_ef_search = 128;             // at least k is used
  double max_tombstone_fraction = 0.2;  // HNSW only: compaction trigger
  // OpenMP threads for HNSW construction (background rebuilds and Adds to an HNSW index);
  // 0 = one per core.
  int build_threads = 0;
  // Tests only: runs on the rebuild thread after the graph is built from the snapshot and before
  // logged writes are replayed (lets a test write and search while a rebuild is in flight).
  std::function<void()> rebuild_pause_for_testing;
};

struct VectorHit {
  int64_t id = 0;
  float score = 0;  // inner product; cosine similarity for unit vectors, higher is better
};

// What a saved index file says about itself (header only; cheap).
struct VectorIndexInfo {
  std::string embedder_id;
  int dim = 0;
  int64_t count = 0;  // live vectors
  uint64_t generation = 0;
  bool hnsw = false;
};

using IdSet = std::unordered_set<int64_t>;

class VectorIndex {
 public:
  static StatusOr<std::unique_ptr<VectorIndex>> Create(std::string_view embedder_id, int dim,
                                                       const VectorIndexOptions& options = {});
  // NotFound when the file does not exist; DataLoss when it is truncated or not an index file.
  static StatusOr<std::unique_ptr<VectorIndex>> Load(const std::string& path,
                                                     const VectorIndexOptions& options = {});
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  // `vectors` holds ids.size() * dim() floats, row-major, row i for ids[i] (unit norm expected; not
  // checked). Ids already present are replaced. Duplicate ids within one call: the last row wins.
  Status Add(std::span<const int64_t> ids, std::span<const float> vectors);
  // Removes the ids that are present; returns how many were. Unknown ids are ignored.
  StatusOr<int64_t> Remove(std::span<const int64_t> ids);
  // `query` holds dim() floats. Returns up to k hits, best first. When `allowed` is non-null only
  // those ids can be returned (ids not in the index are ignored).
  StatusOr<std::vector<VectorHit>> Search(std::span<const float> query, int k,
                                          const IdSet* allowed = nullptr) const;
  // Rebuilds without tombstones and returns when done (no-op for flat indexes without tombstones).
  Status Compact();
  // Waits until no background rebuild is running; returns the last rebuild's error, if any (the
  // index then keeps its previous structure and the next qualifying write retries).
  Status WaitForRebuild() const;
  bool rebuilding() const;

  Status Save(const std::string& path) const;

  std::vector<int64_t> Ids() const;  // live ids, unordered
  bool Contains(int64_t id) const;
  int64_t size() const;  // live vectors
  int dim() const { return dim_; }
  const std::string& embedder_id() const { return embedder_id_; }
  bool is_hnsw() const;
  int64_t tombstones() const;
  // Approximate resident bytes (vectors, graph, id tables) as of the last change; lock-free, for
  // IndexCache's budget.
  size_t MemoryBytes() const { return memory_bytes_.load(); }

  // Caller-defined version of the data (see header comment); saved with the index.
  uint64_t generation() const { return generation_.load(); }
  void set_generation(uint64_t generation);
  // True when there are changes (or a generation bump) since the last Save/Load.
  bool dirty() const { return version_.load() != saved_version_.load(); }

  // OpenMP threads used by Search on the calling thread (default 1).
  static void SetSearchThreads(int threads);

 private:
  VectorIndex(std::string embedder_id, int dim, const VectorIndexOptions& options);

  // All private helpers expect mu_ held (exclusive for mutations).
  const float* Row(int64_t pos) const;
  Status AppendRows(std::span<const int64_t> ids, const float* rows, int64_t n);
  void RemoveAt(int64_t pos);
  // Starts a rebuild without tombstones: flat targets in the call, HNSW targets on rebuild_thread_.
  Status StartRebuildLocked(bool force_hnsw);
  void RunRebuild(std::vector<int64_t> ids, std::vector<float> rows, uint64_t epoch);
  // Grows the fresh index of a rebuild; no lock needed (the rebuild thread owns it).
  struct Fresh;
  Status ApplyPending(Fresh& fresh, std::vector<int64_t>& op_ids, std::vector<float>& op_rows,
                      std::vector<uint8_t>& op_adds) const;
  void LogWriteLocked(int64_t id, const float* row);
  Status SaveLocked(const std::string& path) const;
  void UpdateMemoryBytes();
  std::vector<VectorHit> BruteForce(const float* query, int k, const IdSet& allowed) const;
  std::vector<VectorHit> FaissSearch(const float* query, int k, const IdSet* allowed) const;

  const std::string embedder_id_;
  const int dim_;
  const VectorIndexOptions options_;

  mutable std::shared_mutex mu_;
  // glibc's rwlock prefers readers: back-to-back searches would starve Add/Remove forever. A
  // writer holds the turnstile while it waits for mu_, so searches arriving meanwhile wait too.
  mutable std::mutex turnstile_;
  std::unique_ptr<faiss::Index> index_;       // IndexFlatIP or IndexHNSWFlat; guarded by mu_
  bool hnsw_ = false;                         // guarded by mu_
  std::vector<int64_t> labels_;               // faiss position -> chunk id, kTombstone if deleted
  std::unordered_map<int64_t, int64_t> pos_;  // live chunk id -> faiss position
  int64_t tombstones_ = 0;

  // Background rebuild state; guarded by mu_. While rebuilding_, every write is also logged here
  // (op_rows_ holds dim floats per add, in order) for replay into the new index.
  bool rebuilding_ = false;
  uint64_t rebuild_epoch_ = 0;
  std::vector<int64_t> op_ids_;
  std::vector<float> op_rows_;
  std::vector<uint8_t> op_adds_;  // 1 = add (next dim floats of op_rows_), 0 = remove
  Status rebuild_status_;
  size_t snapshot_bytes_ = 0;
  mutable std::condition_variable_any rebuild_cv_;  // rebuilding_ became false
  std::thread rebuild_thread_;  // joined (under mu_) before the next start, and on destruction
  std::atomic<bool> cancel_{false};

  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> version_{0};  // bumped by every change
  mutable std::atomic<uint64_t> saved_version_{0};
  std::atomic<size_t> memory_bytes_{0};
};

// Reads only the header of a saved index. NotFound / DataLoss as for Load.
StatusOr<VectorIndexInfo> ReadVectorIndexInfo(const std::string& path);

// Bot keys are [a-z0-9_-]{1,64}. InvalidArgument otherwise.
Status ValidateBotKey(std::string_view bot_key);
// A name safe for SQL identifiers and file names, unique per bot key: a readable prefix of the key
// ('-' -> '_') plus 12 hex chars of its SHA-256 (so "a-b" and "a_b" differ). Shared by the index
// cache (file names) and the lexical index (table names) so a bot's artifacts carry one name.
StatusOr<std::string> BotStorageName(std::string_view bot_key);

}  // namespace ragd
