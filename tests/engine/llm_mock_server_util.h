// Test helpers for the remote LLM providers: the Node mock peers (tests/js/bedrock_mock.js,
// tests/js/openai_mock.js) as child processes on a loopback port, and small recorders.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/http_client.h"
#include "engine/llm_provider.h"
#include "engine/providers/resilience.h"

namespace ragd::testing {

// A mock peer: `node tests/js/<script>`. The child exits when this object closes its stdin
// (destructor) or when the test process dies.
class LlmMockServer {
 public:
  // Starts node on PATH; nullptr and *error (saying what is missing: node, or
  // tests/js/node_modules -> `npm ci --prefix tests/js`) when it cannot. Never skips.
  static std::unique_ptr<LlmMockServer> Start(const std::string& script, std::string* error);
  ~LlmMockServer();
  LlmMockServer(const LlmMockServer&) = delete;
  LlmMockServer& operator=(const LlmMockServer&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The control endpoints (see the scripts' headers). Failures are gtest failures.
  void Configure(const nlohmann::json& config);
  void Script(const nlohmann::json& scenarios);  // a JSON array
  nlohmann::json Log();
  void Reset();  // clears the log and the queued scenarios
  // Polls the log until `done(log)` holds or `timeout` passes; returns the last log seen.
  nlohmann::json WaitForLog(const std::function<bool(const nlohmann::json&)>& done,
                            std::chrono::milliseconds timeout);

 private:
  LlmMockServer() = default;
  nlohmann::json Control(const std::string& method, const std::string& path,
                         const std::string& body);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string stderr_path_;
  int port_ = 0;
  std::unique_ptr<HttpTransport> transport_;
};

// Collects deltas; returns false (cancels) once `cancel_after` deltas arrived (< 0: never).
class DeltaRecorder {
 public:
  explicit DeltaRecorder(int cancel_after = -1) : cancel_after_(cancel_after) {}
  DeltaSink Sink() {
    return [this](std::string_view delta) {
      std::lock_guard<std::mutex> lock(mu_);
      deltas_.emplace_back(delta);
      return cancel_after_ < 0 || static_cast<int>(deltas_.size()) < cancel_after_;
    };
  }
  std::vector<std::string> deltas() const {
    std::lock_guard<std::mutex> lock(mu_);
    return deltas_;
  }
  std::string text() const {
    std::string all;
    for (const std::string& d : deltas()) all += d;
    return all;
  }

 private:
  const int cancel_after_;
  mutable std::mutex mu_;
  std::vector<std::string> deltas_;
};

// Records the sleeps and attempts the resilience layer asks for, without sleeping.
struct ResilienceRecorder {
  std::mutex mu;
  std::vector<std::chrono::milliseconds> sleeps;
  std::vector<LlmAttemptReport> attempts;

  // Options with these hooks, 1 ms base backoff and a fixed jitter draw of 0.5.
  ResilienceOptions Options();
};

// A user turn with a system prompt, for the provider tests.
LlmRequest SimpleLlmRequest(const std::string& model_id, const std::string& question);

}  // namespace ragd::testing
