#include "retrieval/vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/index_io.h>
#include <faiss/utils/distances.h>
#include <fcntl.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <mutex>
#include <random>

#include "core/crypto.h"
#include "retrieval/hnsw_search.h"
#include "retrieval/vector_distance.h"

namespace ragd {
namespace {

constexpr int64_t kTombstone = -1;
constexpr char kMagic[8] = {'R', 'A', 'G', 'D', 'V', 'I', 'X', '1'};
constexpr char kTrailer[8] = {'R', 'A', 'G', 'D', 'V', 'E', 'N', 'D'};
constexpr uint32_t kFormatVersion = 1;
// Allow-lists up to this size are scored row by row instead of through Faiss.
constexpr size_t kBruteForceRows = 4096;

std::atomic<int> g_search_threads{1};

void ApplySearchThreads() {
  thread_local int applied = 0;
  const int want = g_search_threads.load();
  if (applied != want) {
    omp_set_num_threads(want);
    applied = want;
  }
}

Status FaissError(const std::exception& e, std::string_view what) {
  return InternalError(std::string(what) + ": " + e.what());
}

// Rows added to a fresh HNSW index per Faiss call, so a cancelled rebuild stops soon.
constexpr int64_t kBuildBatch = 16384;
// A rebuild replays logged writes off-lock until at most this many remain, then under the lock.
constexpr size_t kReplayUnderLock = 4096;
constexpr int kMaxReplayRounds = 8;

// Keeps the calling thread's OpenMP thread count for the duration of a build (0 = one per core).
class OmpThreadsScope {
 public:
  explicit OmpThreadsScope(int threads) : previous_(omp_get_max_threads()) {
    omp_set_num_threads(threads > 0 ? threads : std::max(1, omp_get_num_procs()));
  }
  ~OmpThreadsScope() { omp_set_num_threads(previous_); }

