// ChatService: one chat turn end to end. Guardrails on the input, the user's message stored
// before any model call, retrieval with a standalone question, a grounded prompt, the bot's
// provider streamed (degrading to the extractive answerer when a remote model is unavailable),
// and the answer stored with its status, sources, usage and cost.
//
// Thread safety: Send() may be called concurrently for different conversations.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/conversation_store.h"
#include "engine/engine.h"
#include "engine/pricing.h"
#include "engine/provider_registry.h"
#include "engine/providers/extractive_provider.h"
#include "engine/stream_executor.h"

namespace ragd {

// What the caller sees while the turn runs; all called on the thread running Send(). Returning
// false from any of them means the client went away: the model call is cancelled and the answer
// is stored as "stopped" with what was generated so far.
struct ChatStream {
  std::function<bool(const std::vector<SourcePassage>&)> on_sources;
  std::function<bool(std::string_view notice)> on_notice;
  DeltaSink on_delta;
  // Optional: true once the client is gone, although nothing was written to it yet. Polled while
  // the model is silent (see LlmRequest::cancelled), so a client that leaves before the first token
  // or during a stall stops the model call within about a second. Must be cheap; may be called
  // from the thread running Send() only.
  std::function<bool()> cancelled;
};

struct ChatTurn {
  Message user;
  Message assistant;
};

// Shown when no passage passes the bot's min_score: the bot does not guess.
inline constexpr std::string_view kNoSourcesAnswer = kExtractiveNoAnswer;
inline constexpr std::string_view kDegradedNotice =
    "The language model is unavailable right now; this answer was extracted directly from the "
    "documents.";

class ChatService {
 public:
  // Everything borrowed must outlive the service. `streams` configures where streaming turns run
  // (see streams()).
  ChatService(Engine& engine, ConversationStore& conversations, ProviderRegistry& providers,
              PriceTable prices, Clock& clock, StreamExecutorOptions streams = {})
      : engine_(engine),
        conversations_(conversations),
        providers_(providers),
        prices_(std::move(prices)),
        clock_(clock),
        streams_(std::move(streams)) {}

  // NotFound for a conversation the caller does not own (or whose bot they may no longer read);
  // UnprocessableError("content") for empty or over-long input. Model failures are not errors
  // of Send(): they end up in the stored answer (status error, or a degraded answer with a notice).
  StatusOr<ChatTurn> Send(const Caller& caller, const std::string& conversation_id,
                          const std::string& content, const ChatStream& stream);

  ConversationStore& conversations() { return conversations_; }
  const PriceTable& prices() const { return prices_; }
  // Streaming turns run here, off the server's worker pool, at most server.max_streams at once.
  // Destroyed first (declared last): waits for running turns while everything they use is alive.
  StreamExecutor& streams() { return streams_; }

 private:
  // The question retrieval should use: the question itself, or for a follow-up a standalone form.
  std::string StandaloneQuestion(const Bot& bot, LlmProvider& provider,
                                 const std::vector<LlmMessage>& history,
                                 const std::string& question,
                                 const std::function<bool()>& cancelled);

  Engine& engine_;
  ConversationStore& conversations_;
  ProviderRegistry& providers_;
  const PriceTable prices_;
  Clock& clock_;
  StreamExecutor streams_;
};

}  // namespace ragd
