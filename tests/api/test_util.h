// Helpers for api/ tests: an in-process Server on a free loopback port, and a raw TCP client for
// requests that a well-behaved HTTP client would never send.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "api/server.h"

namespace ragd::testing {

class RunningServer {
 public:
  RunningServer(ServerOptions options, RequestHandler& handler);
  ~RunningServer();  // shuts down and joins
  int port() const { return server_->port(); }
  std::string url(const std::string& path) const;
  Server& server() { return *server_; }
  // Blocks until Run() has returned (after Shutdown()).
  void Join();

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

// Connects to 127.0.0.1:port; -1 on failure.
int Connect(int port);
bool SendAll(int fd, const std::string& bytes);
// Reads until the peer closes or `timeout_ms` passes without data.
std::string ReadUntilClose(int fd, int timeout_ms = 3000);
// Reads one HTTP response with Content-Length (headers + body) from a keep-alive connection.
std::string ReadOneResponse(int fd, int timeout_ms = 3000);
// Sends `bytes` on a fresh connection and returns everything read until close.
std::string RawExchange(int port, const std::string& bytes, int timeout_ms = 3000);

}  // namespace ragd::testing
