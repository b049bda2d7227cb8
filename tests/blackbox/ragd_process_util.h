// Black-box helpers: run the real `ragd` binary (RAGD_BINARY) with a clean environment, a fresh
// data directory and a free loopback port, and talk to it over HTTP.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/http_client.h"

namespace ragd::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `ragd args...` to completion with exactly `env` as its environment.
CommandResult RunRagd(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {});

// A temporary directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class RagdServer {
 public:
  // Starts `ragd serve --server-port 0 --data-dir <data_dir> extra...` and waits for it to listen.
  RagdServer(const std::string& data_dir, const std::vector<std::string>& extra = {},
             const std::map<std::string, std::string>& env = {});
  ~RagdServer();  // SIGKILL if still running

  bool started() const { return !base_url_.empty(); }
  const std::string& base_url() const { return base_url_; }
  const std::string& stdout_text();  // what it printed so far (drained from the pipe)
  std::string stderr_text() const;   // the log file so far
  // The log once it holds `count` occurrences of `needle`, or as it is after `timeout_ms`. Log
  // lines are written by a background thread, so a line can land just after its response.
  std::string WaitForStderr(std::string_view needle, int count = 1, int timeout_ms = 5000) const;
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits up to `timeout_ms` for exit; returns the exit status or -1.
  int StopWith(int signal, int timeout_ms = 10000);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stdout_;
  std::string log_path_;
  std::string base_url_;
};

// HTTP helpers with an optional bearer key.
StatusOr<HttpResponse> Get(const std::string& url, const std::string& key = "",
                           HttpHeaders headers = {});
StatusOr<HttpResponse> Send(const std::string& method, const std::string& url,
                            const std::string& body, const std::string& key = "",
                            HttpHeaders headers = {});

}  // namespace ragd::testing
