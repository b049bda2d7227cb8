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

std::string FormatRfc3339Millis(int64_t unix_ms) {
  return FormatRfc3339(std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms)));
}

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text) {
  auto digits = [&](size_t at, size_t n, int& out) {
    if (at + n > text.size()) return false;
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(0, 4, year) || text.size() < 10 || text[4] != '-' || !digits(5, 2, month) ||
      text[7] != '-' || !digits(8, 2, day) || month < 1 || month > 12 || day < 1 || day > 31) {
    return std::nullopt;
  }
  size_t at = 10;
  int64_t offset_s = 0, millis = 0;
  if (text.size() > 10) {
    if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(11, 2, hour) ||
        text.size() < 19 || text[13] != ':' || !digits(14, 2, minute) || text[16] != ':' ||
        !digits(17, 2, second) || hour > 23 || minute > 59 || second > 60) {
      return std::nullopt;
    }
    at = 19;
    if (at < text.size() && text[at] == '.') {
      size_t n = 0;
      for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++n) {
        if (n < 3) millis = millis * 10 + (text[at] - '0');
      }
      if (n == 0) return std::nullopt;
      for (; n < 3; ++n) millis *= 10;
    }
    if (at == text.size()) return std::nullopt;
    if (text[at] == 'Z' || text[at] == 'z') {
      ++at;
    } else if (text[at] == '+' || text[at] == '-') {
      int oh = 0, om = 0;
      if (!digits(at + 1, 2, oh) || at + 3 >= text.size() || text[at + 3] != ':' ||
          !digits(at + 4, 2, om)) {
        return std::nullopt;
      }
      offset_s = (text[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      at += 6;
    } else {
      return std::nullopt;
    }
  }
  if (at != text.size()) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const time_t t = timegm(&tm);
  return std::chrono::system_clock::time_point(std::chrono::seconds(t - offset_s) +
                                               std::chrono::milliseconds(millis));
}

}  // namespace ragd
