// The stream executor: a cap with reservations, tasks on their own small-stack threads that all run
// at once, idle threads retiring, and the timer used to flush coalesced deltas.
#include "engine/stream_executor.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace ragd {
namespace {

using std::chrono::milliseconds;

// Waits until `count` parties arrived or `timeout` passed; true if all arrived.
class Rendezvous {
 public:
  explicit Rendezvous(int count) : count_(count) {}
  bool Arrive(milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (++arrived_ >= count_) cv_.notify_all();
    return cv_.wait_for(lock, timeout, [this] { return arrived_ >= count_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int count_;
  int arrived_ = 0;
};

TEST(StreamExecutorTest, ReservationsBeyondTheCapAreRefusedUntilOneIsReleased) {
  StreamExecutor executor({.max_streams = 2});
  StatusOr<StreamExecutor::Slot> a = executor.Reserve();
  StatusOr<StreamExecutor::Slot> b = executor.Reserve();
  ASSERT_TRUE(a.ok() && b.ok());
  StatusOr<StreamExecutor::Slot> c = executor.Reserve();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(executor.active(), 2);
  *a = StreamExecutor::Slot();  // an unused reservation is given back
  EXPECT_EQ(executor.active(), 1);
  EXPECT_TRUE(executor.Reserve().ok());  // (and released again at once)
  EXPECT_EQ(executor.active(), 1);
}

TEST(StreamExecutorTest, TasksRunAtOnceOnSmallStackThreadsAndHoldTheirSlotWhileRunning) {
  constexpr int kTasks = 16;
  StreamExecutor executor({.max_streams = kTasks, .stack_bytes = 256 * 1024});
  Rendezvous all_started(kTasks);
  std::atomic<int> met{0};
  std::atomic<size_t> largest_stack{0};
  for (int i = 0; i < kTasks; ++i) {
    StatusOr<StreamExecutor::Slot> slot = executor.Reserve();
    ASSERT_TRUE(slot.ok());
    executor.Run(std::move(*slot), [&] {
      pthread_attr_t attr;
      size_t stack = 0;
      if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstacksize(&attr, &stack);
        pthread_attr_destroy(&attr);
      }
      size_t seen = largest_stack.load();
      while (stack > seen && !largest_stack.compare_exchange_weak(seen, stack)) {
      }
      // Only possible if every task is running at the same time.
      if (all_started.Arrive(milliseconds(5000))) ++met;
    });
  }
  EXPECT_FALSE(executor.Reserve().ok());  // all slots are held by running tasks
  ASSERT_TRUE(executor.WaitIdle(milliseconds(10000)));
  EXPECT_EQ(met.load(), kTasks);
  EXPECT_EQ(executor.active(), 0);
  EXPECT_LE(largest_stack.load(), size_t{4 * 256 * 1024 + 64 * 1024});  // not the 8 MiB default
  EXPECT_GE(executor.threads(), 1);
}

TEST(StreamExecutorTest, IdleThreadsRetireAndAreStartedAgainOnDemand) {
  StreamExecutor executor({.max_streams = 4, .idle_retire = milliseconds(30)});
  for (int round = 0; round < 2; ++round) {
    std::atomic<bool> ran{false};
    StatusOr<StreamExecutor::Slot> slot = executor.Reserve();
    ASSERT_TRUE(slot.ok());
    executor.Run(std::move(*slot), [&] { ran = true; });
    ASSERT_TRUE(executor.WaitIdle(milliseconds(5000)));
    EXPECT_TRUE(ran.load());
    const auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
    while (executor.threads() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    EXPECT_EQ(executor.threads(), 0) << "round " << round;
  }
}

TEST(StreamExecutorTest, TimerCallbacksRunInDeadlineOrderNotBefore) {
  StreamExecutor executor;
  std::mutex mu;
  std::vector<int> order;
  std::condition_variable cv;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point first_ran;
  executor.RunAt(start + milliseconds(60), [&] {
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(2);
    cv.notify_all();
  });
  executor.RunAt(start + milliseconds(20), [&] {
    std::lock_guard<std::mutex> lock(mu);
    first_ran = std::chrono::steady_clock::now();
    order.push_back(1);
  });
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, milliseconds(5000), [&] { return order.size() == 2; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_GE(first_ran - start, milliseconds(20));
}

TEST(StreamExecutorTest, DestructionWaitsForRunningTasks) {
  std::atomic<bool> finished{false};
  {
    StreamExecutor executor;
    StatusOr<StreamExecutor::Slot> slot = executor.Reserve();
    ASSERT_TRUE(slot.ok());
    executor.Run(std::move(*slot), [&] {
      std::this_thread::sleep_for(milliseconds(50));
      finished = true;
    });
  }
  EXPECT_TRUE(finished.load());
}

}  // namespace
}  // namespace ragd
