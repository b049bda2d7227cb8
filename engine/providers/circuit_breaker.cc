#include "engine/providers/circuit_breaker.h"

#include <utility>

namespace ragd {

CircuitBreaker::CircuitBreaker(std::string name, CircuitBreakerOptions options, Clock& clock)
    : name_(std::move(name)), options_(options), clock_(clock) {}

CircuitBreaker::State CircuitBreaker::StateLocked(std::chrono::steady_clock::time_point now) const {
  if (!open_) return State::kClosed;
  return now < open_until_ ? State::kOpen : State::kHalfOpen;
}

StatusOr<CircuitBreaker::Permit> CircuitBreaker::Allow() {
  if (options_.failure_threshold <= 0) return Permit(false);
  const auto now = clock_.Monotonic();
  std::lock_guard<std::mutex> lock(mu_);
  switch (StateLocked(now)) {
    case State::kClosed:
      return Permit(false);
    case State::kOpen: {
      const auto left = std::chrono::ceil<std::chrono::seconds>(open_until_ - now);
      return UnavailableError("circuit open for " + name_ + " after " + std::to_string(failures_) +
                              " consecutive failures; next trial in " +
                              std::to_string(left.count()) + " s");
    }
    case State::kHalfOpen:
      if (trial_in_flight_) {
        return UnavailableError("circuit half-open for " + name_ + ": a trial call is in flight");
      }
      trial_in_flight_ = true;
      return Permit(true);
  }
  return Permit(false);
}

void CircuitBreaker::Record(const Permit& permit, Outcome outcome) {
  if (options_.failure_threshold <= 0) return;
  const auto now = clock_.Monotonic();
  std::lock_guard<std::mutex> lock(mu_);
  if (permit.trial()) trial_in_flight_ = false;
  switch (outcome) {
    case Outcome::kAbandoned:
      return;
    case Outcome::kSuccess:
      // A late success of a call admitted before the circuit opened proves the upstream can
      // answer, so it closes the circuit as a trial would.
      failures_ = 0;
      open_ = false;
      return;
    case Outcome::kFailure:
      ++failures_;
      // A failed trial re-opens at once; a closed circuit opens at the threshold. A late failure
      // of a call admitted while closed leaves an open window as it is.
      if (permit.trial() || (!open_ && failures_ >= options_.failure_threshold)) {
        open_ = true;
        open_until_ = now + options_.open_duration;
      }
      return;
  }
}

CircuitBreaker::State CircuitBreaker::state() const {
  const auto now = clock_.Monotonic();
  std::lock_guard<std::mutex> lock(mu_);
  return StateLocked(now);
}

int CircuitBreaker::consecutive_failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

std::string_view CircuitStateName(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed:
      return "closed";
    case CircuitBreaker::State::kOpen:
      return "open";
    case CircuitBreaker::State::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

std::shared_ptr<CircuitBreaker> CircuitBreakerRegistry::Get(const std::string& key,
                                                            const CircuitBreakerOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<CircuitBreaker>& slot = breakers_[key];
  if (!slot) slot = std::make_shared<CircuitBreaker>(key, options, clock_);
  return slot;
}

}  // namespace ragd
