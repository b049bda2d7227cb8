// LlmProvider: one model call for one chat turn, streamed.
//
// The engine composes the prompt (system text, history, the user's turn with numbered sources) and
// hands it to a provider. Remote providers (Bedrock Converse, OpenAI-compatible) send `system` +
// `messages`; the extractive provider ignores them and answers from `question` + `sources` alone.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ragd {

struct LlmMessage {
  enum class Role { kUser, kAssistant };
  Role role = Role::kUser;
  std::string text;
};

struct GenerationConfig {
  int max_tokens = 1024;
  double temperature = 0.2;
  double top_p = 0.9;
  std::vector<std::string> stop_sequences;
};

// A retrieved passage, numbered from 1 in the order given to the model ([n] citations refer to it).
struct SourcePassage {
  int number = 0;
  int64_t chunk_id = 0;
  std::string document_id;
  std::string title;
  int page = 0;
  std::vector<std::string> heading_path;
  std::string text;
  double score = 0;
};

struct LlmRequest {
  std::string model_id;  // e.g. "amazon.nova-micro-v1:0", "llama3.1:8b"; ignored by extractive
  std::string system;
  std::vector<LlmMessage> messages;  // alternating, oldest first, last one is the user's turn
  GenerationConfig generation;
  // For the extractive provider (and for degradation to it): the standalone question and the
  // sources.
  std::string question;
  std::vector<SourcePassage> sources;
  // Optional: true once the answer is no longer wanted (the client went away). Polled on the
  // calling thread while the model is silent (about once per second: before its first token or
  // in a stall) and between retries, so the call ends with Cancelled and frees its upstream
  // connection within about a second without waiting for the next delta. Must be cheap.
  std::function<bool()> cancelled;
};

struct LlmUsage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

struct LlmResult {
  std::string text;  // the whole answer (the concatenation of all deltas)
  std::string
      stop_reason;  // Bedrock vocabulary: end_turn, max_tokens, stop_sequence, ...; "cancelled"
  LlmUsage usage;
};

// Receives text as it is generated. Returning false cancels the call (the client went away); the
// provider then aborts the upstream request promptly and returns Cancelled.
using DeltaSink = std::function<bool(std::string_view delta)>;

class LlmProvider {
 public:
  virtual ~LlmProvider() = default;
  virtual std::string name() const = 0;  // "bedrock", "openai", "extractive"
  // Thread-safe. Errors: Unavailable (provider down, circuit open, retries exhausted),
  // ResourceExhausted (throttled after retries), InvalidArgument (request rejected by the model),
  // Cancelled, DeadlineExceeded. Once a delta has been delivered the call is never retried (the
  // user already saw text).
  virtual StatusOr<LlmResult> Generate(const LlmRequest& request, const DeltaSink& on_delta) = 0;
};

}  // namespace ragd
