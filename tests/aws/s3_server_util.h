// Test helpers for the S3 client: the s3rver peer (tests/js/s3rver_start.js) as a child process,
// and a scripted fake HttpTransport.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aws/s3_client.h"
#include "core/clock.h"
#include "core/http_client.h"

namespace ragd::testing {

// s3rver behind the SigV4-verifying proxy of tests/js/s3rver_start.js, with bucket "ragd-test".
// The child exits when this object closes its stdin (destructor) or when the test process dies.
class S3rverProcess {
 public:
  // Starts node on PATH with the script; fails (never skips) with a message saying what is
  // missing: node, or tests/js/node_modules (`npm ci --prefix tests/js`).
  static std::unique_ptr<S3rverProcess> Start(std::string* error);
  ~S3rverProcess();
  S3rverProcess(const S3rverProcess&) = delete;
  S3rverProcess& operator=(const S3rverProcess&) = delete;

  int port() const { return port_; }                // the verifying proxy
  int s3rver_port() const { return s3rver_port_; }  // s3rver itself, no signature checks
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  S3rverProcess() = default;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string stderr_path_;  // the child's stderr, removed with the child
  int port_ = 0;
  int s3rver_port_ = 0;
};

// A transport whose answers come from `handler`; records every request. SendStreaming hands the
// handler's body to the callback in pieces of at most 1000 bytes. Thread-safe.
class FakeS3Transport : public HttpTransport {
 public:
  using Handler = std::function<StatusOr<HttpResponse>(const HttpRequest& request, int index)>;
  explicit FakeS3Transport(Handler handler) : handler_(std::move(handler)) {}

  StatusOr<HttpResponse> Send(const HttpRequest& request) override;
  StatusOr<HttpResponse> SendStreaming(const HttpRequest& request,
                                       const HttpBodyCallback& on_body) override;

  std::vector<HttpRequest> requests() const;

 private:
  Handler handler_;
  mutable std::mutex mu_;
  std::vector<HttpRequest> requests_;  // guarded by mu_
};

// A FakeClock that remembers every SleepFor.
class RecordingClock : public FakeClock {
 public:
  using FakeClock::FakeClock;
  void SleepFor(std::chrono::milliseconds duration) override;
  std::vector<std::chrono::milliseconds> sleeps() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::chrono::milliseconds> sleeps_;  // guarded by mu_
};

// Sends to 127.0.0.1:<port> whatever host the URL names (a one-entry DNS for virtual hosting).
class LoopbackTransport : public HttpTransport {
 public:
  LoopbackTransport(HttpTransport& inner, const std::string& host, int port)
      : inner_(inner), from_("http://" + host), to_("http://127.0.0.1:" + std::to_string(port)) {}
  StatusOr<HttpResponse> Send(const HttpRequest& request) override;
  StatusOr<HttpResponse> SendStreaming(const HttpRequest& request,
                                       const HttpBodyCallback& on_body) override;

 private:
  HttpRequest Rewrite(HttpRequest request) const;
  HttpTransport& inner_;
  const std::string from_, to_;
};

// Access key / secret s3rver (and the proxy) accept.
inline const AwsCredentials kS3rverCredentials{"S3RVER", "S3RVER", ""};

// A fixture sharing one s3rver peer and one libcurl transport per test suite. SetUp fails the
// test (never skips) when the peer could not start, and clears the proxy's request log.
class S3rverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  // A client for the proxy (or options.endpoint), real clock, 1 ms retry base delay.
  std::unique_ptr<S3Client> Client(AwsCredentials creds = kS3rverCredentials,
                                   S3ClientOptions options = S3ClientOptions());
  // The signed requests the proxy let through since the test began ({method, path, query,
  // headers}).
  nlohmann::json Log();
  void ClearLog();
  // The next signed requests get these faults (see tests/js/s3rver_start.js).
  void InjectFaults(const nlohmann::json& faults);

  static std::unique_ptr<HttpTransport> transport_;
  static std::unique_ptr<S3rverProcess> server_;
  static std::string start_error_;
};

HttpResponse S3XmlResponse(int status, const std::string& body, HttpHeaders headers = {});
std::string S3ErrorBodyXml(const std::string& code, const std::string& message);

// `n` pseudo-random bytes from `seed`.
std::string RandomData(size_t n, uint32_t seed);
// A fresh empty directory under the gtest temp dir, removed with its contents on destruction.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(const std::string& tag);
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};
std::string ReadWholeFile(const std::string& path);
void WriteWholeFile(const std::string& path, const std::string& data);

}  // namespace ragd::testing
