// The retry loop and the circuit breaker on their own, with scripted attempts, a FakeClock and an
// injected sleep (nothing here waits for real).
#include "engine/providers/resilience.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <optional>
#include <set>

#include "core/clock.h"
#include "engine/providers/circuit_breaker.h"
#include "tests/engine/llm_mock_server_util.h"

namespace ragd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ResilienceRecorder;

const std::chrono::system_clock::time_point kStart{seconds(1'800'000'000)};

// Plays back one outcome per attempt; each may first deliver some deltas.
struct ScriptedAttempt {
  struct Step {
    Status status;
    std::vector<std::string> deltas;
    std::optional<milliseconds> retry_after;
  };
  std::deque<Step> steps;
  int calls = 0;

  ResilientCaller::Attempt Fn() {
    return [this](const DeltaSink& sink) {
      ++calls;
      Step step = steps.front();
      steps.pop_front();
      LlmAttemptOutcome out;
      std::string text;
      for (const std::string& d : step.deltas) {
        text += d;
        if (!sink(d)) {
          out.result = CancelledError("client went away");
          return out;
        }
      }
      if (step.status.ok()) {
        out.result = LlmResult{text, "end_turn", {}};
      } else {
        out.result = step.status;
      }
      out.retry_after = step.retry_after;
      return out;
    };
  }
};

class ResilienceTest : public ::testing::Test {
 protected:
  ResilientCaller Caller(ResilienceOptions options) {
    std::shared_ptr<CircuitBreaker> breaker =
        breakers_.Get("test|http://upstream", options.breaker);
    return ResilientCaller("test|http://upstream", std::move(options), clock_, std::move(breaker));
  }
  FakeClock clock_{kStart};
  CircuitBreakerRegistry breakers_{clock_};
  ResilienceRecorder recorder_;
};

TEST_F(ResilienceTest, RetriesUnavailableAndThrottlingThenSucceeds) {
  ScriptedAttempt script;
  script.steps = {{UnavailableError("503"), {}, {}},
                  {ResourceExhaustedError("429"), {}, {}},
                  {OkStatus(), {"fine"}, {}}};
  StatusOr<LlmResult> result = Caller(recorder_.Options()).Run(nullptr, script.Fn());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->text, "fine");
  EXPECT_EQ(script.calls, 3);
  EXPECT_EQ(recorder_.sleeps.size(), 2u);
  ASSERT_EQ(recorder_.attempts.size(), 3u);
  EXPECT_EQ(recorder_.attempts[2].attempt, 2);
  EXPECT_EQ(recorder_.attempts[0].upstream, "test|http://upstream");
}

TEST_F(ResilienceTest, GivesUpAfterMaxRetriesWithTheLastError) {
  ScriptedAttempt script;
  for (int i = 0; i < 4; ++i)
    script.steps.push_back({UnavailableError("down " + std::to_string(i)), {}, {}});
  StatusOr<LlmResult> result = Caller(recorder_.Options()).Run(nullptr, script.Fn());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(result.status().message().find("after 4 attempts"), std::string::npos);
  EXPECT_NE(result.status().message().find("down 3"), std::string::npos);
  EXPECT_EQ(script.calls, 4);
  EXPECT_FALSE(recorder_.attempts.back().will_retry);
}

TEST_F(ResilienceTest, NeverRetriesOnceADeltaWasDelivered) {
  ScriptedAttempt script;
  script.steps = {{UnavailableError("torn"), {"Hel"}, {}}, {OkStatus(), {"Hello"}, {}}};
  std::string seen;
  StatusOr<LlmResult> result = Caller(recorder_.Options())
                                   .Run(
                                       [&](std::string_view d) {
                                         seen += d;
                                         return true;
                                       },
                                       script.Fn());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(seen, "Hel");
  EXPECT_EQ(script.calls, 1);
}

TEST_F(ResilienceTest, ClientErrorsAndCancellationAreNotRetried) {
  for (const Status& status : {InvalidArgumentError("bad"), PermissionDeniedError("no"),
                               DeadlineExceededError("slow"), DataLossError("crc")}) {
    ScriptedAttempt script;
    script.steps = {{status, {}, {}}, {OkStatus(), {"x"}, {}}};
    StatusOr<LlmResult> result = Caller(recorder_.Options()).Run(nullptr, script.Fn());
    EXPECT_EQ(result.status(), status);
    EXPECT_EQ(script.calls, 1) << status.ToString();
  }
  ScriptedAttempt script;
  script.steps = {{OkStatus(), {"a", "b"}, {}}};
  StatusOr<LlmResult> result =
      Caller(recorder_.Options()).Run([](std::string_view) { return false; }, script.Fn());
  EXPECT_EQ(result.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(script.calls, 1);
}

TEST_F(ResilienceTest, BackoffIsFullJitterUnderACappedExponential) {
  ResilienceOptions options;
  options.retry.base_delay = milliseconds(100);
  options.retry.max_delay = milliseconds(1000);
  double draw = 0.999999;
  options.random = [&] { return draw; };
  ResilientCaller caller = Caller(options);
  EXPECT_EQ(caller.BackoffDelay(0), milliseconds(99));
  EXPECT_EQ(caller.BackoffDelay(1), milliseconds(199));
  EXPECT_EQ(caller.BackoffDelay(3), milliseconds(799));
  EXPECT_EQ(caller.BackoffDelay(4), milliseconds(999));   // capped
  EXPECT_EQ(caller.BackoffDelay(40), milliseconds(999));  // no overflow
  draw = 0.0;
  EXPECT_EQ(caller.BackoffDelay(3), milliseconds(0));
  draw = 0.25;
  EXPECT_EQ(caller.BackoffDelay(2), milliseconds(100));
}

TEST_F(ResilienceTest, DefaultRandomStaysWithinTheCap) {
  ResilienceOptions options;
  options.retry.base_delay = milliseconds(100);
  ResilientCaller caller = Caller(options);
  std::set<int64_t> distinct;
  for (int i = 0; i < 200; ++i) {
    const milliseconds d = caller.BackoffDelay(2);
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d.count(), 400);
    distinct.insert(d.count());
  }
  EXPECT_GT(distinct.size(), 20u);  // jittered, not constant
}

TEST_F(ResilienceTest, RetryAfterIsHonouredUpToTheLimit) {
  ResilienceOptions options = recorder_.Options();
  options.retry.max_retry_after = seconds(10);
  ScriptedAttempt script;
  script.steps = {{ResourceExhaustedError("429"), {}, seconds(7)},
                  {ResourceExhaustedError("429"), {}, seconds(11)},
                  {OkStatus(), {"never reached"}, {}}};
  StatusOr<LlmResult> result = Caller(options).Run(nullptr, script.Fn());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(script.calls, 2);
  EXPECT_EQ(recorder_.sleeps, (std::vector<milliseconds>{seconds(7)}));
}

TEST_F(ResilienceTest, WithoutAnInjectedSleepTheClockSleeps) {
  ResilienceOptions options;
  options.retry.base_delay = milliseconds(1000);
  options.random = [] { return 0.5; };
  ScriptedAttempt script;
  script.steps = {{UnavailableError("x"), {}, {}}, {OkStatus(), {"y"}, {}}};
  const auto before = clock_.Monotonic();
  ASSERT_TRUE(Caller(options).Run(nullptr, script.Fn()).ok());
  EXPECT_EQ(clock_.Monotonic() - before, milliseconds(500));  // FakeClock advanced, no real wait
}

TEST_F(ResilienceTest, ParseRetryAfterForms) {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "3"}}, now), seconds(3));
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "Wed, 21 Oct 2015 07:28:30 GMT"}}, now), seconds(30));
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "Wed, 21 Oct 2015 07:00:00 GMT"}}, now),
            milliseconds(0));  // in the past: retry now
  EXPECT_EQ(ParseRetryAfter({{"retry-after-ms", "1500"}, {"retry-after", "2"}}, now),
            milliseconds(1500));
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "soon"}}, now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "-1"}}, now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter({}, now), std::nullopt);
}

