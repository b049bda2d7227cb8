#include "engine/providers/resilience.h"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>
#include <utility>

#include "core/log.h"

namespace ragd {
namespace {

bool IsRetryable(StatusCode code) {
  return code == StatusCode::kUnavailable || code == StatusCode::kResourceExhausted;
}

// Which failures say something about the upstream's health. Client errors (400, 403, 404) prove
// it answers; a missing local credential says nothing about it.
CircuitBreaker::Outcome BreakerOutcome(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return CircuitBreaker::Outcome::kSuccess;
    case StatusCode::kCancelled:
    case StatusCode::kFailedPrecondition:
      return CircuitBreaker::Outcome::kAbandoned;
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kDataLoss:
    case StatusCode::kInternal:
    case StatusCode::kUnknown:
      return CircuitBreaker::Outcome::kFailure;
    default:
      return CircuitBreaker::Outcome::kSuccess;
  }
}

double DefaultRandom() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

std::optional<int64_t> ParseNonNegative(std::string_view s) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

ResilientCaller::ResilientCaller(std::string upstream, ResilienceOptions options, Clock& clock,
                                 std::shared_ptr<CircuitBreaker> breaker)
    : upstream_(std::move(upstream)),
      options_(std::move(options)),
      clock_(clock),
      breaker_(std::move(breaker)) {}

std::chrono::milliseconds ResilientCaller::BackoffDelay(int retry) const {
  const double base = static_cast<double>(options_.retry.base_delay.count());
  const double cap = static_cast<double>(options_.retry.max_delay.count());
  const double ceiling = std::min(cap, base * std::ldexp(1.0, std::min(retry, 30)));
  const double r = options_.random ? options_.random() : DefaultRandom();
  return std::chrono::milliseconds(static_cast<int64_t>(ceiling * std::clamp(r, 0.0, 1.0)));
}

StatusOr<LlmResult> ResilientCaller::Run(const DeltaSink& on_delta, const Attempt& attempt,
                                         const std::function<bool()>& cancelled) const {
  const auto is_cancelled = [&] { return cancelled && cancelled(); };
  const auto sleep = [&](std::chrono::milliseconds delay) {
    if (options_.sleep) {
      options_.sleep(delay);
    } else {
      clock_.SleepFor(delay);
    }
  };
  bool delivered = false;
  const DeltaSink tracking = [&](std::string_view delta) {
    delivered = true;
    return on_delta ? on_delta(delta) : true;
  };
  for (int index = 0;; ++index) {
    if (is_cancelled()) return CancelledError(upstream_ + ": the caller cancelled");
    StatusOr<CircuitBreaker::Permit> permit = breaker_->Allow();
    if (!permit.ok()) return permit.status();
    LlmAttemptOutcome outcome = attempt(tracking);
    const Status status = outcome.result.status();
    breaker_->Record(*permit, BreakerOutcome(status));

    LlmAttemptReport report{upstream_, index, status, false, std::chrono::milliseconds(0)};
    if (!status.ok() && !delivered && IsRetryable(status.code()) &&
        index < options_.retry.max_retries) {
      if (outcome.retry_after) {
        report.will_retry = *outcome.retry_after <= options_.retry.max_retry_after;
        report.delay = *outcome.retry_after;
      } else {
        report.will_retry = true;
        report.delay = BackoffDelay(index);
      }
    }
    if (!report.will_retry) report.delay = std::chrono::milliseconds(0);
    if (options_.on_attempt) options_.on_attempt(report);
    if (report.will_retry) {
      Log(LogLevel::kWarn, "-", "llm attempt failed; retrying",
          {{"upstream", upstream_},
           {"attempt", index + 1},
           {"error", status.ToString()},
           {"delay_ms", report.delay.count()}});
    }
    if (!report.will_retry) {
      if (status.ok()) return std::move(outcome.result);
      if (index == 0) return status;
      return status.WithContext(upstream_ + ": after " + std::to_string(index + 1) + " attempts");
    }
    if (!cancelled) {
      sleep(report.delay);
      continue;
    }
    // In slices, so a caller that goes away is not kept for the rest of the pause.
    for (std::chrono::milliseconds left = report.delay; left.count() > 0 && !is_cancelled();
         left -= kCancelPoll) {
      sleep(std::min(left, kCancelPoll));
    }
  }
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    const HttpHeaders& headers, std::chrono::system_clock::time_point now) {
  if (std::optional<std::string> ms = FindHeader(headers, "retry-after-ms")) {
    if (std::optional<int64_t> v = ParseNonNegative(*ms)) return std::chrono::milliseconds(*v);
  }
  std::optional<std::string> value = FindHeader(headers, "retry-after");
  if (!value) return std::nullopt;
  if (std::optional<int64_t> seconds = ParseNonNegative(*value)) {
    return std::chrono::milliseconds(std::min<int64_t>(*seconds, int64_t{1} << 31) * 1000);
  }
  // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
  struct tm parts {};
  const char* end = strptime(value->c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&parts));
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(at - now));
}

int64_t EstimateTokens(std::string_view text) {
  return static_cast<int64_t>((text.size() + 3) / 4);
}

LlmUsage EstimateUsage(const LlmRequest& request, std::string_view answer) {
  LlmUsage usage;
  usage.input_tokens = EstimateTokens(request.system);
  for (const LlmMessage& m : request.messages) usage.input_tokens += EstimateTokens(m.text) + 4;
  usage.output_tokens = EstimateTokens(answer);
  return usage;
}

}  // namespace ragd
