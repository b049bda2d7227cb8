// LlmProvider for OpenAI-compatible chat servers (OpenAI, vLLM, llama.cpp server, Ollama, LM
// Studio, ...): POST {base_url}/v1/chat/completions with "stream": true, read as server-sent
// events ("data: {chunk}" ... "data: [DONE]"), with retries and a circuit breaker
// (engine/providers/resilience.h).
//
// Usage comes from the final chunk that "stream_options": {"include_usage": true} asks for;
// servers that ignore the option get an estimate (about 4 bytes per token). finish_reason is
// mapped to the Bedrock vocabulary: stop -> end_turn, length -> max_tokens, content_filter ->
// content_filtered, tool_calls / function_call -> tool_use.
//
// Errors (beyond LlmProvider's list): Unauthenticated (401), PermissionDenied (403), NotFound
// (404: unknown model), FailedPrecondition (429 insufficient_quota: retrying cannot help),
// DataLoss (stream ended before [DONE] or a chunk is not JSON).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/http_client.h"
#include "core/status.h"
#include "engine/llm_provider.h"
#include "engine/providers/circuit_breaker.h"
#include "engine/providers/resilience.h"

namespace ragd {

struct OpenAiOptions {
  // "scheme://host[:port][/prefix]"; "/v1/chat/completions" is appended, or only
  // "/chat/completions" when the URL already ends in "/v1" (as OpenAI's own base URL does).
  std::string base_url;
  // Sent as "Authorization: Bearer <api_key>" when not empty. Never logged.
  std::string api_key;
  // Not owned, must outlive the provider. Null: the provider makes its own libcurl transport.
  HttpTransport* transport = nullptr;
  // Backoff sleeps, Retry-After dates and the breaker's time. Not owned. Null: Clock::Real().
  Clock* clock = nullptr;
  // Ask for a usage chunk ("stream_options": {"include_usage": true}). Some older servers reject
  // unknown fields; turn this off for them.
  bool include_usage = true;
  std::chrono::milliseconds connect_timeout{5000};
  // Abort when no byte arrives for this long (curl counts whole seconds, rounding up).
  std::chrono::milliseconds read_timeout{30000};
  // Whole exchange, first byte to last; zero means none.
  std::chrono::milliseconds request_timeout{300000};
  ResilienceOptions resilience;
  // Breakers shared by providers of the same endpoint. Not owned. Null: one of the provider's own.
  CircuitBreakerRegistry* breakers = nullptr;
};

// Fails with InvalidArgument when base_url is not http(s)://...
StatusOr<std::unique_ptr<LlmProvider>> NewOpenAiProvider(const OpenAiOptions& options);

// The chat/completions URL for `base_url` (see OpenAiOptions::base_url).
std::string OpenAiChatCompletionsUrl(std::string base_url);

// "stop" -> "end_turn", "length" -> "max_tokens", ...; unknown reasons pass through.
std::string MapOpenAiFinishReason(std::string_view finish_reason);

}  // namespace ragd