TEST_F(ResilienceTest, EstimatedUsageCountsPromptAndAnswer) {
  LlmRequest request;
  request.system = std::string(40, 's');
  request.messages = {{LlmMessage::Role::kUser, std::string(8, 'u')}};
  const LlmUsage usage = EstimateUsage(request, std::string(9, 'a'));
  EXPECT_EQ(usage.input_tokens, 10 + 2 + 4);
  EXPECT_EQ(usage.output_tokens, 3);
}

class CircuitBreakerTest : public ::testing::Test {
 protected:
  FakeClock clock_{kStart};
  CircuitBreaker breaker_{"bedrock|https://x", CircuitBreakerOptions{}, clock_};

  void Fail() {
    StatusOr<CircuitBreaker::Permit> permit = breaker_.Allow();
    ASSERT_TRUE(permit.ok());
    breaker_.Record(*permit, CircuitBreaker::Outcome::kFailure);
  }
  void Succeed() {
    StatusOr<CircuitBreaker::Permit> permit = breaker_.Allow();
    ASSERT_TRUE(permit.ok());
    breaker_.Record(*permit, CircuitBreaker::Outcome::kSuccess);
  }
};

TEST_F(CircuitBreakerTest, OpensAfterFiveConsecutiveFailures) {
  for (int i = 0; i < 4; ++i) Fail();
  Succeed();  // resets the streak
  for (int i = 0; i < 4; ++i) Fail();
  EXPECT_EQ(breaker_.state(), CircuitBreaker::State::kClosed);
  Fail();
  EXPECT_EQ(breaker_.state(), CircuitBreaker::State::kOpen);
  StatusOr<CircuitBreaker::Permit> refused = breaker_.Allow();
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("next trial in 30 s"), std::string::npos);
}

