#include "tests/blackbox/object_upload_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "core/schema.h"

namespace ragd::testing {

void ObjectServerTest::StartServer(const std::map<std::string, std::string>& extra_env,
                                   const std::vector<std::string>& flags) {
  std::map<std::string, std::string> env = {{"RAGD_OBJECTS_ACCESS_KEY_ID", kObjectKeyId},
                                            {"RAGD_OBJECTS_SECRET_ACCESS_KEY", kObjectSecret}};
  for (const auto& [k, v] : extra_env) env[k] = v;
  for (auto it = env.begin(); it != env.end();) it = it->second.empty() ? env.erase(it) : ++it;
  server_.reset();
  server_ = std::make_unique<RagdServer>(dir_.path(), flags, env);
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  if (!db_) {
    auto db = Database::Open(dir_.path() + "/ragd.db", RagdMigrations());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = *std::move(db);
    auto store = LocalObjectStore::Create(*db_, dir_.path() + "/objects", Clock::Real());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = *std::move(store);  // never Recover(): the server owns the directory
  }
}

std::string ObjectServerTest::Host() const {
  return server_->base_url().substr(std::string("http://").size());
}

UploadUrl ObjectServerTest::Issue(const std::string& key, const std::string& content_type,
                                  std::optional<uint64_t> size, std::chrono::seconds expiry,
                                  const std::string& secret, const std::string& key_id) {
  LocalUploadUrlOptions options;
  options.endpoint = server_->base_url();
  options.credentials = {key_id, secret, ""};
  auto issuer = LocalUploadUrlIssuer::Create(options, Clock::Real());
  EXPECT_TRUE(issuer.ok()) << issuer.status().ToString();
  UploadUrlRequest request;
  request.key = key;
  request.content_type = content_type;
  request.size = size;
  request.expiry = expiry;
  StatusOr<UploadUrl> url = (*issuer)->Issue(request);
  EXPECT_TRUE(url.ok()) << url.status().ToString();
  return url.ok() ? *url : UploadUrl{};
}

StatusOr<HttpResponse> ObjectServerTest::Put(const std::string& url, const std::string& body,
                                             const HttpHeaders& headers) {
  HttpRequest request;
  request.method = "PUT";
  request.url = url;
  request.body = body;
  request.headers = headers;
  return http_->Send(request);
}

std::string ObjectServerTest::RawExchange(const std::string& request) {
  const std::string host = Host();
  const int port = std::stoi(host.substr(host.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) {
    response.append(buf, static_cast<size_t>(n));
    if (response.find("\r\n\r\n") != std::string::npos &&
        response.find("</Error>") != std::string::npos) {
      break;
    }
  }
  ::close(fd);
  return response;
}

std::string ObjectServerTest::ReadObject(const std::string& key) {
  StatusOr<std::string> content = store_->ReadAll(kBucket, key);
  EXPECT_TRUE(content.ok()) << key << ": " << content.status().ToString();
  return content.ok() ? *content : "";
}

void ObjectServerTest::ExpectNothingStored(const std::string& key) {
  EXPECT_EQ(store_->Head(kBucket, key).status().code(), StatusCode::kNotFound) << key;
  // The body file of a refused upload is removed (give the worker a moment to finish).
  for (int i = 0; i < 50 && !std::filesystem::is_empty(dir_.path() + "/objects/tmp"); ++i) {
    ::usleep(20'000);
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/objects/tmp"));
  auto health = Get(Url("/health"));
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
}

std::string S3ErrorCode(const std::string& body) {
  static const std::regex shape(
      R"(^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>([A-Za-z0-9]+)</Code>)"
      R"(<Message>[^<]+</Message>[\s\S]*<RequestId>[A-Za-z0-9._-]+</RequestId></Error>$)");
  std::smatch m;
  if (!std::regex_search(body, m, shape)) {
    ADD_FAILURE() << "not an S3 error document: " << body;
    return "";
  }
  return m[1];
}

std::string S3ErrorCode(const StatusOr<HttpResponse>& response) {
  if (!response.ok()) {
    ADD_FAILURE() << response.status().ToString();
    return "";
  }
  EXPECT_EQ(FindHeader(response->headers, "content-type"), "application/xml");
  EXPECT_EQ(FindHeader(response->headers, "x-amz-request-id"),
            FindHeader(response->headers, "x-request-id"));
  return S3ErrorCode(response->body);
}

}  // namespace ragd::testing
