// The HTTP server on a real loopback port: keep-alive, limits, timeouts, streaming with client
// disconnect, and graceful shutdown with a request in flight.
#include "api/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>

#include "core/http_client.h"
#include "tests/api/test_util.h"

namespace ragd {
namespace {

using namespace std::chrono_literals;
using testing::Connect;
using testing::RawExchange;
using testing::ReadOneResponse;
using testing::RunningServer;
using testing::SendAll;

// Routes: /echo (body back), /slow?ms=N (sleeps), /stream (SSE, 3 events), /forever (streams
// until the client leaves). The body limit is 1 KiB.
class TestHandler : public RequestHandler {
 public:
  RouteTraits Inspect(Request& head) override {
    RouteTraits t;
    t.body_limit = 1024;
    t.run_inline = head.path == "/echo";
    if (head.path == "/reject") t.reject = Response::Text(403, "no thanks");
    if (head.path == "/upload") {
      t.body_limit = 1 << 20;
      t.body_file = upload_path;
    }
    return t;
  }
  Response Handle(Request& req) override {
    if (req.path == "/echo") return Response::Text(200, req.body);
    if (req.path == "/peer") {
      return Response::Text(200, req.remote_addr + "|" + req.request_id + "|" +
                                     req.Header("x-custom").value_or("none"));
    }
    if (req.path == "/upload") {
      std::ifstream in(req.body_file, std::ios::binary);
      std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      return Response::Text(200, std::to_string(content.size()) + " " +
                                     std::to_string(std::hash<std::string>()(content)));
    }
    if (req.path == "/slow") {
      started_.set_value();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(*req.QueryParam("ms"))));
      return Response::Text(200, "slow done");
    }
    if (req.path == "/stream") {
      return Response::EventStream([](std::shared_ptr<StreamSink> sink) {
        for (int i = 0; i < 3; ++i) {
          sink->Write(SseEvent("delta", "{\"i\":" + std::to_string(i) + "}"));
          std::this_thread::sleep_for(20ms);
        }
        sink->Write(SseEvent("done", "{}"));
        sink->Close();
      });
    }
    if (req.path == "/many") {
      return Response::EventStream([](std::shared_ptr<StreamSink> sink) {
        std::thread([sink] {
          for (int i = 0; i < 200; ++i) sink->Write(SseEvent("n", std::to_string(i)));
          sink->Close();
        }).detach();
      });
    }
    if (req.path == "/forever") {
      return Response::EventStream([this](std::shared_ptr<StreamSink> sink) {
        // Produce from another thread, as a real upstream (LLM) would.
        std::thread([this, sink] {
          int n = 0;
          while (!sink->Cancelled() && n < 1000) {
            sink->Write(SseEvent("tick", std::to_string(n++)));
            std::this_thread::sleep_for(10ms);
          }
          cancelled_seen_ = sink->Cancelled();
          sink->Close();
          producer_done_.set_value();
        }).detach();
      });
    }
    return Response::Text(404, "no");
  }
  Response Reject(const Request&, int status, const std::string& message) override {
    return Response::Json(status, {{"error", {{"message", message}}}});
  }

  std::string upload_path = "/tmp/ragd_server_test_upload_" + std::to_string(::getpid());
  std::promise<void> started_;
  std::promise<void> producer_done_;
  std::atomic<bool> cancelled_seen_{false};
};

ServerOptions Options() {
  ServerOptions o;
  o.io_threads = 2;
  o.worker_threads = 2;
  o.max_header_bytes = 4096;
  o.read_timeout = 1000ms;
  o.idle_timeout = 500ms;
  o.shutdown_grace = 3000ms;
  return o;
}

TEST(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  const int fd = Connect(server.port());
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 5; ++i) {
    const std::string body = "hello " + std::to_string(i);
    ASSERT_TRUE(SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body));
    const std::string response = ReadOneResponse(fd);
    EXPECT_NE(response.find("HTTP/1.1 200 OK"), std::string::npos) << response;
    EXPECT_NE(response.find("X-Request-Id: r"), std::string::npos);
    EXPECT_EQ(response.substr(response.size() - body.size()), body);
  }
  ::close(fd);
}

