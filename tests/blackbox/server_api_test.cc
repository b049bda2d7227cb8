// The real server on a real port: public routes, authentication, the error shape, limits,
// metrics, secrets kept out of logs, and graceful shutdown on SIGTERM.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/schema.h"
#include "tests/blackbox/ragd_process_util.h"

namespace ragd::testing {
namespace {

nlohmann::json Body(const StatusOr<HttpResponse>& r) {
  return r.ok() ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
}

// Asserts the one error shape and returns its code.
std::string ErrorCode(const StatusOr<HttpResponse>& r) {
  const nlohmann::json j = Body(r);
  EXPECT_TRUE(j.contains("error")) << (r.ok() ? r->body : r.status().ToString());
  if (!j.contains("error")) return "";
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_FALSE(j["error"]["request_id"].get<std::string>().empty());
  EXPECT_EQ(FindHeader(r->headers, "x-request-id"), j["error"]["request_id"].get<std::string>());
  return j["error"]["code"];
}

class ServerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CommandResult created = RunRagd(
        {"keys", "create", "--name", "admin", "--role", "admin", "--data-dir", dir_.path()});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    admin_key_ = created.out.substr(created.out.find("rgd_"), 49);
    server_ = std::make_unique<RagdServer>(
        dir_.path(), std::vector<std::string>{"--server-max-body-bytes", "2048"});
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
  }
  std::string Url(const std::string& path) { return server_->base_url() + path; }
  std::string CreateKey(const std::string& role, std::string* id = nullptr) {
    auto r = Send("POST", Url("/v1/keys"), R"({"name":"k","role":")" + role + R"("})", admin_key_);
    EXPECT_TRUE(r.ok() && r->status == 201) << (r.ok() ? r->body : "");
    const nlohmann::json j = Body(r);
    if (id != nullptr) *id = j.value("id", "");
    return j.value("key", "");
  }

  TempDir dir_;
  std::string admin_key_;
  std::unique_ptr<RagdServer> server_;
};

TEST_F(ServerApiTest, PublicRoutesNeedNoKey) {
  auto health = Get(Url("/health"));
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(Body(health)["status"], "ok");
  auto ready = Get(Url("/ready"));
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(Body(ready)["schema_version"], RagdMigrations().back().version);
}

TEST_F(ServerApiTest, AuthenticationOutcomes) {
  // No key.
  auto r = Get(Url("/v1/me"));
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(ErrorCode(r), "unauthenticated");
  EXPECT_TRUE(FindHeader(r->headers, "www-authenticate").has_value());
  // A wrong key, a well-formed but unknown key, and a non-bearer scheme.
  EXPECT_EQ(Get(Url("/v1/me"), "not-a-key")->status, 401);
  EXPECT_EQ(Get(Url("/v1/me"), admin_key_.substr(0, 17) + std::string(32, 'x'))->status, 401);
  EXPECT_EQ(Get(Url("/v1/me"), "", {{"Authorization", "Basic " + admin_key_}})->status, 401);
  // Both header forms work.
  r = Get(Url("/v1/me"), admin_key_);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["role"], "admin");
  EXPECT_EQ(Get(Url("/v1/me"), "", {{"x-api-key", admin_key_}})->status, 200);

  // A user key reads its identity but is refused on admin routes.
  std::string user_id;
  const std::string user_key = CreateKey("user", &user_id);
  EXPECT_EQ(Body(Get(Url("/v1/me"), user_key))["role"], "user");
  r = Get(Url("/v1/keys"), user_key);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(ErrorCode(r), "permission_denied");
  EXPECT_EQ(Send("POST", Url("/v1/keys"), R"({"name":"x"})", user_key)->status, 403);

  // Revoked keys stop working at once.
  EXPECT_EQ(Send("DELETE", Url("/v1/keys/" + user_id), "", admin_key_)->status, 204);
  r = Get(Url("/v1/me"), user_key);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(ErrorCode(r), "unauthenticated");
}

TEST_F(ServerApiTest, KeysAreListedWithoutSecrets) {
  CreateKey("user");
  auto r = Get(Url("/v1/keys"), admin_key_);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body.find("rgd_"), std::string::npos);
  EXPECT_EQ(Body(r)["keys"].size(), 2u);
}

TEST_F(ServerApiTest, ErrorShapeAndStatusCodes) {
  auto r = Get(Url("/v1/nothing-here"), admin_key_);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(ErrorCode(r), "not_found");
  r = Send("PUT", Url("/v1/keys"), "{}", admin_key_);
  EXPECT_EQ(r->status, 405);
  r = Send("POST", Url("/v1/keys"), "name=x", admin_key_, {{"Content-Type", "text/plain"}});
  EXPECT_EQ(r->status, 415);
  EXPECT_EQ(ErrorCode(r), "unsupported_media_type");
  r = Send("POST", Url("/v1/keys"), "{\"name\": ", admin_key_);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorCode(r), "invalid_argument");
  r = Send("POST", Url("/v1/keys"), R"({"role":"admin"})", admin_key_);
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(ErrorCode(r), "unprocessable_entity");
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("name"), std::string::npos);
  r = Send("POST", Url("/v1/keys"), R"({"name":"x","role":"root"})", admin_key_);
  EXPECT_EQ(r->status, 422);
  r = Send("DELETE", Url("/v1/keys/doesnotexist"), "", admin_key_);
  EXPECT_EQ(r->status, 404);
  r = Send("POST", Url("/v1/keys"), "{\"name\":\"" + std::string(4000, 'a') + "\"}", admin_key_);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(ErrorCode(r), "payload_too_large");
  // The server keeps serving after all of that.
  EXPECT_EQ(Get(Url("/health"))->status, 200);
}

