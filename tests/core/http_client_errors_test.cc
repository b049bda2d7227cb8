// Streaming, timeouts and transport failures of the libcurl transport, and that error messages
// never carry secrets (presigned query strings, header values).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>

#include "core/http_client.h"
#include "tests/core/http_test_servers.h"

namespace ragd {
namespace {

using std::chrono::milliseconds;
using Stopwatch = std::chrono::steady_clock;

class HttpClientStreamingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    httplib::Server& s = peer_.server();
    // Sends "first", then holds the second chunk back until the client has seen the first one:
    // the exchange only completes quickly if the client delivers chunks as they arrive.
    s.Get("/lockstep", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [this](size_t, httplib::DataSink& sink) {
        sink.write("first", 5);
        std::unique_lock<std::mutex> lock(mu_);
        server_saw_client_progress_ =
            cv_.wait_for(lock, std::chrono::seconds(10), [this] { return client_got_first_; });
        lock.unlock();
        sink.write("second", 6);
        sink.done();
        return true;
      });
    });
    s.Get("/endless", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
        std::string chunk(1024, 'x');
        for (int i = 0; i < 100000; ++i) {
          if (!sink.write(chunk.data(), chunk.size())) return false;
        }
        sink.done();
        return true;
      });
    });
    s.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      peer_.Sleep(milliseconds(10000));
      res.set_content("late", "text/plain");
    });
    s.Get("/stall", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [this](size_t, httplib::DataSink& sink) {
        sink.write("a", 1);
        peer_.Sleep(milliseconds(10000));
        sink.done();
        return true;
      });
    });
    peer_.Start();
  }

  HttpRequest Request(const std::string& path) {
    HttpRequest request;
    request.url = peer_.Url(path);
    return request;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool client_got_first_ = false;            // guarded by mu_
  bool server_saw_client_progress_ = false;  // guarded by mu_
  LoopbackHttpServer peer_;
  std::unique_ptr<HttpTransport> transport_ = NewCurlTransport();
};

using HttpClientErrorTest = HttpClientStreamingTest;

TEST_F(HttpClientStreamingTest, DeliversChunksAsTheyArrive) {
  std::string received;
  int calls = 0;
  StatusOr<HttpResponse> response =
      transport_->SendStreaming(Request("/lockstep"), [&](std::string_view chunk) {
        received.append(chunk);
        ++calls;
        if (received.size() >= 5) {
          std::lock_guard<std::mutex> lock(mu_);
          client_got_first_ = true;
          cv_.notify_all();
        }
        return true;
      });
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
  EXPECT_EQ(FindHeader(response->headers, "transfer-encoding"), "chunked");
  EXPECT_EQ(received, "firstsecond");
  EXPECT_GE(calls, 2);
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_TRUE(server_saw_client_progress_);
}

TEST_F(HttpClientStreamingTest, CallbackReturningFalseCancels) {
  size_t received = 0;
  StatusOr<HttpResponse> response =
      transport_->SendStreaming(Request("/endless"), [&](std::string_view chunk) {
        received += chunk.size();
        return false;
      });
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kCancelled) << response.status().ToString();
  EXPECT_GT(received, 0u);
  // The transport stays usable after an aborted transfer.
  StatusOr<HttpResponse> again = transport_->Send(Request("/missing"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, 404);
}

TEST_F(HttpClientStreamingTest, CallbackExceptionBecomesInternalError) {
  StatusOr<HttpResponse> response = transport_->SendStreaming(
      Request("/endless"), [](std::string_view) -> bool { throw std::runtime_error("nope"); });
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kInternal);
  EXPECT_NE(response.status().message().find("nope"), std::string::npos);
}

TEST_F(HttpClientErrorTest, WholeExchangeTimeoutIsDeadlineExceeded) {
  HttpRequest request = Request("/slow");
  request.timeout = milliseconds(300);
  auto start = Stopwatch::now();
  StatusOr<HttpResponse> response = transport_->Send(request);
  auto elapsed = Stopwatch::now() - start;
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kDeadlineExceeded)
      << response.status().ToString();
  EXPECT_LT(elapsed, milliseconds(3000));
}

