#include "core/log_writer.h"

#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <new>
#include <system_error>

#include "core/log_format.h"

namespace ragd {
namespace {

constexpr std::chrono::milliseconds kFullWait{100};
constexpr std::chrono::milliseconds kFlushWait{1000};
// A line arriving within this long of the last write waits for company: under load the writer
// then does one write(2) per millisecond instead of one per request, and appenders don't wake it.
constexpr std::chrono::microseconds kCoalesce{1000};
constexpr size_t kCoalesceBytes = 64 * 1024;
constexpr std::chrono::milliseconds kExitWait{2000};

// Writes all of `data`; false when the descriptor fails for good.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {  // a non-blocking stderr: wait until writable
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 100);
      continue;
    }
    return false;
  }
  return true;
}

void StopWriterAtExit() { LogWriter::Instance().StopAtExit(); }

// fork() copies the buffer and the flags but not the writer thread: the child writes directly.
// The lock is held across fork so the child never inherits it mid-update.
std::mutex* g_fork_mu = nullptr;
bool* g_fork_running = nullptr;
void ForkPrepare() { g_fork_mu->lock(); }
void ForkParent() { g_fork_mu->unlock(); }
void ForkChild() {
  *g_fork_running = false;
  g_fork_mu->unlock();
}

}  // namespace

LogWriter& LogWriter::Instance() {
  // Never destroyed: lines logged from static destructors and detached threads after exit()
  // began must still find a live writer.
  alignas(LogWriter) static unsigned char storage[sizeof(LogWriter)];
  static LogWriter* const writer = ::new (storage) LogWriter();
  return *writer;
}

void LogWriter::StartLocked() {
  started_ = true;
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (const std::system_error&) {
    return;  // no thread: callers write directly
  }
  running_ = true;
  std::atexit(&StopWriterAtExit);
  g_fork_mu = &mu_;
  g_fork_running = &running_;
  pthread_atfork(&ForkPrepare, &ForkParent, &ForkChild);
}

void LogWriter::Append(std::string_view line, bool flush) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!started_) StartLocked();
  if (running_ && !buffer_.empty() && buffer_.size() + line.size() > limit_) {
    // Full. Wait briefly for the writer unless lines are already being dropped (then the output
    // is stuck and waiting would only slow every request down).
    if (!dropping_) {
      done_cv_.wait_for(lock, kFullWait, [&] {
        return buffer_.empty() || buffer_.size() + line.size() <= limit_ || !running_;
      });
    }
    if (running_ && !buffer_.empty() && buffer_.size() + line.size() > limit_) {
      dropping_ = true;
      ++dropped_;
      ++unreported_drops_;
      return;
    }
  }
  if (!running_) {
    // No writer thread (before start failed, or after exit): write in the caller, in order.
    appended_ += line.size();
    if (!WriteAll(fd_, line)) ++dropped_;
    written_ += line.size();
    return;
  }
  buffer_.append(line);
  appended_ += line.size();
  if (writer_idle_) {
    writer_idle_ = false;
    work_cv_.notify_one();
  }
  if (flush) {
    urgent_ = true;
    work_cv_.notify_one();
    const uint64_t target = appended_;
    done_cv_.wait_for(lock, kFlushWait, [&] { return written_ >= target || !running_; });
  }
}

bool LogWriter::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!running_) return true;
  urgent_ = true;
  work_cv_.notify_one();
  const uint64_t target = appended_;
  return done_cv_.wait_for(lock, timeout, [&] { return written_ >= target || !running_; });
}

void LogWriter::SetFd(int fd) {
  Flush(kExitWait);
  std::lock_guard<std::mutex> lock(mu_);
  fd_ = fd;
}

void LogWriter::SetLimit(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  limit_ = bytes;
}

uint64_t LogWriter::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void LogWriter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    while (buffer_.empty() && !stop_) {
      writer_idle_ = true;
      work_cv_.wait(lock);
    }
    writer_idle_ = false;
    if (buffer_.empty()) break;  // stopping, and everything is written
    if (!stop_ && !urgent_ && buffer_.size() < kCoalesceBytes &&
        std::chrono::steady_clock::now() - last_write_ < kCoalesce) {
      work_cv_.wait_for(lock, kCoalesce,
                        [&] { return stop_ || urgent_ || buffer_.size() >= kCoalesceBytes; });
    }
    urgent_ = false;
    // Take the whole buffer; appenders continue into the other (empty, pre-sized) one.
    std::string batch = std::move(spare_);
    batch.swap(buffer_);
    const int fd = fd_;
    lock.unlock();
    const bool ok = WriteAll(fd, batch);
    lock.lock();
    last_write_ = std::chrono::steady_clock::now();
    written_ += batch.size();
    dropping_ = false;
    if (!ok) {
      const auto lines = static_cast<uint64_t>(std::count(batch.begin(), batch.end(), '\n'));
      dropped_ += lines;
      unreported_drops_ += lines;
    } else if (unreported_drops_ > 0) {
      std::string line = "{\"ts\":\"";
      AppendUtcMillis(line);
      line += "\",\"level\":\"warn\",\"request_id\":\"-\",";
      line += "\"msg\":\"log output too slow: lines were dropped\",\"dropped\":";
      AppendJsonInt(line, static_cast<int64_t>(unreported_drops_));
      line += "}\n";
      unreported_drops_ = 0;
      buffer_.append(line);
      appended_ += line.size();
    }
    batch.clear();
    spare_ = std::move(batch);
    done_cv_.notify_all();
  }
  running_ = false;
  done_cv_.notify_all();
}

void LogWriter::StopAtExit() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!running_) return;
  stop_ = true;
  writer_idle_ = false;
  work_cv_.notify_one();
  const bool stopped = done_cv_.wait_for(lock, kExitWait, [&] { return !running_; });
  lock.unlock();
  // A writer stuck in write(2) (a pipe nobody drains) must not hold up exit.
  if (stopped) {
    thread_.join();
  } else {
    thread_.detach();
  }
}

}  // namespace ragd
