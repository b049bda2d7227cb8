// Helpers shared by the end-to-end benchmarks (bench/chat, bench/ingest_e2e): run the real
// `ragd serve` binary and Node mocks as child processes, talk HTTP/1.1 to them over plain loopback
// sockets (a small client whose own cost is negligible next to what is measured), and read /proc
// for CPU time and memory.
//
// Thread safety: none of these types is shared between threads; each benchmark drives its own.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace ragd::bench {

using SteadyClock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

double MillisBetween(SteadyClock::time_point from, SteadyClock::time_point to);

// --- HTTP/1.1 ------------------------------------------------------------------------------

// "http://host:port/target" split; host must be an IPv4 literal (everything here is loopback).
struct Url {
  std::string host;
  int port = 0;
  std::string target = "/";
};
StatusOr<Url> ParseUrl(const std::string& url);

// Incremental parser of one HTTP/1.1 response (Content-Length, chunked, or until close). The body
// is de-chunked and handed to `on_body` as it arrives, and also kept unless keep_body is false.
class ResponseParser {
 public:
  explicit ResponseParser(std::function<void(std::string_view)> on_body = nullptr,
                          bool keep_body = true)
      : on_body_(std::move(on_body)), keep_body_(keep_body) {}

  // False on a malformed response (error() says why).
  bool Feed(std::string_view data);
  // The peer closed the connection: completes a response delimited by close.
  void FeedEof();

  bool headers_done() const { return phase_ != Phase::kHead; }
  bool complete() const { return phase_ == Phase::kDone; }
  int status() const { return status_; }
  const std::string& body() const { return body_; }
  const std::string& error() const { return error_; }
  bool keep_alive() const { return keep_alive_; }
  // `name` lower-case.
  std::optional<std::string> Header(std::string_view name) const;

 private:
  enum class Phase {
    kHead,
    kLength,
    kChunkSize,
    kChunkData,
    kChunkCrlf,
    kTrailer,
    kUntilClose,
    kDone
  };
  bool ParseHead(std::string_view head);
  void Body(std::string_view data);

  std::function<void(std::string_view)> on_body_;
  bool keep_body_;
  Phase phase_ = Phase::kHead;
  std::string pending_;  // bytes not yet consumed by the current phase
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  bool keep_alive_ = true;
  uint64_t remaining_ = 0;  // body bytes left (kLength) or chunk bytes left (kChunkData)
  std::string body_;
  std::string error_;
};

// Splits a text/event-stream body into events; calls on_event(name, data) per event.
class SseScanner {
 public:
  explicit SseScanner(std::function<void(std::string_view, std::string_view)> on_event)
      : on_event_(std::move(on_event)) {}
  void Feed(std::string_view data);

 private:
  std::function<void(std::string_view, std::string_view)> on_event_;
  std::string line_;
  std::string event_;
  std::string data_;
};

// Builds the bytes of one request (Host and Content-Length added).
std::string BuildRequest(const std::string& method, const Url& url, const Headers& headers,
                         const std::string& body);

struct TimedResponse {
  int status = 0;
  std::string body;
  double first_byte_ms = 0;  // request sent -> first response byte
  double total_ms = 0;       // request sent -> last byte of the response
};

// A blocking keep-alive connection to one server (reconnects when the server closed it).
class HttpConnection {
 public:
  HttpConnection(std::string host, int port) : host_(std::move(host)), port_(port) {}
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // `target` is the path and query. `on_body` sees the de-chunked body as it arrives.
  StatusOr<TimedResponse> Send(const std::string& method, const std::string& target,
                               const Headers& headers, const std::string& body = "",
                               const std::function<void(std::string_view)>& on_body = nullptr);

 private:
  Status Connect();
  void Close();
  std::string host_;
  int port_;
  int fd_ = -1;
};

// One request on a fresh connection to an absolute URL (setup calls, presigned uploads).
StatusOr<TimedResponse> Fetch(const std::string& method, const std::string& url,
                              const Headers& headers = {}, const std::string& body = "");