 private:
  int previous_;
};

struct FileCloser {
  void operator()(FILE* f) const {
    if (f != nullptr) fclose(f);
  }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

template <typename T>
bool WritePod(FILE* f, const T& v) {
  return fwrite(&v, sizeof(T), 1, f) == 1;
}
template <typename T>
bool ReadPod(FILE* f, T& v) {
  return fread(&v, sizeof(T), 1, f) == 1;
}

// Reads the header; leaves `f` positioned at the id table.
StatusOr<VectorIndexInfo> ReadHeader(FILE* f, const std::string& path, int64_t& ntotal) {
  char magic[8];
  uint32_t version = 0, dim = 0, id_len = 0;
  uint8_t kind = 0;
  VectorIndexInfo info;
  if (fread(magic, 1, 8, f) != 8 || memcmp(magic, kMagic, 8) != 0) {
    return DataLossError(path + " is not a ragd vector index");
  }
  if (!ReadPod(f, version) || !ReadPod(f, dim) || !ReadPod(f, info.generation) ||
      !ReadPod(f, info.count) || !ReadPod(f, ntotal) || !ReadPod(f, kind) || !ReadPod(f, id_len) ||
      id_len > 4096) {
    return DataLossError(path + ": truncated vector index header");
  }
  if (version != kFormatVersion) {
    return FailedPreconditionError(path + ": unsupported vector index format " +
                                   std::to_string(version));
  }
  info.embedder_id.resize(id_len);
  if (fread(info.embedder_id.data(), 1, id_len, f) != id_len) {
    return DataLossError(path + ": truncated vector index header");
  }
  info.dim = static_cast<int>(dim);
  info.hnsw = kind == 1;
  if (info.dim <= 0 || ntotal < info.count || info.count < 0) {
    return DataLossError(path + ": inconsistent vector index header");
  }
  return info;
}

StatusOr<FilePtr> OpenForRead(const std::string& path) {
  FilePtr f(fopen(path.c_str(), "rb"));
  if (!f) {
    if (errno == ENOENT) return NotFoundError("no vector index at " + path);
    return UnavailableError("cannot open " + path + ": " + strerror(errno));
  }
  return f;
}

Status FsyncDir(const std::filesystem::path& dir) {
  const int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return UnavailableError("cannot open directory " + dir.string());
  const int rc = fsync(fd);
  close(fd);
  if (rc != 0) return UnavailableError("fsync of directory " + dir.string() + " failed");
  return OkStatus();
}

}  // namespace

VectorIndex::VectorIndex(std::string embedder_id, int dim, const VectorIndexOptions& options)
    : embedder_id_(std::move(embedder_id)), dim_(dim), options_(options) {}

VectorIndex::~VectorIndex() {
  cancel_ = true;
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
}

struct VectorIndex::Fresh {
  std::unique_ptr<faiss::Index> index;
  std::vector<int64_t> labels;
  std::unordered_map<int64_t, int64_t> pos;
  int64_t tombstones = 0;
};

StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Create(std::string_view embedder_id, int dim,
                                                           const VectorIndexOptions& options) {
  if (dim <= 0 || dim > 65536) return InvalidArgumentError("vector dim must be in 1..65536");
  if (embedder_id.empty() || embedder_id.size() > 4096) {
    return InvalidArgumentError("embedder id must be 1..4096 bytes");
  }
  std::unique_ptr<VectorIndex> index(new VectorIndex(std::string(embedder_id), dim, options));
  try {
    index->index_ = std::make_unique<FastFlatIP>(dim);
  } catch (const std::exception& e) {
    return FaissError(e, "creating vector index");
  }
  index->UpdateMemoryBytes();
  return index;
}

void VectorIndex::SetSearchThreads(int threads) { g_search_threads = std::max(1, threads); }

void VectorIndex::set_generation(uint64_t generation) {
  if (generation_.exchange(generation) != generation) ++version_;
}

const float* VectorIndex::Row(int64_t pos) const {
  const faiss::Index* storage =
      hnsw_ ? static_cast<const faiss::IndexHNSW*>(index_.get())->storage : index_.get();
  return static_cast<const faiss::IndexFlat*>(storage)->get_xb() + pos * dim_;
}

Status VectorIndex::AppendRows(std::span<const int64_t> ids, const float* rows, int64_t n) {
  const int64_t base = index_->ntotal;
  try {
    OmpThreadsScope threads(options_.build_threads);
    index_->add(n, rows);
  } catch (const std::exception& e) {
    return FaissError(e, "adding vectors");
  }
  labels_.insert(labels_.end(), ids.begin(), ids.begin() + n);
  for (int64_t i = 0; i < n; ++i) pos_[ids[i]] = base + i;
  return OkStatus();
}

void VectorIndex::RemoveAt(int64_t pos) {
  pos_.erase(labels_[pos]);
  if (hnsw_) {
    labels_[pos] = kTombstone;
    ++tombstones_;
    return;
  }
  // Flat: move the last row into the hole, so the index stays dense.
  auto* flat = static_cast<faiss::IndexFlat*>(index_.get());
  const int64_t last = flat->ntotal - 1;
  const size_t row_bytes = flat->code_size;
  if (pos != last) {
    memcpy(flat->codes.data() + pos * row_bytes, flat->codes.data() + last * row_bytes, row_bytes);
    labels_[pos] = labels_[last];
    pos_[labels_[pos]] = pos;
  }
  flat->codes.resize(last * row_bytes);
  flat->ntotal = last;
  labels_.pop_back();
}

Status VectorIndex::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  if (vectors.size() != ids.size() * static_cast<size_t>(dim_)) {
    return InvalidArgumentError("vector index add: expected ids.size() * " + std::to_string(dim_) +
                                " floats, got " + std::to_string(vectors.size()));
  }
  if (ids.empty()) return OkStatus();
  for (int64_t id : ids) {
    if (id < 0) return InvalidArgumentError("vector index add: chunk ids must be >= 0");
  }
  // Within one batch the last row of a repeated id wins.
  std::vector<int64_t> keep_ids;
  std::vector<float> keep_rows;
  const float* rows = vectors.data();
  std::unordered_map<int64_t, size_t> last_row;
  for (size_t i = 0; i < ids.size(); ++i) last_row[ids[i]] = i;
  if (last_row.size() != ids.size()) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (last_row[ids[i]] != i) continue;
      keep_ids.push_back(ids[i]);
      keep_rows.insert(keep_rows.end(), rows + i * dim_, rows + (i + 1) * dim_);
    }
    ids = keep_ids;
    rows = keep_rows.data();
  }

  std::lock_guard turn(turnstile_);  // new readers queue behind this writer
  std::unique_lock lock(mu_);
  for (int64_t id : ids) {
    auto it = pos_.find(id);
    if (it != pos_.end()) RemoveAt(it->second);
  }
  ++version_;
  Status s = AppendRows(ids, rows, static_cast<int64_t>(ids.size()));
  if (s.ok() && rebuilding_) {
    for (size_t i = 0; i < ids.size(); ++i) LogWriteLocked(ids[i], rows + i * dim_);
  }
  if (s.ok() && !rebuilding_ && !hnsw_ &&
      static_cast<int64_t>(pos_.size()) >= options_.hnsw_threshold) {
    s = StartRebuildLocked(/*force_hnsw=*/true);
  } else if (s.ok() && !rebuilding_ && hnsw_ &&
             tombstones_ > options_.max_tombstone_fraction * index_->ntotal) {
    s = StartRebuildLocked(/*force_hnsw=*/false);
  }
  UpdateMemoryBytes();
  return s;
}

