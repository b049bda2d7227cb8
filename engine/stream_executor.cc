#include "engine/stream_executor.h"

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "core/log.h"

namespace ragd {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kStackFactor = 4;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr size_t kStackFactor = 4;
#else
constexpr size_t kStackFactor = 1;
#endif
#else
constexpr size_t kStackFactor = 1;
#endif

// dl_iterate_phdr callback, run first thing on a new thread: each module's .tbss (its TLS beyond
// the initialised part) is all zeros in a new thread, written by glibc's memset into the thread's
// stack block. Whole pages of it are handed back; they read as zeros (the shared zero page) and
// cost memory again only where the thread writes. Nothing on this thread has used them yet.
int ReleaseZeroTls(dl_phdr_info* info, size_t, void*) {
  if (info->dlpi_tls_data == nullptr) return 0;
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type != PT_TLS || phdr.p_memsz < 2 * page) continue;
    const auto data = reinterpret_cast<uintptr_t>(info->dlpi_tls_data);
    const uintptr_t low = (data + phdr.p_filesz + page - 1) & ~(page - 1);
    const uintptr_t high = (data + phdr.p_memsz) & ~(page - 1);
    if (high > low) madvise(reinterpret_cast<void*>(low), high - low, MADV_DONTNEED);
  }
  return 0;
}

// Starts a joinable thread with a `stack_bytes` stack; false when the system refuses.
bool StartThread(pthread_t* thread, size_t stack_bytes, void* (*main)(void*), void* arg) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  const size_t stack = std::max<size_t>(stack_bytes * kStackFactor, PTHREAD_STACK_MIN);
  pthread_attr_setstacksize(&attr, stack);
  const bool ok = pthread_create(thread, &attr, main, arg) == 0;
  pthread_attr_destroy(&attr);
  return ok;
}

}  // namespace

StreamExecutor::Slot& StreamExecutor::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = other.owner_;
    other.owner_ = nullptr;
  }
  return *this;
}

void StreamExecutor::Slot::Release() {
  if (owner_ == nullptr) return;
  StreamExecutor* owner = owner_;
  owner_ = nullptr;
  std::lock_guard<std::mutex> lock(owner->mu_);
  --owner->active_;
  owner->idle_cv_.notify_all();
}

StreamExecutor::StreamExecutor(StreamExecutorOptions options) : options_(std::move(options)) {}

StreamExecutor::~StreamExecutor() {
  bool timer_started = false;
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    timer_stopping_ = true;
    timers_.clear();
    timer_started = timer_started_;
  }
  timer_cv_.notify_all();
  if (timer_started) pthread_join(timer_thread_, nullptr);

  std::vector<pthread_t> to_join;
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    work_cv_.notify_all();
    idle_cv_.wait(lock, [this] { return threads_ == 0; });
    to_join.swap(finished_);
  }
  for (pthread_t t : to_join) pthread_join(t, nullptr);
}

StatusOr<StreamExecutor::Slot> StreamExecutor::Reserve() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || active_ >= options_.max_streams) {
    return ResourceExhaustedError("too many streams: " + std::to_string(options_.max_streams) +
                                  " are running (server.max_streams)");
  }
  ++active_;
  burst_peak_ = std::max(burst_peak_, active_);
  return Slot(this);
}

void StreamExecutor::Run(Slot slot, std::function<void()> task) {
  // The slot's reservation now belongs to the task; WorkLoop releases it when the task ends.
  slot.owner_ = nullptr;
  std::vector<pthread_t> to_join;
  bool inline_run = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    JoinFinishedLocked(&to_join);
    tasks_.push_back(std::move(task));
    // Every queued task needs a waiting thread of its own; waiting threads leave the idle count
    // only when they take a task, so compare queued tasks with idle threads.
    if (static_cast<int>(tasks_.size()) <= idle_threads_) {
      work_cv_.notify_one();
    } else if (!SpawnLocked() && threads_ == 0) {
      task = std::move(tasks_.back());
      tasks_.pop_back();
      inline_run = true;
    }
  }
  for (pthread_t t : to_join) pthread_join(t, nullptr);
  if (inline_run) {
    Logger().Warn("cannot start a stream thread; running the stream on the caller");
    task();
    task = nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    --active_;
    idle_cv_.notify_all();
  }
}

bool StreamExecutor::SpawnLocked() {
  pthread_t thread;
  if (!StartThread(&thread, options_.stack_bytes, &StreamExecutor::ThreadMain, this)) return false;
  ++threads_;
  live_.push_back(thread);
  return true;
}

void StreamExecutor::JoinFinishedLocked(std::vector<pthread_t>* out) {
  out->insert(out->end(), finished_.begin(), finished_.end());
  finished_.clear();
}

void* StreamExecutor::ThreadMain(void* self) {
  if (kStackFactor == 1) dl_iterate_phdr(&ReleaseZeroTls, nullptr);
  static_cast<StreamExecutor*>(self)->WorkLoop();
  return nullptr;
}

void StreamExecutor::WorkLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (tasks_.empty()) {
      if (stopping_) break;
      ++idle_threads_;
      const bool woken = work_cv_.wait_for(lock, options_.idle_retire,
                                           [this] { return !tasks_.empty() || stopping_; });
      --idle_threads_;
      if (!woken && tasks_.empty()) break;  // idle too long: retire
      continue;
    }
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // destroy captures (sinks, buffers) before the slot is released
    lock.lock();
    --active_;
    idle_cv_.notify_all();
    if (active_ == 0 && burst_peak_ >= kTrimAfterStreams) {
      // The last stream of a burst ended: give the heap pages it freed back to the OS (a burst of
      // 1,000 streams frees ~100 MB spread over the malloc arenas, which glibc keeps otherwise).
      burst_peak_ = 0;
      lock.unlock();
      malloc_trim(0);
      lock.lock();
    }
  }
  const pthread_t self = pthread_self();
  live_.erase(std::remove_if(live_.begin(), live_.end(),
                             [self](pthread_t t) { return pthread_equal(t, self) != 0; }),
              live_.end());
  finished_.push_back(self);
  --threads_;
  idle_cv_.notify_all();
}

void StreamExecutor::RunAt(std::chrono::steady_clock::time_point when, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(timer_mu_);
  if (timer_stopping_) return;
  if (!timer_started_) {
    timer_started_ =
        StartThread(&timer_thread_, options_.stack_bytes, &StreamExecutor::TimerMain, this);
    if (!timer_started_) return;  // the caller flushes on its next write instead
  }
  timers_.emplace(when, std::move(fn));
  timer_cv_.notify_one();
}

void* StreamExecutor::TimerMain(void* self) {
  static_cast<StreamExecutor*>(self)->TimerLoop();
  return nullptr;
}

void StreamExecutor::TimerLoop() {
  std::unique_lock<std::mutex> lock(timer_mu_);
  while (!timer_stopping_) {
    if (timers_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    const auto when = timers_.begin()->first;
    if (std::chrono::steady_clock::now() < when) {
      timer_cv_.wait_until(lock, when);
      continue;
    }
    std::function<void()> fn = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    lock.unlock();
    fn();
    fn = nullptr;
    lock.lock();
  }
}

bool StreamExecutor::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return active_ == 0; });
}

int StreamExecutor::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_;
}

int StreamExecutor::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_;
}

}  // namespace ragd
