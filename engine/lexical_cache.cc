#include "engine/lexical_cache.h"

#include "core/log.h"

namespace ragd {
namespace {

constexpr size_t kBuildBatch = 1024;  // rows tokenized per LexicalMemoryIndex::Add while building

// One commit's change: its removals, then its rows (which replace rows with the same ids).
Status ApplyChange(LexicalMemoryIndex& index, std::span<const int64_t> removed,
                   std::span<const LexicalRow> added) {
  if (!removed.empty()) index.Remove(removed);
  return added.empty() ? OkStatus() : index.Add(added);
}

}  // namespace

LexicalCache::LexicalCache(const LexicalCacheOptions& options, Database& db,
                           const LexicalIndex& lexical)
    : options_(options), db_(db), lexical_(lexical) {}

LexicalCache::~LexicalCache() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (builder_.joinable()) builder_.join();
}

std::shared_ptr<const LexicalMemoryIndex> LexicalCache::Find(int64_t bot_id,
                                                             const std::string& bot_key,
                                                             uint64_t generation,
                                                             const std::function<int64_t()>& rows) {
  if (options_.memory_budget_bytes == 0) return nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(bot_key);
    if (it != entries_.end() && it->second.bot_id == bot_id) {
      const Entry& e = it->second;
      if (e.index && e.generation == generation) return e.index;
      if (e.building || e.over_budget || e.index) return nullptr;  // index: an Apply in flight
    }
  }
  if (rows() < options_.min_chunks) return nullptr;
  std::lock_guard lock(mu_);
  if (stopping_) return nullptr;
  Entry& e = entries_[bot_key];
  if (e.bot_id != bot_id) {  // a new bot under a deleted one's key
    resident_bytes_ -= e.bytes;
    e = Entry{};
    e.bot_id = bot_id;
  }
  if (e.building || e.over_budget || e.index) return nullptr;
  e.building = true;
  e.pending.clear();
  e.build_id = ++next_build_id_;
  queue_.push_back({bot_id, bot_key, e.build_id});
  if (!builder_.joinable()) builder_ = std::thread([this] { BuilderLoop(); });
  cv_.notify_all();
  return nullptr;
}

void LexicalCache::Apply(const std::string& bot_key, uint64_t generation,
                         std::span<const int64_t> removed, std::span<const LexicalRow> added) {
  std::shared_ptr<LexicalMemoryIndex> index;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(bot_key);
    if (it == entries_.end()) return;
    Entry& e = it->second;
    if (e.building) {
      e.pending.push_back(
          {generation, {removed.begin(), removed.end()}, {added.begin(), added.end()}});
      return;
    }
    if (!e.index) return;
    if (e.generation + 1 != generation) {  // a commit went by unseen: start over
      resident_bytes_ -= e.bytes;
      e.index.reset();
      e.bytes = 0;
      return;
    }
    index = e.index;
    e.generation = 0;  // in flux: searches use FTS5 until the change is in
  }
  const Status s = ApplyChange(*index, removed, added);
  const size_t bytes = index->MemoryBytes();
  std::lock_guard lock(mu_);
  auto it = entries_.find(bot_key);
  if (it == entries_.end() || it->second.index != index) return;  // dropped meanwhile
  Entry& e = it->second;
  resident_bytes_ = resident_bytes_ - e.bytes + bytes;
  e.bytes = bytes;
  if (s.ok()) {
    e.generation = generation;
  } else {
    Logger().Warn("in-memory lexical index update failed; rebuilding",
                  {{"bot", bot_key}, {"error", s.message()}});
    resident_bytes_ -= e.bytes;
    e.index.reset();
    e.bytes = 0;
  }
}

void LexicalCache::Drop(const std::string& bot_key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(bot_key);
  if (it == entries_.end()) return;
  resident_bytes_ -= it->second.bytes;
  entries_.erase(it);  // a build in progress finds no entry and discards its result
}

bool LexicalCache::building(const std::string& bot_key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(bot_key);
  return it != entries_.end() && it->second.building;
}

