// Outbound HTTP behind an interface, so S3, Bedrock and OpenAI-compatible clients can be tested
// with a fake transport (injected 429s, timeouts, torn streams) and run on libcurl in production.
//
// Errors: a transport-level failure is a non-OK Status (kUnavailable: could not connect /
// connection reset; kDeadlineExceeded: a timeout fired; kCancelled: the body callback asked to
// stop, or the request's cancel predicate returned true; kInvalidArgument: malformed URL). Any HTTP
// response, including 4xx/5xx, is an OK StatusOr whose `status` field holds the code: interpreting
// it is the caller's job.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace ragd {

// Header names are kept as given on requests; on responses they are lower-cased.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Returns the value of the first header named `name` (case-insensitive), if any.
std::optional<std::string> FindHeader(const HttpHeaders& headers, std::string_view name);

// Polled on the thread running the transfer; true aborts it with kCancelled. Must be cheap and
// must not block (e.g. a relaxed atomic load).
using HttpCancelPredicate = std::function<bool()>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute, already percent-encoded as it must appear on the wire
  HttpHeaders headers;
  std::string body;
  // When set, the body is streamed from this file instead of `body` (for large uploads).
  std::optional<std::string> body_file;
  std::chrono::milliseconds connect_timeout{5000};
  // Whole-exchange limit; zero means none (long streams use idle_timeout instead).
  std::chrono::milliseconds timeout{60000};
  // Abort if no bytes arrive for this long; zero means none.
  std::chrono::milliseconds idle_timeout{30000};
  // Optional. Checked before every body chunk is delivered and while the transfer waits (the curl
  // transport polls it about once per second even when no byte arrives: libcurl's progress
  // callback rate when idle), so an abandoned stream frees its connection within about a second
  // although the peer stays silent. Null: the transfer is never cancelled this way.
  HttpCancelPredicate cancelled;
  // Receive buffer size in bytes; zero means the transport's default (libcurl: 16 KiB, allocated
  // per transfer). Long-lived streams of small events (model tokens) can use a small one to keep
  // memory per concurrent stream down; values below 1 KiB are raised to 1 KiB.
  size_t receive_buffer_bytes = 0;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lower-cased, in arrival order
  std::string body;     // empty when a body callback consumed it
};

// Receives the response body as it arrives. Return false to abort the transfer (kCancelled).
using HttpBodyCallback = std::function<bool(std::string_view chunk)>;

// Receives the final response's status and headers (names lower-cased) before any body byte, so
// a streaming caller can tell an error document from the stream it asked for. Return false to
// abort the transfer (kCancelled).
using HttpHeadCallback = std::function<bool(int status, const HttpHeaders& headers)>;

// Thread safety: implementations must allow concurrent Send calls from many threads.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends `request` and buffers the whole response body.
  virtual StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
  // Sends `request`, delivering the body incrementally to `on_body` (called on the calling
  // thread); the returned response has status and headers but an empty body.
  virtual StatusOr<HttpResponse> SendStreaming(const HttpRequest& request,
                                               const HttpBodyCallback& on_body) = 0;
  // Like SendStreaming, but first calls `on_head` exactly once with the final status and headers
  // (before the first body chunk, or after the exchange when the body is empty; not at all when
  // the exchange fails before a body byte arrives). The default implementation buffers the whole
  // body through SendStreaming, then calls on_head and hands on_body the body in one piece: correct
  // but not incremental, and a torn body is lost; transports that can should override it.
  virtual StatusOr<HttpResponse> SendStreamingWithHead(const HttpRequest& request,
                                                       const HttpHeadCallback& on_head,
                                                       const HttpBodyCallback& on_body);
};

struct CurlTransportOptions {
  // Idle connections kept for reuse across requests (per host, shared by all threads).
  int max_idle_connections = 16;
  std::string user_agent = "ragd/0.1";
};

// libcurl-backed transport with connection reuse. Thread-safe.
std::unique_ptr<HttpTransport> NewCurlTransport(const CurlTransportOptions& options = {});

}  // namespace ragd
