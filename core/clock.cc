#include "core/clock.h"

#include <ctime>
#include <thread>

namespace ragd {
namespace {

class RealClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  void SleepFor(std::chrono::milliseconds duration) override {
    std::this_thread::sleep_for(duration);
  }
};

int64_t ToNs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

Clock& Clock::Real() {
  static RealClock clock;
  return clock;
}

FakeClock::FakeClock(std::chrono::system_clock::time_point start) : wall_ns_(ToNs(start)) {}

std::chrono::system_clock::time_point FakeClock::Now() const {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(wall_ns_.load())));
}

std::chrono::steady_clock::time_point FakeClock::Monotonic() const {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(mono_ns_.load()));
}

void FakeClock::SleepFor(std::chrono::milliseconds duration) { Advance(duration); }

void FakeClock::Advance(std::chrono::nanoseconds duration) {
  wall_ns_ += duration.count();
  mono_ns_ += duration.count();
}

void FakeClock::Set(std::chrono::system_clock::time_point now) { wall_ns_ = ToNs(now); }

std::string FormatRfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int64_t UnixMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace ragd