bool LexicalCache::resident(const std::string& bot_key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(bot_key);
  return it != entries_.end() && it->second.index != nullptr;
}

void LexicalCache::BuilderLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Job job = queue_.front();
    queue_.pop_front();
    lock.unlock();
    Build(job);
    lock.lock();
  }
}

void LexicalCache::Build(const Job& job) {
  const auto start = std::chrono::steady_clock::now();
  uint64_t generation = 0;
  std::shared_ptr<LexicalMemoryIndex> index;
  Status s = [&]() -> Status {
    RAGD_ASSIGN_OR_RETURN(std::unique_ptr<LexicalMemoryIndex> fresh,
                          LexicalMemoryIndex::Create(lexical_.options()));
    index = std::move(fresh);
    return db_.Read([&](Connection& conn) -> Status {
      RAGD_ASSIGN_OR_RETURN(Statement gen,
                            conn.Prepare("SELECT index_generation FROM bots WHERE id = ?"));
      gen.Bind(1, job.bot_id);
      RAGD_ASSIGN_OR_RETURN(bool row, gen.Step());
      if (!row) return NotFoundError("bot deleted");
      generation = static_cast<uint64_t>(gen.Int(0));
      RAGD_ASSIGN_OR_RETURN(row, gen.Step());
      std::vector<LexicalRow> batch;
      batch.reserve(kBuildBatch);
      RAGD_RETURN_IF_ERROR(lexical_.ScanRows(conn, job.bot_key, [&](const LexicalRow& r) -> Status {
        batch.push_back(r);
        if (batch.size() < kBuildBatch) return OkStatus();
        {
          std::lock_guard lock(mu_);
          if (stopping_) return CancelledError("stopping");
        }
        Status added = index->Add(batch);
        batch.clear();
        return added;
      }));
      return index->Add(batch);
    });
  }();
  if (s.ok()) index->ShrinkToFit();  // outside the cache lock: it copies every list

  std::lock_guard lock(mu_);
  auto it = entries_.find(job.bot_key);
  if (it == entries_.end() || it->second.build_id != job.build_id) return;  // dropped meanwhile
  Entry& e = it->second;
  e.building = false;
  std::vector<Delta> pending = std::move(e.pending);
  e.pending.clear();
  if (!s.ok()) {
    if (s.code() != StatusCode::kCancelled && s.code() != StatusCode::kNotFound) {
      Logger().Warn("cannot build the in-memory lexical index",
                    {{"bot", job.bot_key}, {"error", s.message()}});
    }
    entries_.erase(it);  // the next search tries again
    return;
  }
  // Commits after the snapshot, in order; a gap means one went unseen: give up on this build.
  for (const Delta& d : pending) {
    if (d.generation <= generation) continue;
    if (d.generation != generation + 1) {
      entries_.erase(it);
      return;
    }
    if (!ApplyChange(*index, d.removed, d.added).ok()) {
      entries_.erase(it);
      return;
    }
    generation = d.generation;
  }
  const size_t bytes = index->MemoryBytes();
  if (resident_bytes_ + bytes > options_.memory_budget_bytes) {
    e.over_budget = true;
    Logger().Info("in-memory lexical index over budget; the bot searches SQLite FTS5",
                  {{"bot", job.bot_key},
                   {"bytes", static_cast<int64_t>(bytes)},
                   {"resident_bytes", static_cast<int64_t>(resident_bytes_)},
                   {"budget_bytes", static_cast<int64_t>(options_.memory_budget_bytes)}});
    return;
  }
  e.index = std::move(index);
  e.generation = generation;
  e.bytes = bytes;
  resident_bytes_ += bytes;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Logger().Info("in-memory lexical index built", {{"bot", job.bot_key},
                                                  {"rows", e.index->rows()},
                                                  {"bytes", static_cast<int64_t>(bytes)},
                                                  {"seconds", seconds}});
}

}  // namespace ragd
