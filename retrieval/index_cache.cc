#include "retrieval/index_cache.h"

#include <system_error>

namespace ragd {
namespace {

constexpr std::string_view kSuffix = ".faiss";

}  // namespace

StatusOr<std::unique_ptr<IndexCache>> IndexCache::Open(const IndexCacheOptions& options) {
  if (options.directory.empty()) return InvalidArgumentError("index cache: no directory");
  std::error_code ec;
  std::filesystem::create_directories(options.directory, ec);
  if (ec) {
    return UnavailableError("cannot create " + options.directory.string() + ": " + ec.message());
  }
  // Temp files of saves a crash interrupted: never complete, never read.
  for (const auto& entry : std::filesystem::directory_iterator(options.directory, ec)) {
    const std::string file = entry.path().filename().string();
    if (file.find(std::string(kSuffix) + ".tmp.") != std::string::npos) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  return std::unique_ptr<IndexCache>(new IndexCache(options));
}

IndexCache::~IndexCache() = default;

std::filesystem::path IndexCache::PathFor(std::string_view bot_key) const {
  auto name = BotStorageName(bot_key);
  if (!name.ok()) return {};
  return options_.directory / (*name + std::string(kSuffix));
}

void IndexCache::TouchLocked(const std::string& name, std::shared_ptr<VectorIndex> index) {
  auto it = resident_.find(name);
  if (it == resident_.end()) {
    lru_.push_front(name);
    it = resident_.emplace(name, Slot{std::move(index), 0, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  resident_bytes_ -= it->second.bytes;
  it->second.bytes = it->second.index->MemoryBytes();
  resident_bytes_ += it->second.bytes;
}

std::vector<std::pair<std::string, std::shared_ptr<VectorIndex>>> IndexCache::PickVictimsLocked() {
  std::vector<std::pair<std::string, std::shared_ptr<VectorIndex>>> victims;
  // Indexes grow after Get hands them out; re-read every size (an atomic load each).
  resident_bytes_ = 0;
  for (auto& [name, slot] : resident_) {
    slot.bytes = slot.index->MemoryBytes();
    resident_bytes_ += slot.bytes;
  }
  auto it = lru_.end();
  while (resident_bytes_ > options_.memory_budget_bytes && it != lru_.begin()) {
    --it;
    auto slot = resident_.find(*it);
    // use_count 1: only the cache holds it, and new holders can only come through mu_.
    if (slot->second.index.use_count() != 1) continue;
    evicting_[*it] = slot->second.index;
    victims.emplace_back(*it, std::move(slot->second.index));
    resident_bytes_ -= slot->second.bytes;
    resident_.erase(slot);
    it = lru_.erase(it);
  }
  return victims;
}

void IndexCache::Evict(std::vector<std::pair<std::string, std::shared_ptr<VectorIndex>>> victims) {
  for (auto& [name, index] : victims) {
    Status s;
    if (index->dirty())
      s = index->Save((options_.directory / (name + std::string(kSuffix))).string());
    std::lock_guard lock(mu_);
    auto it = evicting_.find(name);
    if (it != evicting_.end() && it->second == index) evicting_.erase(it);
    if (!s.ok()) {
      last_error_ = s;
      TouchLocked(name, index);  // keep the unsaved data in memory
    }
  }
  evict_cv_.notify_all();
}

StatusOr<std::shared_ptr<VectorIndex>> IndexCache::GetImpl(std::string_view bot_key,
                                                           std::string_view embedder_id, int dim,
                                                           bool create) {
  RAGD_ASSIGN_OR_RETURN(std::string name, BotStorageName(bot_key));
  const std::string path = (options_.directory / (name + std::string(kSuffix))).string();
  std::shared_ptr<VectorIndex> index;
  std::unique_lock lock(mu_);
  while (index == nullptr) {
    if (auto it = resident_.find(name); it != resident_.end()) {
      index = it->second.index;
    } else if (auto ev = evicting_.find(name); ev != evicting_.end()) {
      index = ev->second;  // eviction in progress: take the same object back
    } else if (auto ld = loading_.find(name); ld != loading_.end()) {
      std::shared_future<LoadResult> pending = ld->second;
      lock.unlock();
      LoadResult loaded = pending.get();
      lock.lock();
      if (!loaded.ok() && loaded.status().code() != StatusCode::kNotFound) return loaded.status();
      if (!loaded.ok() && !create) return loaded.status();
      continue;  // loaded (now resident), or absent and we create it below
    } else if (!std::filesystem::exists(path)) {
      if (!create) return NotFoundError("bot " + std::string(bot_key) + " has no vector index");
      RAGD_ASSIGN_OR_RETURN(std::unique_ptr<VectorIndex> fresh,
                            VectorIndex::Create(embedder_id, dim, options_.index_options));
      index = std::move(fresh);
    } else {
      std::promise<LoadResult> promise;
      loading_.emplace(name, promise.get_future().share());
      lock.unlock();
      auto read = VectorIndex::Load(path, options_.index_options);
      LoadResult loaded = read.ok() ? LoadResult(std::shared_ptr<VectorIndex>(std::move(*read)))
                                    : LoadResult(read.status());
      if (loaded.ok()) index = *loaded;
      lock.lock();
      loading_.erase(name);
      promise.set_value(loaded);
      evict_cv_.notify_all();
      if (!loaded.ok()) return loaded.status();
    }
  }
  TouchLocked(name, index);
  auto victims = PickVictimsLocked();
  lock.unlock();
  Evict(std::move(victims));
  if (create && (index->embedder_id() != embedder_id || index->dim() != dim)) {
    return FailedPreconditionError(
        "the vector index of bot " + std::string(bot_key) + " was built with " +
        index->embedder_id() + " (dim " + std::to_string(index->dim()) + "), not " +
        std::string(embedder_id) + " (dim " + std::to_string(dim) + "); reindex the bot");
  }
  return index;
}

StatusOr<std::shared_ptr<VectorIndex>> IndexCache::Get(std::string_view bot_key,
                                                       std::string_view embedder_id, int dim) {
  return GetImpl(bot_key, embedder_id, dim, /*create=*/true);
}

StatusOr<std::shared_ptr<VectorIndex>> IndexCache::GetExisting(std::string_view bot_key) {
  return GetImpl(bot_key, {}, 0, /*create=*/false);
}

Status IndexCache::Save(std::string_view bot_key) {
  RAGD_ASSIGN_OR_RETURN(std::string name, BotStorageName(bot_key));
  std::shared_ptr<VectorIndex> index;
  {
    std::lock_guard lock(mu_);
    if (auto it = resident_.find(name); it != resident_.end()) index = it->second.index;
  }
  if (index == nullptr || !index->dirty()) return OkStatus();
  return index->Save((options_.directory / (name + std::string(kSuffix))).string());
}

Status IndexCache::Flush() {
  std::vector<std::pair<std::string, std::shared_ptr<VectorIndex>>> dirty;
  {
    std::unique_lock lock(mu_);
    // Evictions save on their own; wait so that Flush returning means everything is on disk.
    evict_cv_.wait(lock, [&] { return evicting_.empty(); });
    for (const auto& [name, slot] : resident_) {
      if (slot.index->dirty()) dirty.emplace_back(name, slot.index);
    }
  }
  Status first;
  for (const auto& [name, index] : dirty) {
    Status s = index->Save((options_.directory / (name + std::string(kSuffix))).string());
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status IndexCache::Drop(std::string_view bot_key) {
  RAGD_ASSIGN_OR_RETURN(std::string name, BotStorageName(bot_key));
  {
    std::unique_lock lock(mu_);
    // A save in flight would recreate the file after we delete it.
    evict_cv_.wait(lock, [&] { return !evicting_.contains(name) && !loading_.contains(name); });
    if (auto it = resident_.find(name); it != resident_.end()) {
      resident_bytes_ -= it->second.bytes;
      lru_.erase(it->second.lru);
      resident_.erase(it);
    }
  }
  std::error_code ec;
  std::filesystem::remove(options_.directory / (name + std::string(kSuffix)), ec);
  if (ec) return UnavailableError("cannot delete the vector index of " + std::string(bot_key));
  return OkStatus();
}

size_t IndexCache::resident_bytes() const {
  std::lock_guard lock(mu_);
  return resident_bytes_;
}

size_t IndexCache::resident_count() const {
  std::lock_guard lock(mu_);
  return resident_.size();
}

Status IndexCache::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

}  // namespace ragd
