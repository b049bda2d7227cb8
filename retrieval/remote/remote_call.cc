#include "retrieval/remote/remote_call.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>

#include "core/crypto.h"
#include "core/json_access.h"
#include "core/log.h"

namespace ragd {

StatusOr<RemoteEndpoint> ParseRemoteEndpoint(std::string_view url, std::string_view what) {
  const Status bad =
      InvalidArgumentError(std::string(what) + " must look like scheme://host[:port][/path]");
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad;
  RemoteEndpoint out;
  out.scheme = std::string(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") {
    return InvalidArgumentError(std::string(what) + " scheme must be http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  const size_t slash = rest.find('/');
  out.authority = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) out.base_path = std::string(rest.substr(slash));
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  if (out.authority.empty() || url.find_first_of("?#@ \t\r\n") != std::string_view::npos) {
    return bad;
  }
  return out;
}

std::optional<std::chrono::milliseconds> RetryAfter(const HttpHeaders& headers) {
  const std::optional<std::string> value = FindHeader(headers, "retry-after");
  if (!value || value->empty() || value->size() > 6) return std::nullopt;
  int64_t seconds = 0;
  for (char c : *value) {
    if (c < '0' || c > '9') return std::nullopt;  // an HTTP date: not worth parsing here
    seconds = seconds * 10 + (c - '0');
  }
  return std::chrono::milliseconds(seconds * 1000);
}

std::chrono::milliseconds RemoteRetryDelay(const RemoteRetryOptions& options, int retry,
                                           std::optional<std::chrono::milliseconds> retry_after) {
  const int64_t base = std::max<int64_t>(options.base_delay.count(), 1);
  const int64_t cap = std::max<int64_t>(options.max_delay.count(), base);
  const int64_t step = std::min(cap, base << std::clamp(retry, 0, 20));
  // The server knows best how long it needs, but a huge Retry-After must not park a worker.
  if (retry_after) return std::chrono::milliseconds(std::min(cap, retry_after->count()));
  // "Equal jitter": half fixed, half random, so synchronized clients spread out without any of
  // them retrying at once.
  uint32_t random = 0;
  const std::string bytes = RandomBytes(sizeof(random));
  std::memcpy(&random, bytes.data(), sizeof(random));
  const int64_t half = step / 2;
  return std::chrono::milliseconds(half + static_cast<int64_t>(random % (step - half + 1)));
}

StatusOr<HttpResponse> SendWithRetries(HttpTransport& transport, Clock& clock,
                                       const RemoteRetryOptions& options, std::string_view what,
                                       const RemoteRequestBuilder& build,
                                       const RemoteFailureClassifier& classify) {
  const int attempts = std::max(options.max_attempts, 1);
  for (int attempt = 1;; ++attempt) {
    RAGD_ASSIGN_OR_RETURN(HttpRequest request, build());
    StatusOr<HttpResponse> response = transport.Send(request);
    RemoteFailure failure;
    std::optional<std::chrono::milliseconds> retry_after;
    int http_status = 0;
    if (!response.ok()) {
      const StatusCode code = response.status().code();
      const bool transient =
          code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded;
      failure.retryable = transient;
      failure.status =
          transient ? UnavailableError(std::string(what) + ": " + response.status().message())
                    : response.status().WithContext(what);
    } else if (response->status >= 200 && response->status <= 299) {
      return response;
    } else {
      http_status = response->status;
      failure = classify(*response);
      retry_after = RetryAfter(response->headers);
    }
    if (!failure.retryable) return failure.status;
    if (attempt >= attempts) {
      return Status(failure.status.code(),
                    failure.status.message() + " (after " + std::to_string(attempts) +
                        (attempts == 1 ? " attempt)" : " attempts)"),
                    failure.status.kind());
    }
    const std::chrono::milliseconds delay = RemoteRetryDelay(options, attempt - 1, retry_after);
    Log(LogLevel::kWarn, "-", "embedding request failed; retrying",
        {{"what", std::string(what)},
         {"attempt", attempt},
         {"http_status", http_status},
         {"error", failure.status.message()},
         {"delay_ms", delay.count()}});
    if (options.sleep) {
      options.sleep(delay);
    } else {
      clock.SleepFor(delay);
    }
  }
}

Status ParallelFor(int n, int concurrency, const std::function<Status(int)>& fn) {
  if (n <= 0) return OkStatus();
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  int first_failed_index = n;  // guarded by mu
  Status first_error;          // guarded by mu
  auto worker = [&] {
    for (;;) {
      if (failed.load(std::memory_order_relaxed)) return;
      const int i = next.fetch_add(1);
      if (i >= n) return;
      Status status = fn(i);
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (i < first_failed_index) {
          first_failed_index = i;
          first_error = std::move(status);
        }
        failed.store(true);
      }
    }
  };
  const int threads = std::clamp(concurrency, 1, n);
  std::vector<std::thread> helpers;
  helpers.reserve(threads - 1);
  for (int t = 1; t < threads; ++t) {
    try {
      helpers.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // no thread to be had: the ones we have (at least this one) do the work
    }
  }
  worker();
  for (std::thread& t : helpers) t.join();
  return first_error;
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

StatusOr<nlohmann::json> ParseJsonBody(std::string_view body, std::string_view what) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return DataLossError(std::string(what) + ": response is not JSON");
  return parsed;
}

Status ReadVector(const nlohmann::json& array, int dim, std::string_view what, float* out) {
  if (!array.is_array()) return DataLossError(std::string(what) + ": embedding is not an array");
  if (array.size() != static_cast<size_t>(dim)) {
    return DataLossError(std::string(what) + ": embedding has " + std::to_string(array.size()) +
                         " values, expected " + std::to_string(dim));
  }
  for (int i = 0; i < dim; ++i) {
    const nlohmann::json& v = array[static_cast<size_t>(i)];
    if (!v.is_number()) return DataLossError(std::string(what) + ": embedding value not a number");
    out[i] = v.get<float>();
  }
  return OkStatus();
}

Status NormalizeVectors(std::vector<float>& vectors, int dim, std::string_view what) {
  if (dim <= 0) return OkStatus();
  for (size_t row = 0; row + dim <= vectors.size(); row += dim) {
    double sum = 0;
    for (int i = 0; i < dim; ++i) {
      const double v = vectors[row + i];
      if (!std::isfinite(v)) {
        return DataLossError(std::string(what) + ": embedding has a non-finite value");
      }
      sum += v * v;
    }
    if (sum <= 0) return DataLossError(std::string(what) + ": embedding is all zeros");
  }
  NormalizeRows(vectors, dim);
  return OkStatus();
}

std::string JsonString(const nlohmann::json& object, std::string_view key) {
  return JsonStringMember(object, key).value_or("");
}

std::string_view Utf8Prefix(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    // Each byte that is not a continuation byte (10xxxxxx) starts a character.
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) return text.substr(0, i);
      ++chars;
    }
  }
  return text;
}

}  // namespace ragd