// A JSON API call with a bearer key; a non-2xx answer is an error carrying status and body.
// `body` null: no body. An empty response body gives a null json.
StatusOr<nlohmann::json> CallApi(HttpConnection& conn, const std::string& method,
                                 const std::string& target, const std::string& key,
                                 const nlohmann::json* body = nullptr);
// The upload flow: POST /v1/bots/{bot}/documents, then PUT the bytes to the presigned URL.
// Returns the document id.
StatusOr<std::string> UploadDocument(HttpConnection& conn, const std::string& key,
                                     const std::string& bot, const std::string& filename,
                                     const std::string& content_type, const std::string& content);
// Percent-encodes a query parameter value.
std::string UrlEncode(std::string_view s);

// --- child processes -------------------------------------------------------------------------

class ChildProcess {
 public:
  // argv[0] is looked up in PATH. stdout/stderr go to the given files ("" = /dev/null). With
  // stdin_pipe the child's stdin is a pipe kept open until Stop() (the Node mocks exit when it
  // closes). `env` is the child's whole environment.
  static StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                       const std::vector<std::string>& env,
                                                       const std::string& stdout_path,
                                                       const std::string& stderr_path,
                                                       bool stdin_pipe = false);
  ChildProcess() = default;  // not running; use Spawn()
  ~ChildProcess();           // Stop(SIGTERM), then SIGKILL
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  pid_t pid() const { return pid_; }
  bool Running();
  // Sends `signal`, waits up to `timeout`; returns the exit status (128 + signal when killed),
  // or -1 when it did not exit in time.
  int Stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
};

// Waits until `pred(file contents)` returns a non-empty string or `timeout` passes.
StatusOr<std::string> WaitForFile(const std::string& path,
                                  const std::function<std::string(const std::string&)>& pred,
                                  std::chrono::milliseconds timeout, ChildProcess* child);

struct RagdOptions {
  std::string binary;
  std::string data_dir;
  std::string admin_key;
  std::string log_path;
  std::vector<std::string> extra_args;  // e.g. {"--server-worker-threads", "1024"}
};

// `ragd serve` on a free loopback port; base_url from its "listening" log line.
struct RagdServer {
  std::unique_ptr<ChildProcess> process;
  std::string base_url;
  Url url;
};
StatusOr<RagdServer> StartRagd(const RagdOptions& options);

// `node <script>` printing {"port": N} on stdout (tests/js/openai_mock.js).
struct NodeMock {
  std::unique_ptr<ChildProcess> process;
  int port = 0;
};
StatusOr<NodeMock> StartNodeMock(const std::string& script, const std::string& work_dir,
                                 const std::string& name);

// --- /proc --------------------------------------------------------------------------------

// CPU time of all live threads of `pid` (sum of /proc/<pid>/task/*/schedstat, nanoseconds).
int64_t ProcessCpuNanos(pid_t pid);
// CPU time of `pid` from /proc/<pid>/stat (user + system, includes exited threads), seconds.
double ProcessCpuSeconds(pid_t pid);
// A field of /proc/<pid>/status in kB (VmRSS, VmHWM, Threads as a count), -1 when unreadable.
int64_t ProcStatusField(pid_t pid, const std::string& field);
std::string LoadAverage();
std::string MachineDescription();
// Raises RLIMIT_NOFILE to the hard limit (children inherit it).
void RaiseFileLimit();

// --- statistics --------------------------------------------------------------------------

// Nearest-rank percentile (p in [0, 100]) of `values` (sorted on the way).
double Percentile(std::vector<double> values, double p);
double Mean(const std::vector<double>& values);
std::string Fixed(double value, int decimals);

// Command-line flags "--name value"; unknown names are errors.
class Flags {
 public:
  Flags(int argc, char** argv);
  std::string Get(const std::string& name, const std::string& fallback);
  int GetInt(const std::string& name, int fallback);
  // Names given but never asked for (typos).
  std::vector<std::string> Unused() const;

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> used_;
};

}  // namespace ragd::bench