StatusOr<int64_t> VectorIndex::Remove(std::span<const int64_t> ids) {
  std::lock_guard turn(turnstile_);  // new readers queue behind this writer
  std::unique_lock lock(mu_);
  int64_t removed = 0;
  for (int64_t id : ids) {
    auto it = pos_.find(id);
    if (it == pos_.end()) continue;
    RemoveAt(it->second);
    LogWriteLocked(id, nullptr);
    ++removed;
  }
  if (removed == 0) return removed;
  ++version_;
  Status s;
  if (!rebuilding_ && hnsw_ && tombstones_ > options_.max_tombstone_fraction * index_->ntotal) {
    s = StartRebuildLocked(/*force_hnsw=*/false);
  }
  UpdateMemoryBytes();
  if (!s.ok()) return s;
  return removed;
}

Status VectorIndex::Compact() {
  (void)WaitForRebuild();  // a failed earlier rebuild is retried below
  {
    std::lock_guard turn(turnstile_);  // new readers queue behind this writer
    std::unique_lock lock(mu_);
    if (tombstones_ == 0 || rebuilding_) return OkStatus();
    ++version_;
    Status s = StartRebuildLocked(/*force_hnsw=*/false);
    UpdateMemoryBytes();
    RAGD_RETURN_IF_ERROR(s);
  }
  return WaitForRebuild();
}

Status VectorIndex::WaitForRebuild() const {
  std::shared_lock lock(mu_);
  rebuild_cv_.wait(lock, [&] { return !rebuilding_; });
  return rebuild_status_;
}

bool VectorIndex::rebuilding() const {
  { std::lock_guard turn(turnstile_); }  // wait behind a queued writer
  std::shared_lock lock(mu_);
  return rebuilding_;
}

void VectorIndex::LogWriteLocked(int64_t id, const float* row) {
  if (!rebuilding_) return;
  op_ids_.push_back(id);
  op_adds_.push_back(row != nullptr ? 1 : 0);
  if (row != nullptr) op_rows_.insert(op_rows_.end(), row, row + dim_);
}

