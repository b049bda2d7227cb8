#include "tests/aws/s3_server_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

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
    const ssize_t n = read(fd, &c, 1);
    if (n <= 0) return false;
    if (c == '\n') return true;
    line->push_back(c);
  }
}

}  // namespace

std::unique_ptr<S3rverProcess> S3rverProcess::Start(std::string* error) {
  const std::string node = FindOnPath("node");
  if (node.empty()) {
    *error =
        "node is not on PATH; install Node.js (Debian: apt-get install nodejs) and run "
        "`npm ci --prefix tests/js`";
    return nullptr;
  }
  const std::string js = JsDir();
  for (const char* module : {"s3rver", "@smithy/signature-v4", "@aws-crypto/sha256-js"}) {
    if (!std::filesystem::exists(js + "/node_modules/" + module + "/package.json")) {
      *error = js + "/node_modules/" + module + " is missing: run `npm ci --prefix tests/js`";
      return nullptr;
    }
  }
  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) {
    *error = "pipe() failed";
    return nullptr;
  }
  const std::string stderr_path =
      ::testing::TempDir() + "ragd_s3rver_stderr_" + std::to_string(getpid()) + ".log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  const std::string script = js + "/s3rver_start.js";
  std::vector<char*> argv = {const_cast<char*>(node.c_str()), const_cast<char*>(script.c_str()),
                             nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, node.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  std::unique_ptr<S3rverProcess> process(new S3rverProcess());
  process->stdin_fd_ = in_pipe[1];
  process->stderr_path_ = stderr_path;
  if (rc != 0) {
    close(out_pipe[0]);
    *error = "posix_spawn of node failed";
    return nullptr;
  }
  process->pid_ = pid;
  std::string line;
  const bool got = ReadLine(out_pipe[0], std::chrono::seconds(30), &line);
  close(out_pipe[0]);
  nlohmann::json info = got ? nlohmann::json::parse(line, nullptr, false) : nlohmann::json();
  if (!info.is_object() || !info.contains("port")) {
    std::ifstream err(stderr_path);
    *error = "s3rver_start.js did not report its port; stderr: " +
             std::string(std::istreambuf_iterator<char>(err), {});
    return nullptr;  // the destructor closes stdin and reaps the child
  }
  process->port_ = info["port"].get<int>();
  process->s3rver_port_ = info["s3rver_port"].get<int>();
  return process;
}

S3rverProcess::~S3rverProcess() {
  if (stdin_fd_ >= 0) close(stdin_fd_);  // the script's cue to stop and remove its directory
  if (pid_ > 0) {
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 100 && !exited; ++i) {
      exited = waitpid(pid_, &status, WNOHANG) == pid_;
      if (!exited) usleep(50 * 1000);
    }
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
  if (!stderr_path_.empty()) unlink(stderr_path_.c_str());
}

StatusOr<HttpResponse> FakeS3Transport::Send(const HttpRequest& request) {
  int index = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index = static_cast<int>(requests_.size());
    requests_.push_back(request);
  }
  return handler_(request, index);
}

StatusOr<HttpResponse> FakeS3Transport::SendStreaming(const HttpRequest& request,
                                                      const HttpBodyCallback& on_body) {
  StatusOr<HttpResponse> response = Send(request);
  if (!response.ok()) return response;
  std::string_view body = response->body;
  while (!body.empty()) {
    const std::string_view chunk = body.substr(0, 1000);
    if (!on_body(chunk)) return CancelledError("body callback cancelled the transfer");
    body.remove_prefix(chunk.size());
  }
  response->body.clear();
  return response;
}

std::vector<HttpRequest> FakeS3Transport::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void RecordingClock::SleepFor(std::chrono::milliseconds duration) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    sleeps_.push_back(duration);
  }
  FakeClock::SleepFor(duration);
}

std::vector<std::chrono::milliseconds> RecordingClock::sleeps() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sleeps_;
}

StatusOr<HttpResponse> LoopbackTransport::Send(const HttpRequest& request) {
  return inner_.Send(Rewrite(request));
}

StatusOr<HttpResponse> LoopbackTransport::SendStreaming(const HttpRequest& request,
                                                        const HttpBodyCallback& on_body) {
  return inner_.SendStreaming(Rewrite(request), on_body);
}

HttpRequest LoopbackTransport::Rewrite(HttpRequest request) const {
  if (request.url.starts_with(from_)) request.url = to_ + request.url.substr(from_.size());
  return request;
}

std::unique_ptr<HttpTransport> S3rverTest::transport_;
std::unique_ptr<S3rverProcess> S3rverTest::server_;
std::string S3rverTest::start_error_;

void S3rverTest::SetUpTestSuite() {
  start_error_.clear();
  transport_ = NewCurlTransport();
  server_ = S3rverProcess::Start(&start_error_);
}

void S3rverTest::TearDownTestSuite() {
  server_.reset();
  transport_.reset();
}

void S3rverTest::SetUp() {
  ASSERT_NE(server_, nullptr) << start_error_;
  ClearLog();
}

std::unique_ptr<S3Client> S3rverTest::Client(AwsCredentials creds, S3ClientOptions options) {
  if (options.endpoint.empty()) options.endpoint = server_->endpoint();
  options.retry_base_delay = std::chrono::milliseconds(1);
  auto client =
      S3Client::Create(options, *transport_, Clock::Real(), FixedAwsCredentials(std::move(creds)));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(*client) : nullptr;
}

nlohmann::json S3rverTest::Log() {
  HttpRequest request;
  request.url = server_->endpoint() + "/__ragd/log";
  StatusOr<HttpResponse> r = transport_->Send(request);
  EXPECT_TRUE(r.ok() && r->status == 200);
  return r.ok() ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
}

void S3rverTest::ClearLog() {
  HttpRequest request;
  request.method = "DELETE";
  request.url = server_->endpoint() + "/__ragd/log";
  ASSERT_TRUE(transport_->Send(request).ok());
}

void S3rverTest::InjectFaults(const nlohmann::json& faults) {
  HttpRequest request;
  request.method = "POST";
  request.url = server_->endpoint() + "/__ragd/faults";
  request.body = faults.dump();
  StatusOr<HttpResponse> r = transport_->Send(request);
  ASSERT_TRUE(r.ok() && r->status == 204);
}

HttpResponse S3XmlResponse(int status, const std::string& body, HttpHeaders headers) {
  HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  response.headers.emplace_back("content-type", "application/xml");
  response.body = body;
  return response;
}

std::string S3ErrorBodyXml(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
         message + "</Message><RequestId>REQ123</RequestId><HostId>host</HostId></Error>";
}

std::string RandomData(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

ScopedTempDir::ScopedTempDir(const std::string& tag)
    : path_(::testing::TempDir() + "ragd_s3_" + tag + "_XXXXXX") {
  if (mkdtemp(path_.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteWholeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

}  // namespace ragd::testing
