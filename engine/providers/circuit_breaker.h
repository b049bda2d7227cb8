// A circuit breaker for one upstream (a provider at one endpoint), and a registry that hands out
// one breaker per key so every provider object talking to the same endpoint shares it.
//
// Closed: calls go through; `failure_threshold` consecutive failures open the circuit. Open: calls
// are refused at once (Unavailable) for `open_duration`. Half-open: after that, one trial call is
// let through at a time; its success closes the circuit, its failure opens it for another
// `open_duration`. Time comes from the injected Clock (monotonic), so tests use a FakeClock.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/status.h"

namespace ragd {

struct CircuitBreakerOptions {
  // Consecutive failed calls that open the circuit; 0 disables the breaker.
  int failure_threshold = 5;
  // How long an open circuit refuses calls before it lets a trial call through.
  std::chrono::milliseconds open_duration{30000};
};

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };
  enum class Outcome {
    kSuccess,    // the upstream answered (even with a client error such as 400)
    kFailure,    // the upstream failed: 5xx, throttling, connection error, timeout, torn stream
    kAbandoned,  // no verdict (the client cancelled): frees a trial slot, changes nothing else
  };
  // Leave to make one call; answer it with exactly one Record().
  class Permit {
   public:
    bool trial() const { return trial_; }  // the half-open trial call

   private:
    friend class CircuitBreaker;
    explicit Permit(bool trial) : trial_(trial) {}
    bool trial_ = false;
  };

  // `clock` is not owned and must outlive the breaker. `name` appears in error messages.
  CircuitBreaker(std::string name, CircuitBreakerOptions options, Clock& clock);
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // A permit when a call may go ahead, else Unavailable naming the breaker and the time left.
  StatusOr<Permit> Allow();
  void Record(const Permit& permit, Outcome outcome);

  // The state as of now (an open circuit whose time is up reports kHalfOpen).
  State state() const;
  int consecutive_failures() const;

 private:
  State StateLocked(std::chrono::steady_clock::time_point now) const;

  const std::string name_;
  const CircuitBreakerOptions options_;
  Clock& clock_;
  mutable std::mutex mu_;
  int failures_ = 0;                                  // guarded by mu_
  bool open_ = false;                                 // guarded by mu_
  std::chrono::steady_clock::time_point open_until_;  // guarded by mu_
  bool trial_in_flight_ = false;                      // guarded by mu_
};

std::string_view CircuitStateName(CircuitBreaker::State state);  // "closed", "open", "half_open"

// One breaker per key ("bedrock|https://bedrock-runtime.us-east-1.amazonaws.com"), created on
// first use with the options given then. Breakers live as long as the registry.
class CircuitBreakerRegistry {
 public:
  // `clock` is not owned and must outlive the registry.
  explicit CircuitBreakerRegistry(Clock& clock) : clock_(clock) {}
  std::shared_ptr<CircuitBreaker> Get(const std::string& key, const CircuitBreakerOptions& options);

 private:
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<CircuitBreaker>> breakers_;  // guarded by mu_
};

}  // namespace ragd
