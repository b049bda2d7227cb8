// The buffered log output: whole lines in order from many threads, nothing lost by FlushLog or
// exit, warn/error lines written at once, and a stuck output drops (and reports) lines instead of
// blocking the caller.
#include "core/log_output.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/log_fields.h"

namespace ragd {
namespace {

using namespace std::chrono_literals;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "ragd_" + name + "_" + std::to_string(::getpid());
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<nlohmann::json> ParseLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not a whole JSON line: " << line;
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

// Sends the log output to a fresh file for the test's lifetime.
class LogFile {
 public:
  explicit LogFile(const std::string& name) : path_(TempPath(name)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    SetLogFd(fd_);
  }
  ~LogFile() {
    SetLogFd(2);
    ::close(fd_);
    std::remove(path_.c_str());
  }
  std::string Text() const { return ReadAll(path_); }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(LogOutputTest, LinesFromManyThreadsAreWholeInOrderAndAllFlushed) {
  LogFile file("log_threads");
  constexpr int kThreads = 8, kLines = 2000;
  const std::string pad(300, 'p');  // long lines make torn writes visible
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kLines; ++i) {
        LogFields fields;
        fields.Int("t", t).Int("i", i).Str("pad", pad);
        Log(LogLevel::kInfo, "r-" + std::to_string(t), "line", fields);
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(FlushLog());
  std::map<int, int> next;  // thread -> next expected i
  int count = 0;
  for (const auto& j : ParseLines(file.Text())) {
    if (j.value("msg", "") != "line") continue;
    const int t = j["t"], i = j["i"];
    EXPECT_EQ(i, next[t]) << "thread " << t << " out of order";
    next[t] = i + 1;
    EXPECT_EQ(j["request_id"], "r-" + std::to_string(t));
    EXPECT_EQ(j["pad"], pad);
    ++count;
  }
  EXPECT_EQ(count, kThreads * kLines);
}

TEST(LogOutputTest, WarnAndErrorLinesAreWrittenBeforeLogReturns) {
  LogFile file("log_warn");
  Logger("r-w").Warn("disk almost full", {{"free_mb", 12}});
  // No FlushLog: the line must already be in the file.
  const auto lines = ParseLines(file.Text());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["msg"], "disk almost full");
  EXPECT_EQ(lines[0]["level"], "warn");
}

TEST(LogOutputTest, EverythingLoggedBeforeExitIsWritten) {
  // "threadsafe" re-executes the test binary for the child, so the child starts its own writer
  // thread (a forked child has none and would write directly). The path travels in the
  // environment because the child runs this body again with another pid.
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  const char* inherited = std::getenv("RAGD_LOG_EXIT_TEST_PATH");
  const std::string path = inherited != nullptr ? inherited : TempPath("log_exit");
  ::setenv("RAGD_LOG_EXIT_TEST_PATH", path.c_str(), 1);
  // The child's log output is a pipe that a thread starts copying into the file only after
  // 300 ms, so at exit() most lines are still buffered or in flight. The exit handler must write
  // them all; the copier is joined by an atexit handler registered before the first log line, so
  // it runs after the log's own handler.
  EXPECT_EXIT(
      {
        static int pipe_fds[2];
        static int file_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (::pipe(pipe_fds) != 0) std::_Exit(3);
        static std::thread copier([] {
          std::this_thread::sleep_for(300ms);
          char buf[65536];
          ssize_t n;
          while ((n = ::read(pipe_fds[0], buf, sizeof(buf))) > 0) {
            if (::write(file_fd, buf, static_cast<size_t>(n)) != n) std::_Exit(4);
          }
        });
        std::atexit([] {
          ::close(pipe_fds[1]);
          copier.join();
        });
        SetLogFd(pipe_fds[1]);
        for (int i = 0; i < 5000; ++i) {
          LogFields fields;
          fields.Int("i", i).Str("pad", std::string(100, 'p'));
          Log(LogLevel::kInfo, "-", "before exit", fields);
        }
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  ::unsetenv("RAGD_LOG_EXIT_TEST_PATH");
  ::testing::FLAGS_gtest_death_test_style = "fast";
  const auto lines = ParseLines(ReadAll(path));
  std::remove(path.c_str());
  ASSERT_EQ(lines.size(), 5000u);
  EXPECT_EQ(lines.back()["i"], 4999);
}

TEST(LogOutputTest, StuckOutputDropsLinesWithoutBlockingAndReportsThem) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  SetLogFd(pipe_fds[1]);
  SetLogBufferLimit(64 * 1024);
  const uint64_t dropped_before = LogLinesDropped();
  // Nobody reads the pipe: once it and the buffer are full, lines must be dropped, not block.
  const auto start = std::chrono::steady_clock::now();
  int logged = 0;
  while (LogLinesDropped() < dropped_before + 100 && logged < 200000) {
    LogFields fields;
    fields.Int("n", logged++).Str("pad", std::string(200, 'x'));
    Log(LogLevel::kInfo, "-", "filler", fields);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const uint64_t dropped = LogLinesDropped() - dropped_before;
  EXPECT_GE(dropped, 100u);
  EXPECT_LT(elapsed, 2s) << "a stuck output must not block callers";

  // Drain the pipe: the writer recovers, writes what it holds and reports the drops.
  std::string received;
  std::thread reader([&] {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(pipe_fds[0], buf, sizeof(buf));
      if (n <= 0) break;
      received.append(buf, static_cast<size_t>(n));
    }
  });
  EXPECT_TRUE(FlushLog());
  Logger().Info("after recovery");  // the buffer has room again: not dropped
  EXPECT_TRUE(FlushLog());
  SetLogFd(2);
  SetLogBufferLimit(8 << 20);
  ::close(pipe_fds[1]);
  reader.join();
  ::close(pipe_fds[0]);

  uint64_t reported = 0;
  int fillers = 0;
  bool recovered = false;
  for (const auto& j : ParseLines(received)) {
    if (j["msg"] == "filler") ++fillers;
    if (j["msg"] == "after recovery") recovered = true;
    if (j.contains("dropped")) {
      EXPECT_EQ(j["level"], "warn");
      reported += j["dropped"].get<uint64_t>();
    }
  }
  EXPECT_TRUE(recovered);
  EXPECT_EQ(reported, dropped);
  EXPECT_EQ(static_cast<uint64_t>(fillers) + dropped, static_cast<uint64_t>(logged));
}

}  // namespace
}  // namespace ragd
