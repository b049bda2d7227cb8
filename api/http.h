// The HTTP vocabulary shared by the server, the router and the handlers. Nothing below api/ sees
// these types: handlers parse bodies into plain structs and call engine/ingest/retrieval.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log.h"

namespace ragd {

struct Route;

enum class Role { kUser, kAdmin };
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

// Who is calling: set by authentication before a handler runs.
struct Principal {
  std::string key_id;  // public id of the API key
  std::string name;    // the key's label
  Role role = Role::kUser;
  bool is_admin() const { return role == Role::kAdmin; }
};

struct Request {
  std::string method;  // upper-case, e.g. "GET"
  std::string target;  // as received: path plus optional "?query"
  std::string path;    // target without the query, still percent-encoded
  std::string query;   // after '?', still percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string body_file;  // set instead of `body` for routes that stream their body to a file
  std::string remote_addr;
  std::string request_id;
  // Filled by the router and authentication.
  std::string route;  // matched pattern, e.g. "/v1/keys/{id}" ("unmatched" when none)
  std::map<std::string, std::string> path_params;  // percent-decoded
  std::optional<Principal> principal;
  const Route* matched_route = nullptr;  // set by the router; null when nothing matched

  std::optional<std::string> Header(std::string_view lower_name) const;
  // Percent-decoded value of the first query parameter `name` ('+' is a space).
  std::optional<std::string> QueryParam(std::string_view name) const;
  Logger log() const { return Logger(request_id); }
};

// Where a streamed response goes. Handlers (or work they start) write from any thread.
// Thread safety: all methods may be called concurrently.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Queues bytes for the client; false once the client is gone (stop producing).
  virtual bool Write(std::string data) = 0;
  // Ends the response (the final chunk). Further writes are ignored. Must be called exactly once
  // by the producer, also after cancellation.
  virtual void Close() = 0;
  // True once the client disconnected or the server gave up on the stream.
  virtual bool Cancelled() const = 0;
};

// Starts a streamed body. Called on a worker thread after the response head is sent; it may write
// synchronously or hand `sink` to other threads and return at once.
using StreamProducer = std::function<void(std::shared_ptr<StreamSink> sink)>;

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  StreamProducer stream;  // when set, `body` is ignored and the body is sent chunked

  static Response Json(int status, const nlohmann::json& body);
  static Response Text(int status, std::string body, std::string content_type = "text/plain");
  static Response NoContent();
  // Server-Sent Events (text/event-stream, no caching).
  static Response EventStream(StreamProducer producer);
};

// Formats one Server-Sent Event ("event: <name>\ndata: <line>\n...\n\n").
std::string SseEvent(std::string_view event, std::string_view data);

std::string PercentDecode(std::string_view in, bool plus_as_space);

}  // namespace ragd
