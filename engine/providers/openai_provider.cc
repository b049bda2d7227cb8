#include "engine/providers/openai_provider.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "core/json_access.h"
#include "engine/providers/openai_sse.h"

namespace ragd {
namespace {

using nlohmann::json;

constexpr size_t kErrorBodyLimit = 64 * 1024;
// SSE chunks of a token or two: libcurl's 16 KiB default receive buffer, per concurrent stream, is
// mostly wasted; a larger read only needs more recv() calls.
constexpr size_t kStreamReceiveBuffer = 4 * 1024;

std::string BuildBody(const LlmRequest& request, bool include_usage) {
  json messages = json::array();
  if (!request.system.empty())
    messages.push_back({{"role", "system"}, {"content", request.system}});
  for (const LlmMessage& m : request.messages) {
    messages.push_back(
        {{"role", m.role == LlmMessage::Role::kUser ? "user" : "assistant"}, {"content", m.text}});
  }
  const GenerationConfig& g = request.generation;
  json body = {{"model", request.model_id},  {"messages", std::move(messages)}, {"stream", true},
               {"max_tokens", g.max_tokens}, {"temperature", g.temperature},    {"top_p", g.top_p}};
  if (!g.stop_sequences.empty()) body["stop"] = g.stop_sequences;
  if (include_usage) body["stream_options"] = {{"include_usage", true}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

// An OpenAI error object {"message", "type", "code"} (HTTP body or in-stream) as a Status.
Status OpenAiError(int http_status, const json& error, std::string_view raw_body) {
  const std::string message =
      JsonStringMember(error, "message").value_or(std::string(raw_body.substr(0, 200)));
  std::string type = JsonStringMember(error, "type").value_or("");
  std::string code = JsonStringMember(error, "code").value_or("");
  if (http_status == 0 && JsonMember(error, "code").is_number_integer()) {
    http_status = JsonMember(error, "code").get<int>();  // in-stream errors of some servers
  }
  const std::string label = !code.empty() ? code : type;
  const std::string text =
      "openai: " + (http_status != 0 ? "HTTP " + std::to_string(http_status) + " " : "") +
      (label.empty() ? "" : label + ": ") + message;
  if (code == "insufficient_quota") return FailedPreconditionError(text);
  switch (http_status) {
    case 0:  // an error chunk inside a 200 stream: only its type says what happened
      if (type == "rate_limit_exceeded" || code == "rate_limit_exceeded") {
        return ResourceExhaustedError(text);
      }
      if (type == "invalid_request_error") return InvalidArgumentError(text);
      return UnavailableError(text);
    case 400:
    case 409:
    case 413:
    case 422:
      return InvalidArgumentError(text);
    case 401:
      return UnauthenticatedError(text);
    case 403:
      return PermissionDeniedError(text);
    case 404:
      return NotFoundError(text);
    case 408:
      return DeadlineExceededError(text);
    case 429:
      return ResourceExhaustedError(text);
    default:
      return UnavailableError(text);
  }
}

// Reads one stream; Handle() is given each SSE event.
class ChunkReader {
 public:
  explicit ChunkReader(const DeltaSink& on_delta) : on_delta_(on_delta) {}

  // False when reading must stop; status() says why.
  bool Handle(const SseEvent& event) {
    if (done_) return true;  // nothing counts after [DONE]; read on so the connection is reused
    if (event.data == "[DONE]") {
      done_ = true;
      return true;
    }
    const json chunk = json::parse(event.data, nullptr, false);
    if (chunk.is_discarded() || !chunk.is_object()) {
      status_ = DataLossError("openai stream: a chunk is not a JSON object");
      return false;
    }
    if (const json& error = JsonMember(chunk, "error");
        error.is_object() || event.event == "error") {
      status_ = OpenAiError(0, error.is_object() ? error : chunk, event.data);
      return false;
    }
    if (const json& usage = JsonMember(chunk, "usage"); usage.is_object()) {
      usage_ = LlmUsage{JsonIntMember(usage, "prompt_tokens"),
                        JsonIntMember(usage, "completion_tokens")};
    }
    const json& choices = JsonMember(chunk, "choices");
    if (!choices.is_array() || choices.empty()) return true;  // the usage chunk has no choices
    const json& choice = choices.front();
    if (auto finish = JsonStringMember(choice, "finish_reason")) finish_reason_ = *finish;
    std::optional<std::string> text = JsonStringMember(JsonMember(choice, "delta"), "content");
    if (!text || text->empty()) return true;
    text_ += *text;
    if (on_delta_ && !on_delta_(*text)) {
      status_ = CancelledError("openai stream: the client cancelled");
      return false;
    }
    return true;
  }

  const Status& status() const { return status_; }
  bool done() const { return done_; }
  const std::string& text() const { return text_; }
  const std::optional<std::string>& finish_reason() const { return finish_reason_; }
  const std::optional<LlmUsage>& usage() const { return usage_; }

 private:
  const DeltaSink& on_delta_;
  Status status_;
  bool done_ = false;
  std::string text_;
  std::optional<std::string> finish_reason_;
  std::optional<LlmUsage> usage_;
};

class OpenAiProvider final : public LlmProvider {
 public:
  OpenAiProvider(const OpenAiOptions& options, std::unique_ptr<HttpTransport> owned_transport,
                 std::unique_ptr<CircuitBreakerRegistry> owned_breakers)
      : options_(options),
        url_(OpenAiChatCompletionsUrl(options.base_url)),
        clock_(options.clock != nullptr ? *options.clock : Clock::Real()),
        owned_transport_(std::move(owned_transport)),
        transport_(options.transport != nullptr ? *options.transport : *owned_transport_),
        owned_breakers_(std::move(owned_breakers)),
        caller_("openai|" + url_, options.resilience, clock_,
                (options.breakers != nullptr ? *options.breakers : *owned_breakers_)
                    .Get("openai|" + url_, options.resilience.breaker)) {}

  std::string name() const override { return "openai"; }

  StatusOr<LlmResult> Generate(const LlmRequest& request, const DeltaSink& on_delta) override {
    if (request.model_id.empty()) return InvalidArgumentError("openai: model_id is empty");
    if (request.messages.empty()) return InvalidArgumentError("openai: no messages");
    HttpRequest http;
    http.method = "POST";
    http.url = url_;
    http.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
    if (!options_.api_key.empty()) {
      http.headers.emplace_back("Authorization", "Bearer " + options_.api_key);
    }
    http.body = BuildBody(request, options_.include_usage);
    http.connect_timeout = options_.connect_timeout;
    http.idle_timeout = options_.read_timeout;
    http.timeout = options_.request_timeout;
    http.cancelled = request.cancelled;
    http.receive_buffer_bytes = kStreamReceiveBuffer;
    return caller_.Run(
        on_delta, [&](const DeltaSink& sink) { return Attempt(request, http, sink); },
        request.cancelled);
  }

 private:
  LlmAttemptOutcome Attempt(const LlmRequest& request, const HttpRequest& http,
                            const DeltaSink& sink);

  const OpenAiOptions options_;
  const std::string url_;
  Clock& clock_;
  const std::unique_ptr<HttpTransport> owned_transport_;
  HttpTransport& transport_;
  const std::unique_ptr<CircuitBreakerRegistry> owned_breakers_;
  const ResilientCaller caller_;
};

LlmAttemptOutcome OpenAiProvider::Attempt(const LlmRequest& request, const HttpRequest& http,
                                          const DeltaSink& sink) {
  LlmAttemptOutcome out;
  ChunkReader reader(sink);
  SseParser parser;
  Status parse_error;
  int status = 0;
  std::string error_body;
  auto on_head = [&](int s, const HttpHeaders&) {
    status = s;
    return true;
  };
  auto on_body = [&](std::string_view chunk) {
    if (status < 200 || status > 299) {
      error_body.append(
          chunk.substr(0, kErrorBodyLimit - std::min(kErrorBodyLimit, error_body.size())));
      return true;
    }
    bool stopped = false;
    parse_error = parser.Feed(
        chunk, [&](const SseEvent& event) { return reader.Handle(event); }, &stopped);
    return parse_error.ok() && !stopped;
  };
  StatusOr<HttpResponse> response = transport_.SendStreamingWithHead(http, on_head, on_body);
  if (!reader.status().ok() || !parse_error.ok()) {
    out.result = !reader.status().ok() ? reader.status() : parse_error;
    return out;
  }
  if (!response.ok()) {
    out.result = response.status().WithContext(
        reader.text().empty() ? "openai chat/completions" : "openai stream interrupted mid-answer");
    return out;
  }
  if (response.ok() && (response->status < 200 || response->status > 299)) {
    const json doc = json::parse(error_body, nullptr, false);
    const json& error = JsonMember(doc, "error");
    out.result = OpenAiError(response->status, error.is_object() ? error : doc, error_body);
    out.retry_after = ParseRetryAfter(response->headers, clock_.Now());
    return out;
  }
  if (!reader.done() && !reader.finish_reason()) {
    out.result = DataLossError("openai stream: ended before [DONE]");
    return out;
  }
  LlmResult result;
  result.text = reader.text();
  result.stop_reason = MapOpenAiFinishReason(reader.finish_reason().value_or("stop"));
  result.usage = reader.usage() ? *reader.usage() : EstimateUsage(request, result.text);
  out.result = std::move(result);
  return out;
}

}  // namespace

std::string OpenAiChatCompletionsUrl(std::string base_url) {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  const bool has_v1 = base_url.size() >= 3 && base_url.compare(base_url.size() - 3, 3, "/v1") == 0;
  return base_url + (has_v1 ? "/chat/completions" : "/v1/chat/completions");
}

std::string MapOpenAiFinishReason(std::string_view finish_reason) {
  if (finish_reason == "stop") return "end_turn";
  if (finish_reason == "length") return "max_tokens";
  if (finish_reason == "content_filter") return "content_filtered";
  if (finish_reason == "tool_calls" || finish_reason == "function_call") return "tool_use";
  return std::string(finish_reason);
}

StatusOr<std::unique_ptr<LlmProvider>> NewOpenAiProvider(const OpenAiOptions& options) {
  const std::string& url = options.base_url;
  if (!(url.starts_with("http://") || url.starts_with("https://")) ||
      url.find_first_of(" ?#") != std::string::npos) {
    return InvalidArgumentError("openai: base_url must be http(s)://host[:port][/prefix], got '" +
                                url + "'");
  }
  std::unique_ptr<HttpTransport> owned_transport;
  if (options.transport == nullptr) owned_transport = NewCurlTransport();
  std::unique_ptr<CircuitBreakerRegistry> owned_breakers;
  if (options.breakers == nullptr) {
    owned_breakers = std::make_unique<CircuitBreakerRegistry>(
        options.clock != nullptr ? *options.clock : Clock::Real());
  }
  return std::unique_ptr<LlmProvider>(std::make_unique<OpenAiProvider>(
      options, std::move(owned_transport), std::move(owned_breakers)));
}

}  // namespace ragd
