// Injected time. Production code never calls std::chrono::*::now() directly; it takes a Clock&
// so tests (SigV4 with a fixed date, key expiry, timeouts) can control time.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ragd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (for timestamps, signatures, expiry).
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // Monotonic time (for durations and timeouts).
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
  // Blocks the calling thread; FakeClock advances instead.
  virtual void SleepFor(std::chrono::milliseconds duration) = 0;

  // The process-wide real clock.
  static Clock& Real();
};

// A clock that only moves when told to. SleepFor advances it without blocking.
class FakeClock : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start);
  std::chrono::system_clock::time_point Now() const override;
  std::chrono::steady_clock::time_point Monotonic() const override;
  void SleepFor(std::chrono::milliseconds duration) override;
  void Advance(std::chrono::nanoseconds duration);
  void Set(std::chrono::system_clock::time_point now);

 private:
  std::atomic<int64_t> wall_ns_;
  std::atomic<int64_t> mono_ns_{0};
};

// RFC 3339 UTC with second precision, e.g. "2026-11-23T10:00:00Z".
std::string FormatRfc3339(std::chrono::system_clock::time_point t);
// Milliseconds since the Unix epoch.
int64_t UnixMillis(std::chrono::system_clock::time_point t);
// FormatRfc3339 of a Unix time in milliseconds (as the database stores times).
std::string FormatRfc3339Millis(int64_t unix_ms);
// "2024-05-01T12:30:00Z", with optional fraction and "+hh:mm"/"-hh:mm" offset, or a date
// "2024-05-01" (midnight UTC). nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text);

}  // namespace ragd