TEST_F(ServerApiTest, MetricsCountRequestsByRouteAndStatus) {
  EXPECT_EQ(Get(Url("/v1/me"))->status, 401);
  EXPECT_EQ(Get(Url("/v1/me"), admin_key_)->status, 200);
  EXPECT_EQ(Get(Url("/v1/me"), admin_key_)->status, 200);
  auto r = Get(Url("/metrics"));
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(
      r->body.find("ragd_http_requests_total{route=\"/v1/me\",method=\"GET\",status=\"200\"} 2"),
      std::string::npos)
      << r->body;
  EXPECT_NE(
      r->body.find("ragd_http_requests_total{route=\"/v1/me\",method=\"GET\",status=\"401\"} 1"),
      std::string::npos);
  EXPECT_NE(
      r->body.find("ragd_http_request_duration_seconds_bucket{route=\"/v1/me\",le=\"+Inf\"} 3"),
      std::string::npos);
  EXPECT_NE(r->body.find("ragd_http_requests_in_flight"), std::string::npos);
}

TEST_F(ServerApiTest, LogsAreJsonWithRequestIdsAndNoSecrets) {
  const std::string user_key = CreateKey("user");
  EXPECT_EQ(Get(Url("/v1/me"), user_key)->status, 200);
  EXPECT_EQ(Get(Url("/v1/me?X-Amz-Signature=abcdef0123456789"), admin_key_)->status, 200);
  const std::string logs = server_->WaitForStderr("\"msg\":\"request\"", 3);
  EXPECT_EQ(logs.find(admin_key_), std::string::npos);
  EXPECT_EQ(logs.find(user_key), std::string::npos);
  EXPECT_EQ(logs.find("abcdef0123456789"), std::string::npos);
  std::istringstream lines(logs);
  std::string line;
  int requests = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    ASSERT_TRUE(j.contains("request_id")) << line;
    if (j["msg"] == "request") {
      ++requests;
      EXPECT_NE(j["request_id"], "-");
    }
  }
  EXPECT_GE(requests, 3);
}

int ConnectTo(const std::string& base_url) {
  const int port = std::stoi(base_url.substr(base_url.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return -1;
  return fd;
}

TEST_F(ServerApiTest, SigtermFinishesTheRequestInFlightThenExits) {
  // A request whose body is still arriving when SIGTERM lands.
  const int fd = ConnectTo(server_->base_url());
  ASSERT_GE(fd, 0);
  const std::string body = R"({"name":"during shutdown","role":"user"})";
  const std::string head =
      "POST /v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin_key_ +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  ASSERT_GT(::send(fd, head.data(), head.size(), 0), 0);
  ASSERT_GT(::send(fd, body.data(), 10, 0), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(server_->pid(), SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // New connections are refused while it drains.
  EXPECT_LT(ConnectTo(server_->base_url()), 0);
  ASSERT_GT(::send(fd, body.data() + 10, body.size() - 10, 0), 0);
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) response.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_NE(response.find("HTTP/1.1 201"), std::string::npos) << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  EXPECT_EQ(server_->StopWith(0), 0);  // signal 0: just wait for the exit
  EXPECT_NE(server_->stderr_text().find("shutting down gracefully"), std::string::npos);
}

TEST(DemoTest, DemoModePrintsUrlAndAWorkingAdminKeyReplacedOnEachStart) {
  TempDir dir;
  std::string first_key;
  for (int run = 0; run < 2; ++run) {
    RagdServer server(dir.path(), {"--demo"});
    ASSERT_TRUE(server.started()) << server.stderr_text();
    // The banner follows the demo bot's set-up (model load, queueing data/demo), after listening.
    std::string out;
    for (int i = 0; i < 200 && out.find("/messages") == std::string::npos; ++i) {
      out = server.stdout_text();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_NE(out.find(server.base_url()), std::string::npos) << out;
    const size_t at = out.find("rgd_");
    ASSERT_NE(at, std::string::npos) << out;
    const std::string key = out.substr(at, 49);
    EXPECT_EQ(Get(server.base_url() + "/v1/me", key)->status, 200);
    if (run == 0) {
      first_key = key;
    } else {
      EXPECT_NE(key, first_key);
      EXPECT_EQ(Get(server.base_url() + "/v1/me", first_key)->status, 401);
    }
    EXPECT_EQ(server.stderr_text().find(key), std::string::npos) << "the key must not be logged";
    EXPECT_EQ(server.StopWith(SIGTERM), 0);
  }
}

}  // namespace
}  // namespace ragd::testing