TEST_F(CircuitBreakerTest, HalfOpensAfterThirtySecondsWithOneTrialAtATime) {
  for (int i = 0; i < 5; ++i) Fail();
  clock_.Advance(seconds(29) + milliseconds(999));
  EXPECT_FALSE(breaker_.Allow().ok());
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(breaker_.state(), CircuitBreaker::State::kHalfOpen);
  StatusOr<CircuitBreaker::Permit> trial = breaker_.Allow();
  ASSERT_TRUE(trial.ok());
  EXPECT_TRUE(trial->trial());
  EXPECT_FALSE(breaker_.Allow().ok());  // a second caller waits for the trial's verdict
  breaker_.Record(*trial, CircuitBreaker::Outcome::kSuccess);
  EXPECT_EQ(breaker_.state(), CircuitBreaker::State::kClosed);
  EXPECT_EQ(breaker_.consecutive_failures(), 0);
  EXPECT_TRUE(breaker_.Allow().ok());
}

TEST_F(CircuitBreakerTest, FailedTrialReopensForAnotherPeriod) {
  for (int i = 0; i < 5; ++i) Fail();
  clock_.Advance(seconds(30));
  Fail();  // the trial
  EXPECT_EQ(breaker_.state(), CircuitBreaker::State::kOpen);
  clock_.Advance(seconds(29));
  EXPECT_FALSE(breaker_.Allow().ok());
  clock_.Advance(seconds(1));
  EXPECT_TRUE(breaker_.Allow().ok());
}

TEST_F(CircuitBreakerTest, AbandonedTrialFreesTheSlotWithoutAVerdict) {
  for (int i = 0; i < 5; ++i) Fail();
  clock_.Advance(seconds(30));
  StatusOr<CircuitBreaker::Permit> trial = breaker_.Allow();
  ASSERT_TRUE(trial.ok());
  breaker_.Record(*trial, CircuitBreaker::Outcome::kAbandoned);
  EXPECT_EQ(breaker_.state(), CircuitBreaker::State::kHalfOpen);
  StatusOr<CircuitBreaker::Permit> next = breaker_.Allow();
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->trial());
}