TEST_F(HttpClientErrorTest, IdleTimeoutFiresOnStalledStream) {
  HttpRequest request = Request("/stall");
  request.timeout = milliseconds(0);  // none: only the idle limit applies
  request.idle_timeout = milliseconds(1000);
  std::string received;
  auto start = Stopwatch::now();
  StatusOr<HttpResponse> response = transport_->SendStreaming(request, [&](std::string_view chunk) {
    received.append(chunk);
    return true;
  });
  auto elapsed = Stopwatch::now() - start;
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kDeadlineExceeded)
      << response.status().ToString();
  EXPECT_EQ(received, "a");
  EXPECT_GE(elapsed, milliseconds(900));
  EXPECT_LT(elapsed, milliseconds(5000));
}

TEST_F(HttpClientErrorTest, ConnectionRefusedIsUnavailable) {
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(UnusedLoopbackPort()) + "/x";
  StatusOr<HttpResponse> response = transport_->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable) << response.status().ToString();
}

TEST_F(HttpClientErrorTest, ErrorMessagesNeverContainSecrets) {
  const std::string query = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=secret";
  HttpRequest refused;
  refused.url = "http://127.0.0.1:" + std::to_string(UnusedLoopbackPort()) + "/bucket/key" + query;
  refused.headers = {{"Authorization", "Bearer secret-token"}};
  HttpRequest timed_out = Request("/slow" + query);
  timed_out.timeout = milliseconds(200);
  timed_out.headers = refused.headers;
  HttpRequest malformed;
  malformed.url = "http://bad host/key" + query;
  HttpRequest with_password;
  with_password.url = "http://user:secret@127.0.0.1:" + std::to_string(UnusedLoopbackPort()) + "/k";
  HttpRequest bad_header = Request("/x" + query);
  bad_header.headers = {{"X-Token", "secret\r\nInjected: 1"}};
  for (const HttpRequest* request :
       {&refused, &timed_out, &malformed, &bad_header, &with_password}) {
    StatusOr<HttpResponse> response = transport_->Send(*request);
    ASSERT_FALSE(response.ok());
    const std::string message = response.status().message();
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
    EXPECT_EQ(message.find("X-Amz"), std::string::npos) << message;
  }
  StatusOr<HttpResponse> response = transport_->Send(refused);
  EXPECT_NE(response.status().message().find("/bucket/key"), std::string::npos);
}

TEST_F(HttpClientErrorTest, MalformedRequestsAreInvalidArgument) {
  HttpRequest no_scheme;
  no_scheme.url = "example.com/x";
  HttpRequest ftp;
  ftp.url = "ftp://example.com/x";
  HttpRequest bad_method = Request("/x");
  bad_method.method = "GET /evil";
  HttpRequest bad_header = Request("/x");
  bad_header.headers = {{"Bad Name", "v"}};
  for (const HttpRequest* request : {&no_scheme, &ftp, &bad_method, &bad_header}) {
    StatusOr<HttpResponse> response = transport_->Send(*request);
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.status().code(), StatusCode::kInvalidArgument)
        << response.status().ToString();
  }
}

TEST(HttpClientRawPeerTest, KeepsOnlyFinalResponseHeadersAfterInterimResponses) {
  RawReplyServer peer(
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Final:   padded value  \r\n"
      "X-Folded: one\r\n two\r\nConnection: close\r\n\r\nok");
  HttpRequest request;
  request.url = peer.Url("/x");
  StatusOr<HttpResponse> response = NewCurlTransport()->Send(request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok");
  EXPECT_EQ(FindHeader(response->headers, "link"), std::nullopt);
  EXPECT_EQ(FindHeader(response->headers, "x-final"), "padded value");
  EXPECT_EQ(FindHeader(response->headers, "x-folded"), "one two");
}

TEST(HttpClientRawPeerTest, ClosedWithoutReplyIsUnavailable) {
  RawReplyServer peer("");
  HttpRequest request;
  request.url = peer.Url("/x");
  StatusOr<HttpResponse> response = NewCurlTransport()->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable) << response.status().ToString();
}

TEST(HttpClientRawPeerTest, TornBodyIsUnavailable) {
  RawReplyServer peer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
  HttpRequest request;
  request.url = peer.Url("/x");
  StatusOr<HttpResponse> response = NewCurlTransport()->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable) << response.status().ToString();
}

TEST(HttpClientRawPeerTest, GarbageReplyIsUnavailable) {
  RawReplyServer peer("this is not HTTP at all\r\n\r\n");
  HttpRequest request;
  request.url = peer.Url("/x");
  StatusOr<HttpResponse> response = NewCurlTransport()->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable) << response.status().ToString();
}

}  // namespace
}  // namespace ragd
