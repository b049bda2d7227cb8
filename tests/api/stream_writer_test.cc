// SSE delta coalescing: the first delta goes out at once, a burst becomes one event with exactly
// the same text, a pause of the model never holds text back, and other events flush held deltas
// first.
#include "api/stream_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

namespace ragd {
namespace {

using std::chrono::milliseconds;

class RecordingSink final : public StreamSink {
 public:
  bool Write(std::string data) override {
    std::lock_guard<std::mutex> lock(mu_);
    writes_.push_back(std::move(data));
    cv_.notify_all();
    return !cancelled_;
  }
  void Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++closes_;
  }
  bool Cancelled() const override { return cancelled_; }

  void Cancel() { cancelled_ = true; }
  std::vector<std::string> writes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return writes_;
  }
  bool WaitForWrites(size_t n, milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return writes_.size() >= n; });
  }
  int closes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closes_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> writes_;
  int closes_ = 0;
  std::atomic<bool> cancelled_{false};
};

struct Event {
  std::string name;
  nlohmann::json data;
};

// Parses every event in the concatenation of `writes`.
std::vector<Event> Events(const std::vector<std::string>& writes) {
  std::string all;
  for (const std::string& w : writes) all += w;
  std::vector<Event> out;
  size_t at = 0;
  while (at < all.size()) {
    const size_t end = all.find("\n\n", at);
    if (end == std::string::npos) break;
    const std::string block = all.substr(at, end - at);
    at = end + 2;
    Event e;
    const size_t nl = block.find('\n');
    e.name = block.substr(7, nl - 7);                                      // "event: <name>"
    e.data = nlohmann::json::parse(block.substr(nl + 7), nullptr, false);  // "data: <json>"
    out.push_back(std::move(e));
  }
  return out;
}

std::string DeltaText(const std::vector<Event>& events) {
  std::string text;
  for (const Event& e : events) {
    if (e.name == "delta") text += e.data["text"].get<std::string>();
  }
  return text;
}

TEST(SseTurnWriterTest, FirstDeltaIsWrittenAtOnceAndABurstBecomesOneEventWithTheSameText) {
  StreamExecutor timers;
  auto sink = std::make_shared<RecordingSink>();
  auto writer = SseTurnWriter::Create(sink, &timers, {.interval = milliseconds(5000)});
  ASSERT_TRUE(writer->Event("sources", R"({"sources":[]})"));
  ASSERT_TRUE(writer->Delta("Héllo"));
  EXPECT_EQ(sink->writes().size(), 2u);  // no waiting for the first token
  const std::vector<std::string> burst = {",", " wörld", " [1]", "\n", "\"quoted\"", "."};
  for (const std::string& d : burst) ASSERT_TRUE(writer->Delta(d));
  EXPECT_EQ(sink->writes().size(), 2u);  // held: the interval has not passed
  ASSERT_TRUE(writer->Event("done", R"({"status":"complete"})"));
  writer->Close();
  const std::vector<std::string> writes = sink->writes();
  ASSERT_EQ(writes.size(), 3u);  // the held burst and `done` went out together
  const std::vector<Event> events = Events(writes);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].name, "sources");
  EXPECT_EQ(events[1].name, "delta");
  EXPECT_EQ(events[2].name, "delta");
  EXPECT_EQ(events[3].name, "done");
  EXPECT_EQ(DeltaText(events), "Héllo, wörld [1]\n\"quoted\".");
  EXPECT_EQ(sink->closes(), 1);
}

TEST(SseTurnWriterTest, HeldTextIsFlushedWhenTheModelPauses) {
  StreamExecutor timers;
  auto sink = std::make_shared<RecordingSink>();
  auto writer = SseTurnWriter::Create(sink, &timers, {.interval = milliseconds(30)});
  ASSERT_TRUE(writer->Delta("a"));
  ASSERT_TRUE(writer->Delta("b"));
  ASSERT_TRUE(writer->Delta("c"));
  // No further delta: the timer writes "bc" shortly after the interval.
  ASSERT_TRUE(sink->WaitForWrites(2, milliseconds(5000)));
  const std::vector<Event> events = Events(sink->writes());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].data["text"], "bc");
  // Deltas after a pause longer than the interval go out at once again.
  std::this_thread::sleep_for(milliseconds(40));
  ASSERT_TRUE(writer->Delta("d"));
  EXPECT_EQ(sink->writes().size(), 3u);
  writer->Close();
  EXPECT_EQ(DeltaText(Events(sink->writes())), "abcd");
}

TEST(SseTurnWriterTest, ManyBytesAreNotHeldAndACancelledClientStopsTheTurn) {
  StreamExecutor timers;
  auto sink = std::make_shared<RecordingSink>();
  auto writer =
      SseTurnWriter::Create(sink, &timers, {.interval = milliseconds(10'000), .max_bytes = 64});
  ASSERT_TRUE(writer->Delta("first"));
  std::string expected = "first";
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(writer->Delta("0123456789"));
    expected += "0123456789";
  }
  EXPECT_GE(sink->writes().size(), 3u);  // 200 bytes in 64-byte flushes, without the timer
  EXPECT_LE(sink->writes().size(), 5u);
  sink->Cancel();
  EXPECT_FALSE(writer->Delta("more"));
  writer->Close();
  EXPECT_EQ(DeltaText(Events(sink->writes())), expected);
  EXPECT_EQ(sink->closes(), 1);
}

}  // namespace
}  // namespace ragd
