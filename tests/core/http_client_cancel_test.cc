// Cancelling a transfer of the libcurl transport through HttpRequest::cancelled while the peer is
// silent (no head yet, or a stalled body), and small receive buffers.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/http_client.h"
#include "tests/core/http_test_servers.h"

namespace ragd {
namespace {

using std::chrono::milliseconds;
using Stopwatch = std::chrono::steady_clock;

class HttpClientCancelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    httplib::Server& s = peer_.server();
    s.Post("/silent", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      peer_.Sleep(milliseconds(10000));
      res.set_content("late", "text/plain");
    });
    s.Get("/stall", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.set_chunked_content_provider("text/plain", [this](size_t, httplib::DataSink& sink) {
        sink.write("a", 1);
        peer_.Sleep(milliseconds(10000));
        sink.done();
        return true;
      });
    });
    s.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      std::string body;
      for (int i = 0; i < 50000; ++i) body += std::to_string(i) + ",";
      res.set_content(body, "text/plain");
    });
    peer_.Start();
  }

  // A request whose cancel flag is raised `after` from another thread.
  HttpRequest CancelledAfter(const std::string& method, const std::string& path,
                             milliseconds after) {
    HttpRequest request;
    request.method = method;
    request.url = peer_.Url(path);
    request.timeout = milliseconds(0);
    request.idle_timeout = milliseconds(20000);
    request.cancelled = [this] { return cancel_.load(); };
    canceller_ = std::thread([this, after] {
      std::this_thread::sleep_for(after);
      cancel_ = true;
    });
    return request;
  }

  void TearDown() override {
    if (canceller_.joinable()) canceller_.join();
  }

  std::atomic<int> requests_{0};
  std::atomic<bool> cancel_{false};
  std::thread canceller_;
  LoopbackHttpServer peer_;
  std::unique_ptr<HttpTransport> transport_ = NewCurlTransport();
};

TEST_F(HttpClientCancelTest, CancelReachesATransferWaitingForTheHead) {
  HttpRequest request = CancelledAfter("POST", "/silent", milliseconds(200));
  request.body = "{\"prompt\":\"hi\"}";
  bool head_called = false;
  const auto start = Stopwatch::now();
  StatusOr<HttpResponse> response = transport_->SendStreamingWithHead(
      request,
      [&](int, const HttpHeaders&) {
        head_called = true;
        return true;
      },
      [](std::string_view) { return true; });
  const auto elapsed = Stopwatch::now() - start;
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kCancelled) << response.status().ToString();
  EXPECT_FALSE(head_called);
  EXPECT_EQ(requests_.load(), 1);  // the request did go out
  // libcurl polls an idle transfer about once per second: 0.2 s + at most ~1 s, not 10 s.
  EXPECT_GE(elapsed, milliseconds(190));
  EXPECT_LT(elapsed, milliseconds(2000));
}

TEST_F(HttpClientCancelTest, CancelReachesAStalledStream) {
  HttpRequest request = CancelledAfter("GET", "/stall", milliseconds(200));
  std::string received;
  const auto start = Stopwatch::now();
  StatusOr<HttpResponse> response = transport_->SendStreaming(request, [&](std::string_view c) {
    received.append(c);
    return true;
  });
  const auto elapsed = Stopwatch::now() - start;
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kCancelled) << response.status().ToString();
  EXPECT_EQ(received, "a");
  EXPECT_LT(elapsed, milliseconds(2000));
}

TEST_F(HttpClientCancelTest, AlreadyCancelledRequestIsNotSent) {
  HttpRequest request;
  request.method = "POST";
  request.url = peer_.Url("/silent");
  request.cancelled = [] { return true; };
  StatusOr<HttpResponse> response = transport_->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(requests_.load(), 0);
}

TEST_F(HttpClientCancelTest, PredicateThatNeverFiresChangesNothingAndTransportStaysUsable) {
  HttpRequest request;
  request.url = peer_.Url("/big");
  int polls = 0;
  request.cancelled = [&polls] {
    ++polls;
    return false;
  };
  request.receive_buffer_bytes = 1;  // raised to libcurl's 1 KiB minimum: many small reads
  std::string received;
  size_t largest_chunk = 0;
  StatusOr<HttpResponse> response = transport_->SendStreaming(request, [&](std::string_view c) {
    received.append(c);
    largest_chunk = std::max(largest_chunk, c.size());
    return true;
  });
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  std::string expected;
  for (int i = 0; i < 50000; ++i) expected += std::to_string(i) + ",";
  EXPECT_EQ(received, expected);
  EXPECT_LE(largest_chunk, 1024u);
  EXPECT_GT(polls, 0);

  // A cancelled transfer does not poison the transport.
  HttpRequest stalled = CancelledAfter("GET", "/stall", milliseconds(100));
  ASSERT_FALSE(transport_->SendStreaming(stalled, [](std::string_view) { return true; }).ok());
  request.cancelled = nullptr;
  StatusOr<HttpResponse> again = transport_->Send(request);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->body, expected);
}

TEST_F(HttpClientCancelTest, ThrowingPredicateIsAnInternalError) {
  HttpRequest request;
  request.url = peer_.Url("/stall");
  int calls = 0;
  request.cancelled = [&calls]() -> bool {
    if (++calls > 1) throw std::runtime_error("predicate broke");
    return false;
  };
  StatusOr<HttpResponse> response =
      transport_->SendStreaming(request, [](std::string_view) { return true; });
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kInternal) << response.status().ToString();
  EXPECT_NE(response.status().message().find("predicate broke"), std::string::npos);
}

}  // namespace
}  // namespace ragd
