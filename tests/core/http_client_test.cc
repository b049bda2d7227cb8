// Round trips of the libcurl transport against an in-process cpp-httplib peer: methods, bodies,
// headers, status codes, connection reuse, file uploads and concurrent callers.
#include "core/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/core/http_test_servers.h"

namespace ragd {
namespace {

uint64_t Fnv1a(std::string_view data) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : data) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    httplib::Server& s = peer_.server();
    s.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Mixed-Case", "Some Value");
      res.set_header("X-Echo", req.get_header_value("X-Request-Thing"));
      res.set_content("hello world", "text/plain");
    });
    auto echo = [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Method", req.method);
      res.set_header("X-Got-Expect", req.has_header("Expect") ? "yes" : "no");
      res.set_header("X-Got-Content-Type", req.get_header_value("Content-Type"));
      res.set_header("X-Got-Content-Length", req.get_header_value("Content-Length"));
      res.set_content(req.body, "application/octet-stream");
    };
    s.Post("/echo", echo);
    s.Put("/echo", echo);
    s.Patch("/echo", echo);
    s.Delete("/echo", echo);
    s.Post("/digest", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.body.size()) + " " + std::to_string(Fnv1a(req.body)),
                      "text/plain");
      res.set_header("X-Got-Expect", req.has_header("Expect") ? "yes" : "no");
      res.set_header("X-Got-Content-Length", req.get_header_value("Content-Length"));
    });
    s.Put("/digest", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.body.size()) + " " + std::to_string(Fnv1a(req.body)),
                      "text/plain");
      res.set_header("X-Got-Expect", req.has_header("Expect") ? "yes" : "no");
      res.set_header("X-Got-Content-Length", req.get_header_value("Content-Length"));
    });
    s.Get("/port", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.remote_port), "text/plain");
    });
    s.Post("/port", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.remote_port) + ":" + req.body, "text/plain");
    });
    s.Get("/error", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("boom", "text/plain");
    });
    peer_.Start();
  }

  HttpRequest Request(const std::string& method, const std::string& path) {
    HttpRequest request;
    request.method = method;
    request.url = peer_.Url(path);
    return request;
  }

  LoopbackHttpServer peer_;
  // Declared after peer_: destroyed first, closing pooled connections so the peer stops at once.
  std::unique_ptr<HttpTransport> transport_ = NewCurlTransport();
};

TEST(HttpFindHeaderTest, IsCaseInsensitiveAndReturnsFirstMatch) {
  HttpHeaders headers = {{"content-type", "text/plain"}, {"x-a", "1"}, {"X-A", "2"}};
  EXPECT_EQ(FindHeader(headers, "Content-Type"), "text/plain");
  EXPECT_EQ(FindHeader(headers, "x-a"), "1");
  EXPECT_EQ(FindHeader(headers, "X-A"), "1");
  EXPECT_EQ(FindHeader(headers, "missing"), std::nullopt);
  EXPECT_EQ(FindHeader({}, "x"), std::nullopt);
}

TEST_F(HttpClientTest, GetReturnsBodyStatusAndLowerCasedHeaders) {
  HttpRequest request = Request("GET", "/hello");
  request.headers = {{"X-Request-Thing", "round trip"}};
  StatusOr<HttpResponse> response = transport_->Send(request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello world");
  EXPECT_EQ(FindHeader(response->headers, "X-ECHO"), "round trip");
  EXPECT_EQ(FindHeader(response->headers, "content-length"), "11");
  bool saw_mixed = false;
  for (const auto& [name, value] : response->headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(name, lower);
    if (name == "x-mixed-case") saw_mixed = value == "Some Value";
  }
  EXPECT_TRUE(saw_mixed);
}

TEST_F(HttpClientTest, PostPutPatchDeleteSendBodiesWithExactLengthAndNoExpect) {
  for (const std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    SCOPED_TRACE(method);
    HttpRequest request = Request(method, "/echo");
    request.body = method == "DELETE" ? "" : "payload for " + method;
    request.headers = {{"Content-Type", "application/json"}};
    StatusOr<HttpResponse> response = transport_->Send(request);
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, request.body);
    EXPECT_EQ(FindHeader(response->headers, "x-method"), method);
    EXPECT_EQ(FindHeader(response->headers, "x-got-expect"), "no");
    EXPECT_EQ(FindHeader(response->headers, "x-got-content-type"), "application/json");
    if (method != "DELETE") {
      EXPECT_EQ(FindHeader(response->headers, "x-got-content-length"),
                std::to_string(request.body.size()));
    }
  }
}

