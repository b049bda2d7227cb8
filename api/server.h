// The embedded HTTP/1.1 server: Boost.Beast + Asio with C++20 coroutines.
//
// - One io_context per network thread (`io_threads`), connections spread round-robin; one
//   coroutine per connection, so an idle keep-alive connection costs a socket, a small buffer and a
//   coroutine frame (no thread).
// - Handlers that may block (SQLite, parsing, embedding) run on a separate worker pool; handlers
//   marked inline (health, metrics) run on the network thread.
// - Limits: request-head size (431), body size per route (413), read timeout per request, idle
//   timeout between keep-alive requests, a connection cap.
// - Streaming: a Response with `stream` is sent chunked; the producer writes to a StreamSink from
//   any thread; a client disconnect marks the sink cancelled so upstream work can stop.
// - Shutdown(): stop accepting, close idle connections, let in-flight requests and streams finish
//   (each answered with "Connection: close") until the grace period ends, then stop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http.h"
#include "core/status.h"

namespace ragd {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see Server::port())
  int io_threads = 1;
  int worker_threads = 2;
  size_t max_header_bytes = 16 * 1024;
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds idle_timeout{75'000};
  std::chrono::milliseconds shutdown_grace{20'000};
  int max_connections = 20'000;
};

// Decided per request once its head is read, before the body is.
struct RouteTraits {
  size_t body_limit = 1024 * 1024;  // larger bodies are refused with 413 without reading them
  bool run_inline = false;          // true: handler never blocks; run it on the network thread
  // Answer at once with this, without reading the body (e.g. an upload whose signature is bad).
  std::optional<Response> reject;
  // When set, the body is streamed into this (new) file instead of memory, and Request::body_file
  // names it; the handler owns the file afterwards. The server deletes it if the body never
  // arrives completely.
  std::string body_file;
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // `head` has method, target, path, query, headers, remote_addr and request_id; no body. The
  // handler may annotate it (e.g. the matched route); the same object is later passed to Handle.
  virtual RouteTraits Inspect(Request& head) = 0;
  // Produces the response; never throws. `request` is complete (body read).
  virtual Response Handle(Request& request) = 0;
  // Called for requests the server itself rejects (431, 413, 400, 503) so they are counted and
  // rendered in the application's error shape.
  virtual Response Reject(const Request& head, int status, const std::string& message) = 0;
};

class Server {
 public:
  // `handler` must outlive the server.
  Server(ServerOptions options, RequestHandler& handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; after OK, port() is the bound port.
  Status Listen();
  int port() const;
  // Serves on io_threads threads until Shutdown() completes; blocks the caller.
  void Run();
  // Begins a graceful shutdown; safe to call from any thread or a signal-handling context's
  // executor, more than once.
  void Shutdown();
  // Runs Shutdown() when the process receives SIGTERM or SIGINT (while Run() is active).
  void ShutdownOnSignals();

  // Connections currently open / requests currently being handled (for /metrics).
  int open_connections() const;
  int in_flight() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ragd