TEST_F(CircuitBreakerTest, RegistrySharesOneBreakerPerKey) {
  CircuitBreakerRegistry registry(clock_);
  auto a = registry.Get("bedrock|https://a", {});
  EXPECT_EQ(a, registry.Get("bedrock|https://a", {}));
  EXPECT_NE(a, registry.Get("openai|https://a", {}));
}

TEST_F(ResilienceTest, OpenCircuitFailsFastWithoutCallingTheUpstream) {
  ResilienceOptions options = recorder_.Options();
  options.retry.max_retries = 0;
  options.breaker.failure_threshold = 2;
  options.breaker.open_duration = seconds(10);
  ResilientCaller caller = Caller(options);
  ScriptedAttempt script;
  script.steps = {{UnavailableError("a"), {}, {}},
                  {ResourceExhaustedError("b"), {}, {}},
                  {OkStatus(), {"after"}, {}}};
  EXPECT_FALSE(caller.Run(nullptr, script.Fn()).ok());
  EXPECT_FALSE(caller.Run(nullptr, script.Fn()).ok());
  StatusOr<LlmResult> refused = caller.Run(nullptr, script.Fn());
  EXPECT_NE(refused.status().message().find("circuit open"), std::string::npos);
  EXPECT_EQ(script.calls, 2);
  clock_.Advance(seconds(10));
  ASSERT_TRUE(caller.Run(nullptr, script.Fn()).ok());
  EXPECT_EQ(caller.breaker().state(), CircuitBreaker::State::kClosed);
}

TEST_F(ResilienceTest, ClientErrorsDoNotOpenTheCircuit) {
  ResilienceOptions options = recorder_.Options();
  options.breaker.failure_threshold = 2;
  ResilientCaller caller = Caller(options);
  for (int i = 0; i < 5; ++i) {
    ScriptedAttempt script;
    script.steps = {{InvalidArgumentError("bad prompt"), {}, {}}};
    EXPECT_EQ(caller.Run(nullptr, script.Fn()).status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(caller.breaker().state(), CircuitBreaker::State::kClosed);
}

TEST_F(ResilienceTest, CancelDuringBackoffEndsTheCallWithoutWaitingOutThePause) {
  ScriptedAttempt script;
  script.steps = {{UnavailableError("503"), {}, milliseconds(5000)}, {OkStatus(), {"late"}, {}}};
  ResilienceOptions options = recorder_.Options();
  int slept = 0;
  options.sleep = [&slept](milliseconds d) { slept += static_cast<int>(d.count()); };
  bool gone = false;
  // The client leaves 300 ms into the 5 s Retry-After pause.
  StatusOr<LlmResult> result = Caller(options).Run(nullptr, script.Fn(), [&] {
    if (slept >= 300) gone = true;
    return gone;
  });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCancelled) << result.status().ToString();
  EXPECT_EQ(script.calls, 1);  // no second attempt for a client that is gone
  EXPECT_EQ(slept, 300);       // the pause was cut short at the first poll after the cancel
}

TEST_F(ResilienceTest, CancelledCallerMakesNoAttemptAndWithoutCancelThePauseIsWhole) {
  ScriptedAttempt script;
  script.steps = {{UnavailableError("503"), {}, milliseconds(5000)}, {OkStatus(), {"ok"}, {}}};
  StatusOr<LlmResult> cancelled =
      Caller(recorder_.Options()).Run(nullptr, script.Fn(), [] { return true; });
  EXPECT_EQ(cancelled.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(script.calls, 0);

  StatusOr<LlmResult> result =
      Caller(recorder_.Options()).Run(nullptr, script.Fn(), [] { return false; });
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->text, "ok");
  milliseconds total{0};
  for (milliseconds d : recorder_.sleeps) total += d;
  EXPECT_EQ(total, milliseconds(5000));
}

}  // namespace
}  // namespace ragd