TEST(ServerTest, EchoesAValidIncomingRequestId) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  const std::string response = RawExchange(
      server.port(),
      "GET /echo HTTP/1.1\r\nHost: x\r\nX-Request-Id: trace-123\r\nConnection: close\r\n\r\n");
  EXPECT_NE(response.find("X-Request-Id: trace-123"), std::string::npos) << response;
}

TEST(ServerTest, EveryKeepAliveRequestGetsThePeerAddressHeadersAndItsOwnId) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  const int fd = Connect(server.port());
  ASSERT_GE(fd, 0);
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    const std::string custom = i == 1 ? "X-Custom: V" + std::to_string(i) + "\r\n" : "";
    ASSERT_TRUE(SendAll(fd, "GET /peer HTTP/1.1\r\nHost: x\r\n" + custom + "\r\n"));
    const std::string response = ReadOneResponse(fd);
    const std::string body = response.substr(response.find("\r\n\r\n") + 4);
    const size_t bar1 = body.find('|'), bar2 = body.rfind('|');
    ASSERT_NE(bar1, bar2) << body;
    EXPECT_EQ(body.substr(0, bar1), "127.0.0.1");
    ids.insert(body.substr(bar1 + 1, bar2 - bar1 - 1));
    EXPECT_EQ(body.substr(bar2 + 1), i == 1 ? "V1" : "none");
  }
  EXPECT_EQ(ids.size(), 3u);
  ::close(fd);
}

TEST(ServerTest, OversizedHeadIs431AndConnectionCloses) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  const std::string response =
      RawExchange(server.port(),
                  "GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
  EXPECT_NE(response.find("HTTP/1.1 431"), std::string::npos) << response.substr(0, 200);
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
}

TEST(ServerTest, DeclaredBodyOverLimitIs413WithoutReadingIt) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  // Only the head is sent: the 413 must come without waiting for the 5000 body bytes.
  const auto start = std::chrono::steady_clock::now();
  const std::string response =
      RawExchange(server.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  EXPECT_NE(response.find("HTTP/1.1 413"), std::string::npos) << response;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
}

TEST(ServerTest, ChunkedBodyOverLimitIs413) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  std::string chunk(600, 'x');
  const std::string request =
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk +
      "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n";
  const std::string response = RawExchange(server.port(), request);
  EXPECT_NE(response.find("HTTP/1.1 413"), std::string::npos) << response;
}

TEST(ServerTest, BodyStreamsToAFileWhenTheRouteAsks) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  std::string body(300 * 1024, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7);
  auto transport = NewCurlTransport();
  HttpRequest req;
  req.method = "PUT";
  req.url = server.url("/upload");
  req.body = body;
  auto r = transport->Send(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body,
            std::to_string(body.size()) + " " + std::to_string(std::hash<std::string>()(body)));
  std::filesystem::remove(handler.upload_path);
}

TEST(ServerTest, OversizedFileBodyLeavesNoPartialFile) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  std::string chunk(700 * 1024, 'x');
  const std::string response =
      RawExchange(server.port(),
                  "PUT /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nAF000\r\n" +
                      chunk + "\r\nAF000\r\n" + chunk + "\r\n0\r\n\r\n");
  EXPECT_NE(response.find("HTTP/1.1 413"), std::string::npos) << response.substr(0, 100);
  EXPECT_FALSE(std::filesystem::exists(handler.upload_path));
}

TEST(ServerTest, RouteCanRejectBeforeTheBodyIsRead) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  const std::string response =
      RawExchange(server.port(), "PUT /reject HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
  EXPECT_NE(response.find("HTTP/1.1 403"), std::string::npos) << response;
  EXPECT_NE(response.find("no thanks"), std::string::npos);
}

TEST(ServerTest, MalformedRequestIs400) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  const std::string response = RawExchange(server.port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_NE(response.find("HTTP/1.1 400"), std::string::npos) << response;
}

TEST(ServerTest, SlowBodyIsCutOffAfterTheReadTimeout) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  const auto start = std::chrono::steady_clock::now();
  const std::string response = RawExchange(
      server.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", 5000);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(response, "");  // closed, never handled
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 3000ms);
}

TEST(ServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  const int fd = Connect(server.port());
  ASSERT_GE(fd, 0);
  const auto start = std::chrono::steady_clock::now();
  char c;
  EXPECT_EQ(::recv(fd, &c, 1, 0), 0);  // orderly close by the server
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 400ms);
  EXPECT_LT(waited, 2000ms);
  ::close(fd);
}

