#include "tests/aws/credentials_test_util.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

namespace ragd::cred_test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ragd-cred-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::Write(const std::string& relative, const std::string& contents) const {
  std::filesystem::path full = std::filesystem::path(path_) / relative;
  std::filesystem::create_directories(full.parent_path());
  std::ofstream(full, std::ios::binary | std::ios::trunc) << contents;
  return full.string();
}

RecordingTransport::RecordingTransport(std::map<std::string, std::string> rewrites)
    : rewrites_(std::move(rewrites)), curl_(NewCurlTransport()) {}

StatusOr<HttpResponse> RecordingTransport::Send(const HttpRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
  }
  HttpRequest sent = request;
  for (const auto& [from, to] : rewrites_) {
    if (sent.url.rfind(from, 0) == 0) sent.url = to + sent.url.substr(from.size());
  }
  if (sent.url.rfind("http://127.0.0.1:", 0) != 0 && sent.url.rfind("http://localhost:", 0) != 0) {
    return UnavailableError("test transport: no route to " + sent.url);
  }
  return curl_->Send(sent);
}

StatusOr<HttpResponse> RecordingTransport::SendStreaming(const HttpRequest& request,
                                                         const HttpBodyCallback& on_body) {
  StatusOr<HttpResponse> response = Send(request);
  if (response.ok() && !on_body(response->body)) return CancelledError("stopped");
  if (response.ok()) response->body.clear();
  return response;
}

std::vector<HttpRequest> RecordingTransport::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t RecordingTransport::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

FakeCredentialsEndpoint::FakeCredentialsEndpoint(FakeClock& clock) : clock_(clock) {
  server_.server().Get("/creds", [this](const httplib::Request& req, httplib::Response& res) {
    const int n = ++hits;
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_authorization_ = req.get_header_value("Authorization");
    }
    if (delay_ms > 0) server_.Sleep(std::chrono::milliseconds(delay_ms.load()));
    if (fail_status != 0) {
      res.status = fail_status;
      res.set_content(R"({"Code":"Broken","Message":"SECRET-IN-ERROR-BODY"})", "application/json");
      return;
    }
    res.set_content(CredentialJson("AKID" + std::to_string(n), "secret-" + std::to_string(n),
                                   "token-" + std::to_string(n),
                                   clock_.Now() + std::chrono::minutes(lifetime_minutes.load())),
                    "application/json");
  });
}

std::string FakeCredentialsEndpoint::last_authorization() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_authorization_;
}

std::string CredentialJson(const std::string& id, const std::string& secret,
                           const std::string& token,
                           std::chrono::system_clock::time_point expires) {
  return nlohmann::json{{"Code", "Success"}, {"Type", "AWS-HMAC"},
                        {"AccessKeyId", id}, {"SecretAccessKey", secret},
                        {"Token", token},    {"Expiration", FormatRfc3339(expires)}}
      .dump();
}

std::chrono::system_clock::time_point TestEpoch() {
  return std::chrono::sys_days(std::chrono::year(2026) / 1 / 1);
}

AwsCredentialChainOptions FastOptions() {
  AwsCredentialChainOptions options;
  options.container_attempts = 2;
  options.container_retry_delay = std::chrono::milliseconds(1000);  // on the FakeClock
  options.imds_attempts = 2;
  return options;
}

}  // namespace ragd::cred_test
