#include "engine/chat.h"

#include "core/log.h"
#include "engine/guardrails.h"
#include "engine/prompt.h"

namespace ragd {
namespace {

std::vector<SourcePassage> ToSources(const std::vector<SearchHit>& hits) {
  std::vector<SourcePassage> sources;
  for (const SearchHit& h : hits) {
    SourcePassage p;
    p.number = static_cast<int>(sources.size()) + 1;
    p.chunk_id = h.chunk_id;
    p.document_id = h.document_id;
    p.title = h.title;
    p.page = h.page_start;
    p.heading_path = h.heading_path;
    // Hierarchical chunking: the child matched, the model reads its parent.
    p.text = h.context.empty() ? h.text : h.context;
    p.score = h.score;
    sources.push_back(std::move(p));
  }
  return sources;
}

int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

}  // namespace

std::string ChatService::StandaloneQuestion(const Bot& bot, LlmProvider& provider,
                                            const std::vector<LlmMessage>& history,
                                            const std::string& question,
                                            const std::function<bool()>& cancelled) {
  if (history.empty()) return question;
  if (provider.name() == "extractive") return CondenseForRetrieval(history, question);
  LlmRequest condense = CondenseRequest(history, question);
  condense.model_id = bot.config.model.model_id;
  condense.cancelled = cancelled;
  StatusOr<LlmResult> rewritten =
      provider.Generate(condense, [](std::string_view) { return true; });
  if (!rewritten.ok()) return CondenseForRetrieval(history, question);
  return CleanStandaloneQuestion(rewritten->text, question);
}

StatusOr<ChatTurn> ChatService::Send(const Caller& caller, const std::string& conversation_id,
                                     const std::string& content, const ChatStream& stream) {
  const auto started = std::chrono::steady_clock::now();
  RAGD_ASSIGN_OR_RETURN(Conversation conversation,
                        conversations_.Get(conversation_id, caller.key_id));
  StatusOr<Bot> bot = engine_.bots().GetById(conversation.bot_id);
  if (!bot.ok() || !CanRead(*bot, caller))
    return NotFoundError("no conversation " + conversation_id);
  const BotConfig& config = bot->config;
  const bool redact = config.guardrails.redact_pii;
  RAGD_ASSIGN_OR_RETURN(InputDecision decision, CheckInput(config.guardrails, content));

  ChatTurn turn;
  // Before the model sees anything: the question is never lost.
  RAGD_ASSIGN_OR_RETURN(
      turn.user, conversations_.AppendUserMessage(conversation_id, caller.key_id, content, redact));
  AssistantOutcome outcome;
  if (decision.refused) {
    outcome.content = decision.refusal_message;
    outcome.provider = "guardrails";
    outcome.stop_reason = "guardrail_intervened";
    outcome.notice = "refused: denied topic";
    if (stream.on_sources) stream.on_sources({});
    if (stream.on_delta) stream.on_delta(outcome.content);
    outcome.latency_ms = MillisSince(started);
    RAGD_ASSIGN_OR_RETURN(turn.assistant,
                          conversations_.AddAssistantMessage(conversation_id, caller.key_id,
                                                             turn.user.id, outcome, redact));
    return turn;
  }

  RAGD_ASSIGN_OR_RETURN(std::vector<LlmMessage> history,
                        conversations_.History(conversation_id, config.memory.max_history_turns));
  // History() includes complete turns only; the question just stored is not one yet.
  StatusOr<std::shared_ptr<LlmProvider>> chosen = providers_.Get(config.model.provider);
  std::shared_ptr<LlmProvider> provider = chosen.ok() ? *chosen : providers_.Extractive();
  bool client_gone = false;
  // Reaches the model call while it is silent; a sink returning false covers the rest.
  const std::function<bool()> cancelled = [&client_gone, &stream] {
    if (!client_gone && stream.cancelled && stream.cancelled()) client_gone = true;
    return client_gone;
  };
  const std::string standalone = StandaloneQuestion(*bot, *provider, history, content, cancelled);

  SearchRequest search;
  search.query = standalone;
  RAGD_ASSIGN_OR_RETURN(std::vector<SearchHit> hits, engine_.Search(*bot, search));
  outcome.sources = ToSources(hits);
  RAGD_ASSIGN_OR_RETURN(
      turn.assistant, conversations_.BeginAssistant(conversation_id, caller.key_id, turn.user.id));
  if (stream.on_sources && !stream.on_sources(outcome.sources)) client_gone = true;

  std::string streamed;
  DeltaSink sink = [&](std::string_view delta) {
    streamed += delta;
    if (client_gone) return false;
    if (stream.on_delta && !stream.on_delta(delta)) client_gone = true;
    return !client_gone;
  };
  auto notice = [&](std::string_view text) {
    outcome.notice = std::string(text);
    if (stream.on_notice && !stream.on_notice(text)) client_gone = true;
  };

  outcome.provider = provider->name();
  outcome.model = config.model.model_id;
  if (!chosen.ok()) notice(kDegradedNotice);
  StatusOr<LlmResult> result = LlmResult{};
  if (cancelled()) {
    result = CancelledError("client disconnected");
  } else if (outcome.sources.empty()) {
    // Nothing relevant: say so rather than let a model guess.
    outcome.provider = "none";
    outcome.model.clear();
    sink(kNoSourcesAnswer);
    result = LlmResult{std::string(kNoSourcesAnswer), "end_turn", {}};
  } else {
    LlmRequest request = ComposePrompt(config, outcome.sources, history, content,
                                       standalone == content ? "" : standalone);
    request.cancelled = cancelled;
    result = provider->Generate(request, sink);
    const bool remote = provider->name() != "extractive";
    if (!result.ok() && remote && streamed.empty() && !client_gone &&
        result.status().code() != StatusCode::kCancelled) {
      // Degrade: the user gets an answer from the documents, with a notice, not a bare error.
      Logger().Warn("model unavailable; answering extractively",
                    {{"provider", provider->name()}, {"error", result.status().message()}});
      notice(kDegradedNotice);
      outcome.provider = "extractive";
      outcome.model.clear();
      result = providers_.Extractive()->Generate(request, sink);
    }
  }

  if (result.ok()) {
    outcome.content = result->text.empty() ? streamed : result->text;
    outcome.status = MessageStatus::kComplete;
    outcome.stop_reason = result->stop_reason;
    outcome.usage = result->usage;
  } else if (client_gone || result.status().code() == StatusCode::kCancelled) {
    outcome.content = streamed;
    outcome.status = MessageStatus::kStopped;
    outcome.stop_reason = "cancelled";
  } else {
    outcome.content = streamed;
    outcome.status = MessageStatus::kError;
    outcome.error = result.status().message();
  }
  outcome.cost_usd =
      CostUsd(prices_, outcome.model, outcome.usage.input_tokens, outcome.usage.output_tokens);
  outcome.latency_ms = MillisSince(started);
  RAGD_ASSIGN_OR_RETURN(turn.assistant,
                        conversations_.FinishAssistant(turn.assistant.id, outcome, redact));
  return turn;
}

}  // namespace ragd