Status VectorIndex::StartRebuildLocked(bool force_hnsw) {
  if (rebuilding_) return OkStatus();
  const int64_t live = static_cast<int64_t>(pos_.size());
  std::vector<int64_t> ids;
  std::vector<float> rows;
  ids.reserve(live);
  rows.reserve(static_cast<size_t>(live) * dim_);
  for (int64_t pos = 0; pos < static_cast<int64_t>(labels_.size()); ++pos) {
    if (labels_[pos] == kTombstone) continue;
    ids.push_back(labels_[pos]);
    const float* row = Row(pos);
    rows.insert(rows.end(), row, row + dim_);
  }
  // Hysteresis: an HNSW index shrinks back to flat only well below the threshold.
  const bool use_hnsw = force_hnsw || live >= options_.hnsw_threshold ||
                        (hnsw_ && live >= options_.hnsw_threshold / 2);
  if (!use_hnsw) {  // a memcpy: done in the call
    std::unique_ptr<faiss::Index> fresh;
    try {
      fresh = std::make_unique<FastFlatIP>(dim_);
      fresh->add(live, rows.data());
    } catch (const std::exception& e) {
      return FaissError(e, "rebuilding vector index");
    }
    index_ = std::move(fresh);
    hnsw_ = false;
    labels_ = std::move(ids);
    pos_.clear();
    pos_.reserve(labels_.size());
    for (int64_t pos = 0; pos < live; ++pos) pos_[labels_[pos]] = pos;
    tombstones_ = 0;
    return OkStatus();
  }
  // The previous rebuild thread (if any) cleared rebuilding_ under mu_ as its last step.
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
  rebuilding_ = true;
  rebuild_status_ = OkStatus();
  op_ids_.clear();
  op_rows_.clear();
  op_adds_.clear();
  snapshot_bytes_ = rows.capacity() * sizeof(float) * 2 + ids.capacity() * sizeof(int64_t);
  try {
    rebuild_thread_ = std::thread(&VectorIndex::RunRebuild, this, std::move(ids), std::move(rows),
                                  ++rebuild_epoch_);
  } catch (const std::exception& e) {
    rebuilding_ = false;
    snapshot_bytes_ = 0;
    return UnavailableError(std::string("cannot start the vector index rebuild: ") + e.what());
  }
  return OkStatus();
}

Status VectorIndex::ApplyPending(Fresh& fresh, std::vector<int64_t>& op_ids,
                                 std::vector<float>& op_rows, std::vector<uint8_t>& op_adds) const {
  // Positions are assigned eagerly, so an id added twice in the log tombstones its first row even
  // before that row reaches Faiss (it is still added, as a tombstone, in the batch below).
  size_t row = 0;
  for (size_t i = 0; i < op_ids.size(); ++i) {
    const int64_t id = op_ids[i];
    if (auto it = fresh.pos.find(id); it != fresh.pos.end()) {
      fresh.labels[it->second] = kTombstone;
      ++fresh.tombstones;
      fresh.pos.erase(it);
    }
    if (op_adds[i] != 0) {
      fresh.pos[id] = static_cast<int64_t>(fresh.labels.size());
      fresh.labels.push_back(id);
      ++row;
    }
  }
  try {
    OmpThreadsScope threads(options_.build_threads);
    if (row > 0) fresh.index->add(static_cast<int64_t>(row), op_rows.data());
  } catch (const std::exception& e) {
    return FaissError(e, "rebuilding vector index");
  }
  op_ids.clear();
  op_rows.clear();
  op_adds.clear();
  return OkStatus();
}

void VectorIndex::RunRebuild(std::vector<int64_t> ids, std::vector<float> rows, uint64_t epoch) {
  Fresh fresh;
  Status s;
  try {
    fresh.index = NewFastHnswIP(dim_, options_.hnsw_m);
    auto* hnsw = static_cast<faiss::IndexHNSW*>(fresh.index.get());
    hnsw->hnsw.efConstruction = options_.hnsw_ef_construction;
    hnsw->hnsw.efSearch = options_.hnsw_ef_search;
    OmpThreadsScope threads(options_.build_threads);
    const int64_t n = static_cast<int64_t>(ids.size());
    for (int64_t at = 0; at < n && !cancel_; at += kBuildBatch) {
      fresh.index->add(std::min(kBuildBatch, n - at), rows.data() + at * dim_);
    }
  } catch (const std::exception& e) {
    s = FaissError(e, "building HNSW vector index");
  }
  if (s.ok() && options_.rebuild_pause_for_testing) options_.rebuild_pause_for_testing();
  if (cancel_) s = UnavailableError("vector index rebuild cancelled");
  std::vector<float>().swap(rows);
  fresh.labels = std::move(ids);
  fresh.pos.reserve(fresh.labels.size());
  for (int64_t pos = 0; pos < static_cast<int64_t>(fresh.labels.size()); ++pos) {
    fresh.pos[fresh.labels[pos]] = pos;
  }
  std::vector<int64_t> op_ids;
  std::vector<float> op_rows;
  std::vector<uint8_t> op_adds;
  for (int round = 0;; ++round) {
    {
      std::lock_guard turn(turnstile_);
      std::unique_lock lock(mu_);
      if (s.ok() && !cancel_ && op_ids_.size() > kReplayUnderLock && round < kMaxReplayRounds) {
        op_ids.swap(op_ids_);  // replay the bulk off-lock; writers keep logging
        op_rows.swap(op_rows_);
        op_adds.swap(op_adds_);
      } else {
        if (s.ok() && !cancel_) s = ApplyPending(fresh, op_ids_, op_rows_, op_adds_);
        if (s.ok() && !cancel_ && epoch == rebuild_epoch_) {
          index_ = std::move(fresh.index);
          hnsw_ = true;
          labels_ = std::move(fresh.labels);
          pos_ = std::move(fresh.pos);
          tombstones_ = fresh.tombstones;
          ++version_;  // the new structure is worth saving
        }
        rebuilding_ = false;
        rebuild_status_ = s;
        op_ids_.clear();
        op_rows_.clear();
        op_adds_.clear();
        snapshot_bytes_ = 0;
        UpdateMemoryBytes();
        rebuild_cv_.notify_all();
        return;
      }
    }
    s = ApplyPending(fresh, op_ids, op_rows, op_adds);
  }
}

