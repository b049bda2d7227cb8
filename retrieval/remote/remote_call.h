// Plumbing shared by the remote embedders (not part of the public surface): endpoint parsing, the
// retry loop, bounded fan-out, and JSON helpers that never throw.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/http_client.h"
#include "core/status.h"
#include "retrieval/remote/remote_embedder.h"

namespace ragd {

struct RemoteEndpoint {
  std::string scheme;     // "http" | "https"
  std::string authority;  // "host[:port]", the Host header
  std::string base_path;  // "" or "/prefix" without a trailing '/'
  std::string Url(std::string_view path) const {
    return scheme + "://" + authority + base_path + std::string(path);
  }
};

// Parses "scheme://host[:port][/path]". kInvalidArgument naming `what` otherwise.
StatusOr<RemoteEndpoint> ParseRemoteEndpoint(std::string_view url, std::string_view what);

// How to treat a response outside 2xx.
struct RemoteFailure {
  // Returned when the failure is not retryable, or when the attempts run out.
  Status status;
  bool retryable = false;
};

using RemoteRequestBuilder = std::function<StatusOr<HttpRequest>()>;
using RemoteFailureClassifier = std::function<RemoteFailure(const HttpResponse&)>;

// Sends the request `build` makes (called once per attempt, so signatures are fresh) until a 2xx
// arrives, a non-retryable failure happens, or options.max_attempts attempts were made. Transport
// kUnavailable / kDeadlineExceeded are retried and, when the attempts run out, returned as
// kUnavailable. A builder error is returned at once. `what` prefixes messages and log lines.
StatusOr<HttpResponse> SendWithRetries(HttpTransport& transport, Clock& clock,
                                       const RemoteRetryOptions& options, std::string_view what,
                                       const RemoteRequestBuilder& build,
                                       const RemoteFailureClassifier& classify);

// The wait before retry number `retry` (0 for the first retry); see remote_embedder.h.
std::chrono::milliseconds RemoteRetryDelay(const RemoteRetryOptions& options, int retry,
                                           std::optional<std::chrono::milliseconds> retry_after);

// A Retry-After header given in whole seconds; nullopt when absent or an HTTP date.
std::optional<std::chrono::milliseconds> RetryAfter(const HttpHeaders& headers);

// Runs fn(0) .. fn(n - 1) on at most `concurrency` threads (the calling thread included). After a
// failure no new index is started; the error of the lowest failing index is returned.
Status ParallelFor(int n, int concurrency, const std::function<Status(int)>& fn);

// Serialises without throwing: invalid UTF-8 in strings is replaced by U+FFFD.
std::string DumpJson(const nlohmann::json& value);
// Parses without throwing; kDataLoss naming `what` when the body is not JSON.
StatusOr<nlohmann::json> ParseJsonBody(std::string_view body, std::string_view what);
// Copies a JSON array of `dim` numbers to out[0 .. dim); kDataLoss naming `what` otherwise.
Status ReadVector(const nlohmann::json& array, int dim, std::string_view what, float* out);
// Scales each row to unit norm; kDataLoss if a row has a non-finite value or is all zeros.
Status NormalizeVectors(std::vector<float>& vectors, int dim, std::string_view what);
// A string member of `object`, or "".
std::string JsonString(const nlohmann::json& object, std::string_view key);

// The longest prefix of `text` with at most `max_chars` UTF-8 characters (code points), never
// splitting one.
std::string_view Utf8Prefix(std::string_view text, size_t max_chars);

}  // namespace ragd
