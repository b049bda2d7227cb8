// StreamExecutor: where streaming chat turns run, so a turn that waits seconds on a model stream
// never holds one of the server's few worker-pool threads.
//
// - At most `max_streams` turns run (or are reserved) at once; Reserve() refuses beyond that so
//   the caller can answer 503 before doing anything (the user's message is not stored).
// - Threads are created on demand with small stacks (`stack_bytes`, four times that under
//   AddressSanitizer, whose frames are larger) and retire after `idle_retire` without work, so an
//   idle server holds none and a burst of 1,000 streams costs 1,000 mostly untouched stacks.
// - A new thread hands back the pages of its zero-initialised thread-local storage (glibc zeroes
//   every module's TLS in each new thread's stack block: OpenBLAS alone has 60 KiB, ~60 MB at
//   1,000 streams); they read as zeros and are faulted in again only if written.
// - When the last running task of a burst of at least kTrimAfterStreams ends, malloc_trim()
//   returns the heap pages the burst freed. Not after every lone stream: trimming walks the whole
//   heap (~1 ms with a 100k-chunk bot loaded) and has little to give back then.
// - One timer thread (started on first use) runs short callbacks at a deadline; the SSE writer uses
//   it to flush coalesced deltas when the model pauses.
//
// Thread safety: every member function may be called from any thread. The destructor waits for
// running tasks (they must end on their own, e.g. because their client is gone) and drops queued
// timer callbacks.
#pragma once

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "core/status.h"

namespace ragd {

struct StreamExecutorOptions {
  int max_streams = 2048;
  size_t stack_bytes = 256 * 1024;
  std::chrono::milliseconds idle_retire{10'000};
};

class StreamExecutor {
 public:
  static constexpr int kTrimAfterStreams = 32;
  // A reservation for one task. Move-only; releases the reservation when destroyed unused.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { Release(); }
    bool valid() const { return owner_ != nullptr; }

   private:
    friend class StreamExecutor;
    explicit Slot(StreamExecutor* owner) : owner_(owner) {}
    void Release();
    StreamExecutor* owner_ = nullptr;
  };

  explicit StreamExecutor(StreamExecutorOptions options = {});
  ~StreamExecutor();
  StreamExecutor(const StreamExecutor&) = delete;
  StreamExecutor& operator=(const StreamExecutor&) = delete;

  // ResourceExhausted when max_streams tasks are running or reserved.
  StatusOr<Slot> Reserve();
  // Runs `task` on an idle thread or a new one, consuming `slot` (which must be valid and come
  // from this executor). If no thread can be created and none is alive, runs it on the caller.
  void Run(Slot slot, std::function<void()> task);
  // Runs `fn` on the timer thread at (or soon after) `when`. `fn` must be short and must not
  // block; it may call RunAt again.
  void RunAt(std::chrono::steady_clock::time_point when, std::function<void()> fn);
  // Waits until no task is running or reserved; false if `timeout` passed first.
  bool WaitIdle(std::chrono::milliseconds timeout);

  int max_streams() const { return options_.max_streams; }
  int active() const;   // reserved or running
  int threads() const;  // task threads alive (busy or idle)

 private:
  static void* ThreadMain(void* self);
  static void* TimerMain(void* self);
  void WorkLoop();
  bool SpawnLocked();  // mu_ held
  void JoinFinishedLocked(std::vector<pthread_t>* out);
  void TimerLoop();

  const StreamExecutorOptions options_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // tasks queued or stopping
  std::condition_variable idle_cv_;  // active_ dropped
  std::deque<std::function<void()>> tasks_;
  int active_ = 0;        // reservations, including running tasks
  int burst_peak_ = 0;    // most reservations at once since the heap was last trimmed
  int threads_ = 0;       // alive task threads
  int idle_threads_ = 0;  // waiting for a task
  std::vector<pthread_t> live_;
  std::vector<pthread_t> finished_;  // retired, to be joined
  bool stopping_ = false;

  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> timers_;
  bool timer_started_ = false;
  bool timer_stopping_ = false;
  pthread_t timer_thread_{};
};

}  // namespace ragd