TEST_F(HttpClientTest, PostWithoutContentTypeDoesNotInventOne) {
  HttpRequest request = Request("POST", "/echo");
  request.body = "raw bytes";
  StatusOr<HttpResponse> response = transport_->Send(request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(FindHeader(response->headers, "x-got-content-type"), "");
  EXPECT_EQ(response->body, "raw bytes");
}

TEST_F(HttpClientTest, EmptyPostAndPutSendContentLengthZero) {
  for (const std::string method : {"POST", "PUT"}) {
    StatusOr<HttpResponse> response = transport_->Send(Request(method, "/echo"));
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(FindHeader(response->headers, "x-got-content-length"), "0") << method;
  }
}

TEST_F(HttpClientTest, HeadReturnsHeadersWithoutBody) {
  StatusOr<HttpResponse> response = transport_->Send(Request("HEAD", "/hello"));
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
  EXPECT_EQ(FindHeader(response->headers, "content-length"), "11");
}

TEST_F(HttpClientTest, ErrorStatusesAreOkResponses) {
  StatusOr<HttpResponse> missing = transport_->Send(Request("GET", "/missing"));
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_EQ(missing->status, 404);
  StatusOr<HttpResponse> failed = transport_->Send(Request("GET", "/error"));
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(failed->body, "boom");
}

TEST_F(HttpClientTest, SequentialRequestsReuseOneConnection) {
  std::set<std::string> ports;
  for (int i = 0; i < 3; ++i) {
    StatusOr<HttpResponse> response = transport_->Send(Request("GET", "/port"));
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    ports.insert(response->body);
    // Mixing methods and a HEAD must not spoil the pooled handle.
    ASSERT_TRUE(transport_->Send(Request("HEAD", "/hello")).ok());
    HttpRequest post = Request("POST", "/port");
    post.body = "x";
    StatusOr<HttpResponse> posted = transport_->Send(post);
    ASSERT_TRUE(posted.ok()) << posted.status().ToString();
    ports.insert(posted->body.substr(0, posted->body.find(':')));
    ASSERT_TRUE(transport_->Send(Request("GET", "/missing")).ok());
  }
  EXPECT_EQ(ports.size(), 1u);
}

TEST_F(HttpClientTest, NoPoolingWhenMaxIdleConnectionsIsZero) {
  CurlTransportOptions options;
  options.max_idle_connections = 0;
  std::unique_ptr<HttpTransport> transport = NewCurlTransport(options);
  std::set<std::string> ports;
  for (int i = 0; i < 3; ++i) {
    StatusOr<HttpResponse> response = transport->Send(Request("GET", "/port"));
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    ports.insert(response->body);
  }
  EXPECT_EQ(ports.size(), 3u);
}

TEST_F(HttpClientTest, UploadsMultiMegabyteBodyFile) {
  std::string content(5 * 1024 * 1024 + 123, '\0');
  uint32_t x = 12345;
  for (char& c : content) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
  std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / "ragd_http_client_upload.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  const std::string expected =
      std::to_string(content.size()) + " " + std::to_string(Fnv1a(content));
  for (const std::string method : {"PUT", "POST"}) {
    SCOPED_TRACE(method);
    HttpRequest request = Request(method, "/digest");
    request.body_file = path.string();
    StatusOr<HttpResponse> response = transport_->Send(request);
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, expected);
    EXPECT_EQ(FindHeader(response->headers, "x-got-expect"), "no");
    EXPECT_EQ(FindHeader(response->headers, "x-got-content-length"),
              std::to_string(content.size()));
  }
  std::filesystem::remove(path);
}

TEST_F(HttpClientTest, MissingBodyFileIsNotFound) {
  HttpRequest request = Request("PUT", "/digest");
  request.body_file = "/nonexistent/ragd/upload.bin";
  StatusOr<HttpResponse> response = transport_->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kNotFound);
}

TEST_F(HttpClientTest, ConcurrentSendsFromEightThreads) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::atomic<int> successes{0};
  std::mutex mu;
  std::set<std::string> ports;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        HttpRequest request = Request("POST", "/port");
        request.body = "thread " + std::to_string(t) + " request " + std::to_string(i);
        StatusOr<HttpResponse> response = transport_->Send(request);
        if (!response.ok() || response->status != 200) continue;
        size_t colon = response->body.find(':');
        if (response->body.substr(colon + 1) != request.body) continue;
        successes.fetch_add(1);
        std::lock_guard<std::mutex> lock(mu);
        ports.insert(response->body.substr(0, colon));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(successes.load(), kThreads * kPerThread);
  // At most one connection per concurrent caller: the pool hands connections back and forth.
  EXPECT_LE(ports.size(), static_cast<size_t>(kThreads));
}

}  // namespace
}  // namespace ragd
