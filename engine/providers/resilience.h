// Retries, backoff and circuit breaking around one remote LLM call, shared by the Bedrock and
// OpenAI-compatible providers (and helpers both need).
//
// A call is a sequence of attempts. An attempt failing with Unavailable (5xx, connection refused
// or reset, torn stream) or ResourceExhausted (429, throttling) is retried, at most
// RetryPolicy::max_retries times, but only while no delta has reached the caller: once the user
// saw text, a retry would repeat it. Between attempts the caller sleeps (full jitter: uniform in
// [0, min(max_delay, base_delay * 2^retry)]), or exactly what the server asked for in Retry-After
// when it did (a Retry-After above max_retry_after ends the retries instead). Every attempt
// passes the circuit breaker of its upstream; an open circuit fails the call at once.
//
// Thread safety: ResilientCaller::Run may be called concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/http_client.h"
#include "core/status.h"
#include "engine/llm_provider.h"
#include "engine/providers/circuit_breaker.h"

namespace ragd {

struct RetryPolicy {
  int max_retries = 3;  // after the first attempt
  std::chrono::milliseconds base_delay{250};
  std::chrono::milliseconds max_delay{8000};
  // A server asking for a longer pause than this is not waited for: the call fails with the
  // attempt's error (a chat turn is better served by degrading than by a long stall).
  std::chrono::milliseconds max_retry_after{20000};
};

// What the resilience layer reports after each attempt (for metrics and logs).
struct LlmAttemptReport {
  std::string upstream;  // the breaker key: "<provider>|<endpoint>"
  int attempt = 0;       // 0-based
  Status status;         // of the attempt (OK on success)
  bool will_retry = false;
  std::chrono::milliseconds delay{0};  // slept before the next attempt, when will_retry
};

using SleepFunction = std::function<void(std::chrono::milliseconds)>;

struct ResilienceOptions {
  RetryPolicy retry;
  CircuitBreakerOptions breaker;
  // Blocks between attempts. Null: the provider's Clock::SleepFor.
  SleepFunction sleep;
  // Uniform in [0, 1) for the jitter. Null: a per-thread pseudo-random generator.
  std::function<double()> random;
  // Called after every attempt, on the calling thread. May be null.
  std::function<void(const LlmAttemptReport&)> on_attempt;
};

// How one attempt ended.
struct LlmAttemptOutcome {
  StatusOr<LlmResult> result = UnknownError("attempt did not run");
  // The server's Retry-After (or retry-after-ms), when it sent one.
  std::optional<std::chrono::milliseconds> retry_after;
};

class ResilientCaller {
 public:
  // One attempt: send the request and stream deltas to `on_delta` (which tracks delivery and may
  // return false: the client went away).
  using Attempt = std::function<LlmAttemptOutcome(const DeltaSink& on_delta)>;

  // `clock` is not owned and must outlive the caller.
  ResilientCaller(std::string upstream, ResilienceOptions options, Clock& clock,
                  std::shared_ptr<CircuitBreaker> breaker);

  // Runs attempts until one succeeds, one fails for good, or retries run out. A null `on_delta`
  // is allowed (the answer is only returned). `cancelled` (may be null) is checked before every
  // attempt and during the backoff pause, which is cut short (polled every kCancelPoll): a caller
  // that went away gets Cancelled instead of waiting out retries. Errors: the last attempt's,
  // Cancelled, or Unavailable when the circuit is open.
  StatusOr<LlmResult> Run(const DeltaSink& on_delta, const Attempt& attempt,
                          const std::function<bool()>& cancelled = nullptr) const;

  static constexpr std::chrono::milliseconds kCancelPoll{100};

  const std::string& upstream() const { return upstream_; }
  CircuitBreaker& breaker() const { return *breaker_; }

  // The pause before retry number `retry` (0 = before the second attempt), without Retry-After.
  std::chrono::milliseconds BackoffDelay(int retry) const;

 private:
  const std::string upstream_;
  const ResilienceOptions options_;
  Clock& clock_;
  const std::shared_ptr<CircuitBreaker> breaker_;
};

// Retry-After as a pause: delta-seconds or an HTTP-date (RFC 9110), or OpenAI's retry-after-ms
// (preferred when both are present). nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> ParseRetryAfter(const HttpHeaders& headers,
                                                         std::chrono::system_clock::time_point now);

// A rough token count (about 4 bytes of English per token) for servers that report no usage, so
// cost accounting never sees a free answer.
int64_t EstimateTokens(std::string_view text);
LlmUsage EstimateUsage(const LlmRequest& request, std::string_view answer);

}  // namespace ragd
