// Conversations and their messages: rows in `conversations` and `messages` (core/schema.cc, v5),
// with feedback on answers, full-text search over the caller's messages, and one usage record per
// finished answer (engine/usage.h reports on those).
//
// Ownership is strict: every call that names a conversation or message also names the caller's
// key id, and one that belongs to someone else is NotFound, exactly like one that does not exist
// (a user cannot even learn that another user's id is valid).
//
// A chat turn, as the orchestration drives it:
//   AppendUserMessage  (stored before the model is called, so the question survives a crash)
//   BeginAssistant     (a 'pending' placeholder a reloading client can show)
//   FinishAssistant    (content, status complete | stopped | error, usage, cost, sources)
// AddAssistantMessage does the last two in one step when there is nothing to stream.
//
// Content is stored PII-redacted (engine/guardrails.h RedactPii) when the caller passes
// `redact_pii` (the bot's guardrails.redact_pii); the title derived from a redacted message is
// redacted too.
//
// Thread safety: all methods may be called concurrently (SQLite transactions serialize writes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/sqlite.h"
#include "core/status.h"
#include "engine/llm_provider.h"

namespace ragd {

struct Conversation {
  std::string id;  // cnv_<24 alnum>
  int64_t bot_id = 0;
  std::string owner_key_id;
  std::string title;  // '' until renamed or derived from the first user message
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

enum class MessageRole { kUser, kAssistant };
enum class MessageStatus { kComplete, kStopped, kError, kPending };
std::string_view MessageRoleName(MessageRole role);        // "user" | "assistant"
std::string_view MessageStatusName(MessageStatus status);  // "complete" | "stopped" | ...

// Feedback categories accepted by SetFeedback (besides "", none).
inline constexpr std::string_view kFeedbackCategories[] = {
    "inaccurate", "incomplete", "irrelevant", "no_citation", "harmful", "outdated", "other"};
inline constexpr int kMaxFeedbackCommentChars = 2000;
inline constexpr int kMaxTitleChars = 200;

struct Feedback {
  std::string rating;    // "up" | "down"
  std::string category;  // "" or one of kFeedbackCategories
  std::string comment;   // at most kMaxFeedbackCommentChars code points
  int64_t at_ms = 0;     // set by the store
};

struct Message {
  std::string id;  // msg_<24 alnum>
  std::string conversation_id;
  int64_t seq = 0;  // 1, 2, ... in conversation order
  MessageRole role = MessageRole::kUser;
  std::string reply_to;  // assistant: the id of the user message it answers
  std::string content;
  MessageStatus status = MessageStatus::kComplete;
  std::vector<SourcePassage> sources;  // assistant: the numbered passages its [n] refer to
  std::string provider;
  std::string model;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cost_nanousd = 0;  // 1e-9 USD; integers so totals add up exactly
  int64_t latency_ms = 0;
  std::string stop_reason;
  std::string error;   // status error: what went wrong, safe to show
  std::string notice;  // e.g. "answered by the extractive fallback"
  std::optional<Feedback> feedback;
  int64_t created_at_ms = 0;

  double cost_usd() const { return static_cast<double>(cost_nanousd) / 1e9; }
};

// How an assistant message ended. `status` must not be kPending.
struct AssistantOutcome {
  std::string content;
  MessageStatus status = MessageStatus::kComplete;
  std::vector<SourcePassage> sources;
  std::string provider;
  std::string model;
  LlmUsage usage;
  double cost_usd = 0;  // stored rounded to the nearest 1e-9 USD
  int64_t latency_ms = 0;
  std::string stop_reason;
  std::string error;
  std::string notice;
};

struct ConversationPage {
  std::vector<Conversation> conversations;  // most recently active first
  std::string next_cursor;                  // "" on the last page
};

struct MessageSearchHit {
  std::string conversation_id;
  std::string conversation_title;
  std::string message_id;
  MessageRole role = MessageRole::kUser;
  std::string snippet;  // plain text around the match, "…" where cut
  int64_t created_at_ms = 0;
};

class ConversationStore {
 public:
  ConversationStore(Database& db, Clock& clock) : db_(db), clock_(clock) {}

