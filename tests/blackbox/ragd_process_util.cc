#include "tests/blackbox/ragd_process_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace ragd::testing {
namespace {

std::vector<std::string> EnvStrings(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out = {"PATH=/usr/bin:/bin", "HOME=/tmp"};
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

// posix_spawn with stdout/stderr redirected; returns the pid.
pid_t Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            int stdout_fd, int stderr_fd) {
  std::vector<std::string> argv_s = {RAGD_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = EnvStrings(env);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

CommandResult RunRagd(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env) {
  TempDir dir;
  const std::string out_path = dir.path() + "/out", err_path = dir.path() + "/err";
  const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  CommandResult result;
  const pid_t pid = Spawn(args, env, out_fd, err_fd);
  ::close(out_fd);
  ::close(err_fd);
  if (pid < 0) return result;
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ragd_bb_XXXXXX").string();
  path_ = ::mkdtemp(tmpl.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RagdServer::RagdServer(const std::string& data_dir, const std::vector<std::string>& extra,
                       const std::map<std::string, std::string>& env) {
  log_path_ = data_dir + ".log";
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return;
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> args = {"serve", "--server-port", "0", "--data-dir", data_dir};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = Spawn(args, env, pipe_fds[1], log_fd);
  ::close(pipe_fds[1]);
  ::close(log_fd);
  stdout_fd_ = pipe_fds[0];
  ::fcntl(stdout_fd_, F_SETFL, O_NONBLOCK);
  // The "listening" log line carries the URL (the port was picked by the kernel).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && pid_ > 0) {
    std::istringstream lines(ReadFile(log_path_));
    std::string line;
    while (std::getline(lines, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("msg", "") == "listening") {
        base_url_ = j.value("url", "");
        return;
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

RagdServer::~RagdServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  std::error_code ec;
  std::filesystem::remove(log_path_, ec);
}

const std::string& RagdServer::stdout_text() {
  char buf[4096];
  while (true) {
    pollfd p{stdout_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) break;
    const ssize_t n = ::read(stdout_fd_, buf, sizeof(buf));
    if (n <= 0) break;
    stdout_.append(buf, static_cast<size_t>(n));
  }
  return stdout_;
}

std::string RagdServer::stderr_text() const { return ReadFile(log_path_); }

std::string RagdServer::WaitForStderr(std::string_view needle, int count, int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    std::string log = ReadFile(log_path_);
    int found = 0;
    for (size_t at = log.find(needle); at != std::string::npos && found < count;
         at = log.find(needle, at + needle.size())) {
      ++found;
    }
    if (found >= count || std::chrono::steady_clock::now() >= deadline) return log;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int RagdServer::StopWith(int signal, int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

StatusOr<HttpResponse> Send(const std::string& method, const std::string& url,
                            const std::string& body, const std::string& key, HttpHeaders headers) {
  static auto transport = NewCurlTransport();
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.headers = std::move(headers);
  if (!key.empty()) req.headers.emplace_back("Authorization", "Bearer " + key);
  if (!body.empty() && !FindHeader(req.headers, "content-type")) {
    req.headers.emplace_back("Content-Type", "application/json");
  }
  return transport->Send(req);
}

StatusOr<HttpResponse> Get(const std::string& url, const std::string& key, HttpHeaders headers) {
  return Send("GET", url, "", key, std::move(headers));
}

}  // namespace ragd::testing
