// The buffered output behind ragd::Log: request threads append whole lines to a bounded in-memory
// buffer (a memcpy under a short mutex) and one background thread writes the buffer to the output
// descriptor in batches, so a busy server makes one write(2) per batch instead of one per line.
//
// Guarantees:
// - Lines are written whole and in the order Append() was called (per thread, and globally in
//   the order the appends took the lock).
// - The writer thread wakes as soon as a line arrives while it is idle and writes everything that
//   has accumulated; lines pile up into larger batches only while a write is in progress. At low
//   load a line is in the output within microseconds; nothing waits for a timer.
// - Append(flush = true) (used for warn and error lines) returns once the line is written, so
//   they survive a crash and stay ordered with direct writes to stderr that follow them.
// - Bounded: at most the buffer limit (default 8 MiB) is held. When the buffer is full, Append
//   waits up to 100 ms for the writer; if it is still full, the line is dropped and counted
//   (dropped(), exported as ragd_log_lines_dropped_total). While lines are being dropped, further
//   appends do not wait, so a stuck output (a full pipe nobody reads) slows requests by at most
//   one 100 ms wait per completed write, never indefinitely. After the output recovers the writer
//   logs one warn line with the number of lines dropped.
// - At process exit (atexit) everything buffered is written (waiting up to 2 s) and the thread
//   stops; later lines are written directly by the caller. A forked child (which has no writer
//   thread) also writes directly.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace ragd {

class LogWriter {
 public:
  // The process-wide writer (never destroyed; safe to use from static destructors).
  static LogWriter& Instance();

  // `line` must be one complete line ending in '\n'.
  void Append(std::string_view line, bool flush);
  // Waits until every line appended before the call is written (or `timeout` passes; false then).
  bool Flush(std::chrono::milliseconds timeout);
  // Writes pending lines to the old descriptor, then sends output to `fd` (default 2). The caller
  // keeps `fd` open while it is in use.
  void SetFd(int fd);
  // Maximum bytes held in memory (tests shrink it).
  void SetLimit(size_t bytes);
  uint64_t dropped() const;

  // Writes what is buffered (waiting up to 2 s) and stops the thread; later appends are written
  // by the caller. Registered with atexit when the thread starts.
  void StopAtExit();

 private:
  LogWriter() = default;
  void StartLocked();
  void Run();

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // the writer waits here for lines
  std::condition_variable done_cv_;  // flushers and appenders facing a full buffer wait here
  std::string buffer_;               // guarded by mu_: lines not yet taken by the writer
  std::string spare_;                // the writer thread's: the other batch buffer (keeps capacity)
  uint64_t appended_ = 0;            // guarded by mu_: bytes ever accepted
  uint64_t written_ = 0;             // guarded by mu_: bytes ever written (or failed to write)
  uint64_t dropped_ = 0;             // guarded by mu_
  uint64_t unreported_drops_ = 0;    // guarded by mu_
  size_t limit_ = 8 << 20;           // guarded by mu_
  int fd_ = 2;                       // guarded by mu_
  bool writer_idle_ = false;         // guarded by mu_: the writer waits on work_cv_
  bool dropping_ = false;            // guarded by mu_: a line was dropped since the last write
  bool started_ = false;             // guarded by mu_
  bool running_ = false;             // guarded by mu_: the thread serves appends
  bool stop_ = false;                // guarded by mu_
  bool urgent_ = false;  // guarded by mu_: a caller waits for its line (flush); write at once
  std::chrono::steady_clock::time_point last_write_{};  // guarded by mu_
  std::thread thread_;
};

}  // namespace ragd