  // `title` may be empty (derived from the first user message); otherwise at most kMaxTitleChars
  // code points (UnprocessableError "title"). The bot must exist (NotFound).
  StatusOr<Conversation> Create(int64_t bot_id, std::string_view owner_key_id,
                                std::string_view title);
  StatusOr<Conversation> Get(std::string_view id, std::string_view owner_key_id);
  // Most recently active first (updated_at desc, id desc). `limit` is clamped to 1..100.
  // `cursor` is "" or a previous page's next_cursor (UnprocessableError "cursor" otherwise).
  // Keyset paging: no conversation appears twice and none that stays unchanged is skipped; one
  // that gets a new message while a client pages moves to the front (seen on its next first
  // page). `bot_id` 0 lists every bot's conversations.
  StatusOr<ConversationPage> List(std::string_view owner_key_id, int limit, std::string_view cursor,
                                  int64_t bot_id = 0);
  StatusOr<Conversation> Rename(std::string_view id, std::string_view owner_key_id,
                                std::string_view title);
  // Removes the conversation and its messages (their search entries too). Usage records stay.
  Status Delete(std::string_view id, std::string_view owner_key_id);

  // Stores the user's message (status complete) and returns it. Sets the conversation title from
  // it when the title is still empty.
  StatusOr<Message> AppendUserMessage(std::string_view conversation_id,
                                      std::string_view owner_key_id, std::string_view content,
                                      bool redact_pii);
  // A pending assistant message answering `reply_to` (a user message of this conversation).
  StatusOr<Message> BeginAssistant(std::string_view conversation_id, std::string_view owner_key_id,
                                   std::string_view reply_to);
  // Completes a pending assistant message and records its usage. FailedPrecondition if it is not
  // pending (finished twice).
  StatusOr<Message> FinishAssistant(std::string_view message_id, const AssistantOutcome& outcome,
                                    bool redact_pii);
  // BeginAssistant + FinishAssistant in one transaction.
  StatusOr<Message> AddAssistantMessage(std::string_view conversation_id,
                                        std::string_view owner_key_id, std::string_view reply_to,
                                        const AssistantOutcome& outcome, bool redact_pii);
  // At startup: pending messages left by a crash become errors. Returns how many.
  StatusOr<int64_t> FailPendingMessages(std::string_view error);

  // The last `max_turns` complete turns (a user message and its complete answer), oldest first,
  // alternating user/assistant: ready for LlmRequest::messages. Stopped or failed answers and
  // their questions are left out, as is a question still waiting for its answer.
  StatusOr<std::vector<LlmMessage>> History(std::string_view conversation_id, int max_turns);
  // Every message, in order.
  StatusOr<std::vector<Message>> Messages(std::string_view conversation_id,
                                          std::string_view owner_key_id);
  StatusOr<Message> GetMessage(std::string_view message_id, std::string_view owner_key_id);

  // Rating "up" | "down" (UnprocessableError "rating"), category (UnprocessableError
  // "category"), comment (UnprocessableError "comment"). Replaces earlier feedback. Only answers
  // take feedback (FailedPrecondition for a user message).
  StatusOr<Message> SetFeedback(std::string_view message_id, std::string_view owner_key_id,
                                const Feedback& feedback);
  Status ClearFeedback(std::string_view message_id, std::string_view owner_key_id);

  // The caller's messages matching `query`, best match first. The query is user text: every
  // word must occur (as a word or a word prefix, case- and accent-insensitive); FTS5 syntax
  // in it (quotes, colons, asterisks, AND/OR/NEAR) is taken literally, never an error. A query
  // with no words gives no hits. `limit` is clamped to 1..100.
  StatusOr<std::vector<MessageSearchHit>> Search(std::string_view owner_key_id,
                                                 std::string_view query, int limit);

 private:
  Database& db_;
  Clock& clock_;
};

// The title derived from a first message: whitespace folded, at most ~60 code points, cut at a
// word boundary when there is one in the second half, "…" appended when cut.
std::string DefaultConversationTitle(std::string_view first_message);

// `query` as an FTS5 MATCH expression: each word quoted as a prefix phrase, implicitly ANDed.
// "" when it has no words.
std::string SafeFtsQuery(std::string_view query);

}  // namespace ragd
