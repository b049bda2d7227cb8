// Helpers for the credentials-chain tests: temporary shared files, a recording transport that
// keeps every test hermetic, and a fake credentials endpoint on loopback.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "tests/core/http_test_servers.h"

namespace ragd::cred_test {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `contents` to path()/relative (creating parent directories); returns the full path.
  std::string Write(const std::string& relative, const std::string& contents) const;

 private:
  std::string path_;
};

// Sends through libcurl, but only to loopback: a request for any other host fails with
// kUnavailable without touching the network (so a test can never reach a real IMDS). URL
// prefixes in `rewrites` are replaced first (to point 169.254.170.2 at a loopback server).
// Records every request. Thread-safe.
class RecordingTransport final : public HttpTransport {
 public:
  explicit RecordingTransport(std::map<std::string, std::string> rewrites = {});
  StatusOr<HttpResponse> Send(const HttpRequest& request) override;
  StatusOr<HttpResponse> SendStreaming(const HttpRequest& request,
                                       const HttpBodyCallback& on_body) override;
  std::vector<HttpRequest> requests() const;
  size_t count() const;

 private:
  const std::map<std::string, std::string> rewrites_;
  std::unique_ptr<HttpTransport> curl_;
  mutable std::mutex mu_;
  std::vector<HttpRequest> requests_;  // guarded by mu_, as sent (before rewriting)
};

// A container-style credentials endpoint at GET /creds. Each successful answer carries a fresh
// key id ("AKID1", "AKID2", ...) and expires `lifetime` after the fake clock's now.
class FakeCredentialsEndpoint {
 public:
  explicit FakeCredentialsEndpoint(FakeClock& clock);
  void Start() { server_.Start(); }
  std::string Url() const { return server_.Url("/creds"); }
  int port() const { return server_.port(); }

  std::atomic<int> hits{0};
  std::atomic<int> fail_status{0};  // when non-zero, answer with this status
  std::atomic<int> delay_ms{0};     // before answering
  std::atomic<int> lifetime_minutes{60};
  std::string last_authorization() const;

 private:
  FakeClock& clock_;
  LoopbackHttpServer server_;
  mutable std::mutex mu_;
  std::string last_authorization_;  // guarded by mu_
};

// The JSON both the container endpoint and IMDS return.
std::string CredentialJson(const std::string& id, const std::string& secret,
                           const std::string& token, std::chrono::system_clock::time_point expires);

// 2026-01-01T00:00:00Z.
std::chrono::system_clock::time_point TestEpoch();

// Options that keep retries instant and the refresh window at 5 minutes.
AwsCredentialChainOptions FastOptions();

}  // namespace ragd::cred_test