std::vector<VectorHit> VectorIndex::BruteForce(const float* query, int k,
                                               const IdSet& allowed) const {
  std::vector<VectorHit> hits;
  hits.reserve(std::min(allowed.size(), pos_.size()));
  for (int64_t id : allowed) {
    auto it = pos_.find(id);
    if (it == pos_.end()) continue;
    hits.push_back({id, faiss::fvec_inner_product(query, Row(it->second), dim_)});
  }
  auto better = [](const VectorHit& a, const VectorHit& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  };
  const size_t keep = std::min(hits.size(), static_cast<size_t>(k));
  std::partial_sort(hits.begin(), hits.begin() + keep, hits.end(), better);
  hits.resize(keep);
  return hits;
}

std::vector<VectorHit> VectorIndex::FaissSearch(const float* query, int k,
                                                const IdSet* allowed) const {
  const int64_t ntotal = index_->ntotal;
  // Expected share of Faiss hits we can keep; over-fetch by its inverse (and a margin).
  double keep = 1.0 - static_cast<double>(tombstones_) / std::max<int64_t>(1, ntotal);
  if (allowed != nullptr) {
    keep *= std::min(1.0, static_cast<double>(allowed->size()) / std::max<size_t>(1, pos_.size()));
  }
  const bool exact = allowed == nullptr && tombstones_ == 0;
  int64_t fetch = exact ? k : static_cast<int64_t>(k / std::max(keep, 0.01) * 1.5) + 8;
  fetch = std::min(fetch, ntotal);
  std::vector<float> distances;
  std::vector<faiss::Index::idx_t> labels;
  std::vector<VectorHit> hits;
  while (true) {
    distances.resize(fetch);
    labels.resize(fetch);
    // HNSW uses the index's efSearch (set at build and load; faiss 1.7.3 ignores
    // SearchParametersHNSW, measured) and searches with max(efSearch, fetch).
    const auto* hnsw = hnsw_ ? static_cast<const faiss::IndexHNSW*>(index_.get()) : nullptr;
    if (hnsw == nullptr || !FastHnswSearch(*hnsw, query, fetch, distances.data(), labels.data())) {
      index_->search(1, query, fetch, distances.data(), labels.data());
    }
    hits.clear();
    for (int64_t i = 0; i < fetch && static_cast<int>(hits.size()) < k; ++i) {
      if (labels[i] < 0) continue;
      const int64_t id = labels_[labels[i]];
      if (id == kTombstone || (allowed != nullptr && !allowed->contains(id))) continue;
      hits.push_back({id, distances[i]});
    }
    if (static_cast<int>(hits.size()) >= k || fetch >= ntotal) return hits;
    fetch = std::min(ntotal, fetch * 4);
  }
}

