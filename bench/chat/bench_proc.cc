// The benchmarks' child processes (ragd, Node mocks), /proc readings, statistics and flags.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>
#include <thread>

#include "bench/chat/bench_util.h"

namespace ragd::bench {
namespace {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const std::vector<std::string>& argv,
                                                            const std::vector<std::string>& env,
                                                            const std::string& stdout_path,
                                                            const std::string& stderr_path,
                                                            bool stdin_pipe) {
  auto child = std::make_unique<ChildProcess>();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int pipe_fds[2] = {-1, -1};
  if (stdin_pipe) {
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return UnavailableError("pipe failed");
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  const std::string out = stdout_path.empty() ? "/dev/null" : stdout_path;
  const std::string err = stderr_path.empty() ? "/dev/null" : stderr_path;
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (std::string& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> envs = env;
  std::vector<char*> cenv;
  for (std::string& e : envs) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  const int rc = posix_spawnp(&child->pid_, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  if (stdin_pipe) {
    ::close(pipe_fds[0]);
    child->stdin_fd_ = pipe_fds[1];
  }
  if (rc != 0) {
    child->pid_ = -1;
    return UnavailableError("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  return child;
}

ChildProcess::~ChildProcess() {
  if (Stop(SIGTERM) < 0) Stop(SIGKILL, std::chrono::seconds(5));
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
}

bool ChildProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int ChildProcess::Stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return 0;
  if (stdin_fd_ >= 0) {
    ::close(stdin_fd_);
    stdin_fd_ = -1;
  }
  ::kill(pid_, signal);
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

StatusOr<std::string> WaitForFile(const std::string& path,
                                  const std::function<std::string(const std::string&)>& pred,
                                  std::chrono::milliseconds timeout, ChildProcess* child) {
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    std::string found = pred(ReadWholeFile(path));
    if (!found.empty()) return found;
    if (child != nullptr && !child->Running()) {
      return UnavailableError("the process exited; its output: " + ReadWholeFile(path));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return DeadlineExceededError("timed out waiting for " + path);
}

StatusOr<RagdServer> StartRagd(const RagdOptions& options) {
  std::vector<std::string> argv = {
      options.binary, "serve",          "--server-port",    "0",
      "--data-dir",   options.data_dir, "--auth-admin-key", options.admin_key};
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  RagdServer server;
  RAGD_ASSIGN_OR_RETURN(
      server.process,
      ChildProcess::Spawn(argv, {"PATH=/usr/bin:/bin", "HOME=/tmp"}, "", options.log_path));
  auto listening = [](const std::string& text) -> std::string {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object() && j.value("msg", "") == "listening") {
        return j.value("url", "");
      }
    }
    return "";
  };
  // Opening a large index (100k vectors) is part of startup: allow a few minutes.
  RAGD_ASSIGN_OR_RETURN(
      server.base_url,
      WaitForFile(options.log_path, listening, std::chrono::minutes(5), server.process.get()));
  RAGD_ASSIGN_OR_RETURN(server.url, ParseUrl(server.base_url));
  return server;
}

StatusOr<NodeMock> StartNodeMock(const std::string& script, const std::string& work_dir,
                                 const std::string& name) {
  NodeMock mock;
  const std::string out = work_dir + "/" + name + ".out";
  RAGD_ASSIGN_OR_RETURN(mock.process,
                        ChildProcess::Spawn({"node", script}, {"PATH=/usr/local/bin:/usr/bin:/bin"},
                                            out, work_dir + "/" + name + ".err",
                                            /*stdin_pipe=*/true));
  auto port = [](const std::string& text) -> std::string {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.contains("port")) return "";
    return std::to_string(j["port"].get<int>());
  };
  RAGD_ASSIGN_OR_RETURN(std::string p,
                        WaitForFile(out, port, std::chrono::seconds(20), mock.process.get()));
  mock.port = std::stoi(p);
  return mock;
}

int64_t ProcessCpuNanos(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -1;
  int64_t total = 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(dir + "/" + e->d_name + "/schedstat");
    long long ns = 0;
    if (in >> ns) total += ns;
  }
  ::closedir(d);
  return total;
}

double ProcessCpuSeconds(pid_t pid) {
  const std::string stat = ReadWholeFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream in(stat.substr(paren + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

int64_t ProcStatusField(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atoll(line.c_str() + field.size() + 1);
  }
  return -1;
}

std::string LoadAverage() {
  std::istringstream in(ReadWholeFile("/proc/loadavg"));
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string MachineDescription() {
  std::istringstream cpuinfo(ReadWholeFile("/proc/cpuinfo"));
  std::string line, model;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname u{};
  ::uname(&u);
  return std::to_string(std::thread::hardware_concurrency()) + " cores, " + model + ", kernel " +
         u.release;
}

void RaiseFileLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

double Mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

std::string Fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  return buf;
}

Flags::Flags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (name.rfind("--", 0) != 0) {
      values_["<positional " + name + ">"] = "";
      continue;
    }
    name = name.substr(2);
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      values_[name.substr(0, eq)] = name.substr(eq + 1);
    } else if (i + 1 < argc) {
      values_[name] = argv[++i];
    } else {
      values_[name] = "";
    }
  }
}

std::string Flags::Get(const std::string& name, const std::string& fallback) {
  used_[name] = true;
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

int Flags::GetInt(const std::string& name, int fallback) {
  const std::string v = Get(name, "");
  return v.empty() ? fallback : std::atoi(v.c_str());
}

std::vector<std::string> Flags::Unused() const {
  std::vector<std::string> out;
  for (const auto& [name, value] : values_) {
    if (!used_.count(name)) out.push_back(name);
  }
  return out;
}

}  // namespace ragd::bench