TEST(ServerTest, StreamsServerSentEventsIncrementally) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  auto transport = NewCurlTransport();
  HttpRequest req;
  req.url = server.url("/stream");
  std::vector<std::string> chunks;
  auto response = transport->SendStreaming(req, [&](std::string_view chunk) {
    chunks.emplace_back(chunk);
    return true;
  });
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(FindHeader(response->headers, "content-type"), "text/event-stream");
  EXPECT_EQ(FindHeader(response->headers, "transfer-encoding"), "chunked");
  std::string all;
  for (const auto& c : chunks) all += c;
  EXPECT_EQ(all,
            "event: delta\ndata: {\"i\":0}\n\nevent: delta\ndata: {\"i\":1}\n\n"
            "event: delta\ndata: {\"i\":2}\n\nevent: done\ndata: {}\n\n");
  EXPECT_GE(chunks.size(), 3u);  // arrived as separate pieces, not one buffered body
}

// Writes racing with the connection's own chunk writes must never strand the end of the stream.
TEST(ServerTest, BurstsOfWritesFromAnotherThreadAllArriveAndTheStreamEnds) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  auto transport = NewCurlTransport();
  for (int round = 0; round < 30; ++round) {
    HttpRequest req;
    req.url = server.url("/many");
    req.timeout = 5000ms;
    std::string all;
    auto response = transport->SendStreaming(req, [&](std::string_view chunk) {
      all += chunk;
      return true;
    });
    ASSERT_TRUE(response.ok()) << "round " << round << ": " << response.status().ToString();
    EXPECT_NE(all.find("data: 199\n"), std::string::npos);
  }
}

TEST(ServerTest, ClientDisconnectCancelsTheStream) {
  TestHandler handler;
  RunningServer server(Options(), handler);
  auto transport = NewCurlTransport();
  HttpRequest req;
  req.url = server.url("/forever");
  int received = 0;
  auto response = transport->SendStreaming(req, [&](std::string_view) { return ++received < 3; });
  EXPECT_EQ(response.status().code(), StatusCode::kCancelled);
  auto done = handler.producer_done_.get_future();
  ASSERT_EQ(done.wait_for(5s), std::future_status::ready) << "producer never saw the disconnect";
  EXPECT_TRUE(handler.cancelled_seen_.load());
}

TEST(ServerTest, GracefulShutdownFinishesTheRequestInFlight) {
  TestHandler handler;
  auto server = std::make_unique<RunningServer>(Options(), handler);
  const int port = server->port();
  auto started = handler.started_.get_future();
  std::future<std::string> reply = std::async(std::launch::async, [port] {
    return RawExchange(port, "GET /slow?ms=600 HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
  });
  ASSERT_EQ(started.wait_for(5s), std::future_status::ready);
  const int idle_fd = Connect(port);  // an idle keep-alive client
  ASSERT_GE(idle_fd, 0);
  std::this_thread::sleep_for(50ms);
  server->server().Shutdown();
  // New connections are refused once shutdown begins.
  std::this_thread::sleep_for(100ms);
  const int late = Connect(port);
  EXPECT_LT(late, 0);
  if (late >= 0) ::close(late);
  // The idle client is closed without waiting for its idle timeout.
  char c;
  EXPECT_EQ(::recv(idle_fd, &c, 1, 0), 0);
  ::close(idle_fd);
  // The in-flight request completes, told the connection will close.
  const std::string response = reply.get();
  EXPECT_NE(response.find("HTTP/1.1 200 OK"), std::string::npos) << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  EXPECT_NE(response.find("slow done"), std::string::npos);
  server->Join();
}

TEST(ServerTest, ShutdownGraceBoundsAHungRequest) {
  TestHandler handler;
  ServerOptions options = Options();
  options.shutdown_grace = 200ms;
  RunningServer server(options, handler);
  const int port = server.port();
  auto started = handler.started_.get_future();
  std::future<std::string> reply = std::async(std::launch::async, [port] {
    return RawExchange(port, "GET /slow?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
  });
  ASSERT_EQ(started.wait_for(5s), std::future_status::ready);
  const auto start = std::chrono::steady_clock::now();
  server.server().Shutdown();
  server.Join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1200ms);
  reply.get();
}

}  // namespace
}  // namespace ragd