StatusOr<std::vector<VectorHit>> VectorIndex::Search(std::span<const float> query, int k,
                                                     const IdSet* allowed) const {
  if (query.size() != static_cast<size_t>(dim_)) {
    return InvalidArgumentError("vector search: query has " + std::to_string(query.size()) +
                                " floats, the index has dim " + std::to_string(dim_));
  }
  if (k <= 0) return std::vector<VectorHit>();
  ApplySearchThreads();
  { std::lock_guard turn(turnstile_); }  // wait behind a queued writer
  std::shared_lock lock(mu_);
  const size_t live = pos_.size();
  if (live == 0 || (allowed != nullptr && allowed->empty())) return std::vector<VectorHit>();
  k = static_cast<int>(std::min<size_t>(k, live));
  if (allowed != nullptr && (allowed->size() <= kBruteForceRows || allowed->size() * 3 < live)) {
    return BruteForce(query.data(), k, *allowed);
  }
  try {
    return FaissSearch(query.data(), k, allowed);
  } catch (const std::exception& e) {
    return FaissError(e, "vector search");
  }
}

std::vector<int64_t> VectorIndex::Ids() const {
  { std::lock_guard turn(turnstile_); }  // wait behind a queued writer
  std::shared_lock lock(mu_);
  std::vector<int64_t> ids;
  ids.reserve(pos_.size());
  for (const auto& [id, pos] : pos_) ids.push_back(id);
  return ids;
}

bool VectorIndex::Contains(int64_t id) const {
  { std::lock_guard turn(turnstile_); }  // wait behind a queued writer
  std::shared_lock lock(mu_);
  return pos_.contains(id);
}

int64_t VectorIndex::size() const {
  { std::lock_guard turn(turnstile_); }  // wait behind a queued writer
  std::shared_lock lock(mu_);
  return static_cast<int64_t>(pos_.size());
}

bool VectorIndex::is_hnsw() const {
  { std::lock_guard turn(turnstile_); }  // wait behind a queued writer
  std::shared_lock lock(mu_);
  return hnsw_;
}

int64_t VectorIndex::tombstones() const {
  { std::lock_guard turn(turnstile_); }  // wait behind a queued writer
  std::shared_lock lock(mu_);
  return tombstones_;
}

void VectorIndex::UpdateMemoryBytes() {
  const size_t rows = static_cast<size_t>(index_->ntotal);
  size_t bytes = rows * dim_ * sizeof(float) + labels_.capacity() * sizeof(int64_t) +
                 pos_.size() * 32 + pos_.bucket_count() * sizeof(void*);
  if (hnsw_) {
    const auto* hnsw = static_cast<const faiss::IndexHNSW*>(index_.get());
    bytes += hnsw->hnsw.neighbors.size() * sizeof(faiss::HNSW::storage_idx_t) +
             hnsw->hnsw.offsets.size() * sizeof(size_t) + hnsw->hnsw.levels.size() * sizeof(int);
  }
  memory_bytes_ = bytes + snapshot_bytes_ + 512;
}

Status VectorIndex::Save(const std::string& path) const {
  { std::lock_guard turn(turnstile_); }  // wait behind a queued writer
  std::shared_lock lock(mu_);
  const uint64_t version = version_.load();
  RAGD_RETURN_IF_ERROR(SaveLocked(path));
  saved_version_ = version;
  return OkStatus();
}

Status VectorIndex::SaveLocked(const std::string& path) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::string tmp = path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(rng());
  FilePtr f(fopen(tmp.c_str(), "wb"));
  if (!f) return UnavailableError("cannot create " + tmp + ": " + strerror(errno));
  auto fail = [&](std::string_view why) {
    f.reset();
    std::remove(tmp.c_str());
    return UnavailableError("saving vector index " + path + ": " + std::string(why));
  };
  const uint32_t dim = static_cast<uint32_t>(dim_);
  const uint32_t id_len = static_cast<uint32_t>(embedder_id_.size());
  const int64_t count = static_cast<int64_t>(pos_.size());
  const int64_t ntotal = static_cast<int64_t>(labels_.size());
  const uint8_t kind = hnsw_ ? 1 : 0;
  bool ok = fwrite(kMagic, 1, 8, f.get()) == 8 && WritePod(f.get(), kFormatVersion) &&
            WritePod(f.get(), dim) && WritePod(f.get(), generation_.load()) &&
            WritePod(f.get(), count) && WritePod(f.get(), ntotal) && WritePod(f.get(), kind) &&
            WritePod(f.get(), id_len) &&
            fwrite(embedder_id_.data(), 1, id_len, f.get()) == id_len &&
            fwrite(labels_.data(), sizeof(int64_t), labels_.size(), f.get()) == labels_.size();
  if (!ok) return fail(strerror(errno));
  try {
    faiss::write_index(index_.get(), f.get());
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  if (fwrite(kTrailer, 1, 8, f.get()) != 8 || fflush(f.get()) != 0 || fsync(fileno(f.get())) != 0) {
    return fail(strerror(errno));
  }
  if (fclose(f.release()) != 0) return fail("close failed");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return fail(strerror(errno));
  return FsyncDir(std::filesystem::path(path).parent_path());
}

StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Load(const std::string& path,
                                                         const VectorIndexOptions& options) {
  RAGD_ASSIGN_OR_RETURN(FilePtr f, OpenForRead(path));
  int64_t ntotal = 0;
  RAGD_ASSIGN_OR_RETURN(VectorIndexInfo info, ReadHeader(f.get(), path, ntotal));
  std::unique_ptr<VectorIndex> index(new VectorIndex(info.embedder_id, info.dim, options));
  index->labels_.resize(ntotal);
  if (fread(index->labels_.data(), sizeof(int64_t), ntotal, f.get()) !=
      static_cast<size_t>(ntotal)) {
    return DataLossError(path + ": truncated id table");
  }
  try {
    index->index_.reset(faiss::read_index(f.get()));
  } catch (const std::exception& e) {
    return DataLossError(path + ": unreadable Faiss index: " + e.what());
  }
  char trailer[8];
  if (fread(trailer, 1, 8, f.get()) != 8 || memcmp(trailer, kTrailer, 8) != 0) {
    return DataLossError(path + ": truncated vector index (no trailer)");
  }
  const bool is_hnsw = dynamic_cast<faiss::IndexHNSW*>(index->index_.get()) != nullptr;
  if (index->index_->d != info.dim || index->index_->ntotal != ntotal || is_hnsw != info.hnsw ||
      (!is_hnsw && dynamic_cast<faiss::IndexFlatIP*>(index->index_.get()) == nullptr)) {
    return DataLossError(path + ": Faiss index does not match its header");
  }
  index->index_ = UseFastFlatStorage(std::move(index->index_));
  if (is_hnsw) {  // faiss 1.7.3 ignores SearchParametersHNSW: the index's own efSearch is used
    static_cast<faiss::IndexHNSW*>(index->index_.get())->hnsw.efSearch = options.hnsw_ef_search;
  }
  index->hnsw_ = is_hnsw;
  for (int64_t pos = 0; pos < ntotal; ++pos) {
    const int64_t id = index->labels_[pos];
    if (id == kTombstone) {
      ++index->tombstones_;
    } else if (!index->pos_.emplace(id, pos).second) {
      return DataLossError(path + ": duplicate chunk id in vector index");
    }
  }
  if (static_cast<int64_t>(index->pos_.size()) != info.count) {
    return DataLossError(path + ": live count does not match its header");
  }
  index->generation_ = info.generation;
  if (!is_hnsw && info.count >= options.hnsw_threshold) {  // e.g. saved during a rebuild
    std::unique_lock lock(index->mu_);
    RAGD_RETURN_IF_ERROR(index->StartRebuildLocked(/*force_hnsw=*/true));
  }
  index->UpdateMemoryBytes();
  return index;
}

StatusOr<VectorIndexInfo> ReadVectorIndexInfo(const std::string& path) {
  RAGD_ASSIGN_OR_RETURN(FilePtr f, OpenForRead(path));
  int64_t ntotal = 0;
  return ReadHeader(f.get(), path, ntotal);
}

Status ValidateBotKey(std::string_view bot_key) {
  if (bot_key.empty() || bot_key.size() > 64) {
    return InvalidArgumentError("bot key must be 1..64 characters");
  }
  for (char c : bot_key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return InvalidArgumentError("bot key may contain only a-z, 0-9, '_' and '-'");
    }
  }
  return OkStatus();
}

StatusOr<std::string> BotStorageName(std::string_view bot_key) {
  RAGD_RETURN_IF_ERROR(ValidateBotKey(bot_key));
  std::string name(bot_key.substr(0, 32));
  std::replace(name.begin(), name.end(), '-', '_');
  return name + "_" + Sha256Hex(bot_key).substr(0, 12);
}

}  // namespace ragd
