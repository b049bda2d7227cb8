#include "tests/engine/llm_mock_server_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace ragd::testing {
namespace {

std::string FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path == nullptr ? "" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string JsDir() {
  const char* env = std::getenv("RAGD_SOURCE_DIR");
  return std::string(env != nullptr ? env : RAGD_SOURCE_DIR) + "/tests/js";
}

// Reads one line from `fd` within `timeout`; false on EOF or timeout.
bool ReadLine(int fd, std::chrono::milliseconds timeout, std::string* line) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char c = 0;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    if (read(fd, &c, 1) <= 0) return false;
    if (c == '\n') return true;
    line->push_back(c);
  }
}

}  // namespace

std::unique_ptr<LlmMockServer> LlmMockServer::Start(const std::string& script, std::string* error) {
  const std::string node = FindOnPath("node");
  if (node.empty()) {
    *error =
        "node is not on PATH; install Node.js (Debian: apt-get install nodejs) and run "
        "`npm ci --prefix tests/js`";
    return nullptr;
  }
  const std::string js = JsDir();
  for (const char* module :
       {"@smithy/signature-v4", "@smithy/eventstream-codec", "@smithy/protocol-http",
        "@smithy/util-utf8", "@aws-crypto/sha256-js"}) {
    if (!std::filesystem::exists(js + "/node_modules/" + module + "/package.json")) {
      *error = js + "/node_modules/" + module + " is missing: run `npm ci --prefix tests/js`";
      return nullptr;
    }
  }
  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) {
    *error = "pipe() failed";
    return nullptr;
  }
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    *error = "pipe() failed";
    return nullptr;
  }
  const std::string stderr_path =
      ::testing::TempDir() + "ragd_llm_mock_" + std::to_string(getpid()) + "_" + script + ".log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  const std::string path = js + "/" + script;
  std::vector<char*> argv = {const_cast<char*>(node.c_str()), const_cast<char*>(path.c_str()),
                             nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, node.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  std::unique_ptr<LlmMockServer> server(new LlmMockServer());
  server->stdin_fd_ = in_pipe[1];
  server->stderr_path_ = stderr_path;
  if (rc != 0) {
    close(out_pipe[0]);
    *error = "posix_spawn of node failed";
    return nullptr;
  }
  server->pid_ = pid;
  std::string line;
  const bool got = ReadLine(out_pipe[0], std::chrono::seconds(30), &line);
  close(out_pipe[0]);
  nlohmann::json info = got ? nlohmann::json::parse(line, nullptr, false) : nlohmann::json();
  if (!info.is_object() || !info.contains("port")) {
    std::ifstream err(stderr_path);
    *error = script + " did not report its port; stderr: " +
             std::string(std::istreambuf_iterator<char>(err), {});
    return nullptr;  // the destructor closes stdin and reaps the child
  }
  server->port_ = info["port"].get<int>();
  server->transport_ = NewCurlTransport();
  return server;
}

LlmMockServer::~LlmMockServer() {
  transport_.reset();
  if (stdin_fd_ >= 0) close(stdin_fd_);  // the script's cue to exit
  if (pid_ > 0) {
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 100 && !exited; ++i) {
      exited = waitpid(pid_, &status, WNOHANG) == pid_;
      if (!exited) usleep(20 * 1000);
    }
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
  if (!stderr_path_.empty()) unlink(stderr_path_.c_str());
}

nlohmann::json LlmMockServer::Control(const std::string& method, const std::string& path,
                                      const std::string& body) {
  HttpRequest request;
  request.method = method;
  request.url = base_url() + path;
  request.body = body;
  if (!body.empty()) request.headers = {{"Content-Type", "application/json"}};
  StatusOr<HttpResponse> response = transport_->Send(request);
  EXPECT_TRUE(response.ok()) << method << " " << path << ": " << response.status().ToString();
  if (!response.ok()) return nlohmann::json();
  EXPECT_EQ(response->status, 200) << method << " " << path << ": " << response->body;
  return nlohmann::json::parse(response->body, nullptr, false);
}

void LlmMockServer::Configure(const nlohmann::json& config) {
  Control("POST", "/__mock/config", config.dump());
}
void LlmMockServer::Script(const nlohmann::json& scenarios) {
  Control("POST", "/__mock/script", scenarios.dump());
}
nlohmann::json LlmMockServer::Log() { return Control("GET", "/__mock/log", ""); }
void LlmMockServer::Reset() { Control("DELETE", "/__mock/log", ""); }

nlohmann::json LlmMockServer::WaitForLog(const std::function<bool(const nlohmann::json&)>& done,
                                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json log = Log();
  while (!done(log) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    log = Log();
  }
  return log;
}

ResilienceOptions ResilienceRecorder::Options() {
  ResilienceOptions options;
  options.retry.base_delay = std::chrono::milliseconds(1);
  options.sleep = [this](std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> lock(mu);
    sleeps.push_back(d);
  };
  options.random = [] { return 0.5; };
  options.on_attempt = [this](const LlmAttemptReport& report) {
    std::lock_guard<std::mutex> lock(mu);
    attempts.push_back(report);
  };
  return options;
}

LlmRequest SimpleLlmRequest(const std::string& model_id, const std::string& question) {
  LlmRequest request;
  request.model_id = model_id;
  request.system = "Answer from the numbered sources only.";
  request.messages = {{LlmMessage::Role::kUser, question}};
  request.generation.max_tokens = 256;
  request.generation.temperature = 0.1;
  request.generation.top_p = 0.8;
  request.generation.stop_sequences = {"\n\nHuman:"};
  request.question = question;
  return request;
}

}  // namespace ragd::testing
