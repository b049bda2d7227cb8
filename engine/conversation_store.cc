#include "engine/conversation_store.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>

#include "core/crypto.h"
#include "engine/conversation_rows.h"
#include "engine/guardrails.h"

namespace ragd {
namespace {

using conversation_internal::kConversationColumns;
using conversation_internal::LoadMessage;
using conversation_internal::LoadOwned;
using conversation_internal::ReadConversation;
using conversation_internal::SourcesToJson;
using conversation_internal::TrimSpace;

Status ValidateTitle(std::string_view title) {
  if (CodePointCount(title) > kMaxTitleChars) {
    return UnprocessableError("title", "at most " + std::to_string(kMaxTitleChars) + " characters");
  }
  return OkStatus();
}

Status Touch(Connection& conn, std::string_view conversation_id, int64_t now) {
  RAGD_ASSIGN_OR_RETURN(Statement stmt,
                        conn.Prepare("UPDATE conversations SET updated_at_ms = max(updated_at_ms, "
                                     "?) WHERE id = ?"));
  stmt.Bind(1, now).Bind(2, conversation_id);
  return stmt.Run();
}

// Inserts a message at the end of the conversation (the caller checked ownership).
StatusOr<Message> Insert(Connection& conn, std::string_view conversation_id, MessageRole role,
                         std::string_view reply_to, std::string content, MessageStatus status,
                         int64_t now) {
  Message m;
  m.id = "msg_" + RandomAlnum(24);
  m.conversation_id = std::string(conversation_id);
  m.role = role;
  m.reply_to = std::string(reply_to);
  m.content = std::move(content);
  m.status = status;
  m.created_at_ms = now;
  RAGD_ASSIGN_OR_RETURN(
      Statement seq,
      conn.Prepare("SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = ?"));
  seq.Bind(1, conversation_id);
  RAGD_ASSIGN_OR_RETURN(bool row, seq.Step());
  m.seq = row ? seq.Int(0) : 1;
  RAGD_ASSIGN_OR_RETURN(
      Statement insert,
      conn.Prepare("INSERT INTO messages (id, conversation_id, seq, role, reply_to, content, "
                   "status, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, m.id)
      .Bind(2, m.conversation_id)
      .Bind(3, m.seq)
      .Bind(4, MessageRoleName(role))
      .Bind(6, m.content)
      .Bind(7, MessageStatusName(status))
      .Bind(8, now);
  if (reply_to.empty()) {
    insert.BindNull(5);
  } else {
    insert.Bind(5, reply_to);
  }
  RAGD_RETURN_IF_ERROR(insert.Run());
  RAGD_RETURN_IF_ERROR(Touch(conn, conversation_id, now));
  return m;
}

Status ValidateOutcome(const AssistantOutcome& o) {
  if (o.status == MessageStatus::kPending) {
    return InvalidArgumentError("an assistant message cannot finish as pending");
  }
  if (o.usage.input_tokens < 0 || o.usage.output_tokens < 0 || o.latency_ms < 0) {
    return InvalidArgumentError("token counts and latency must not be negative");
  }
  if (!std::isfinite(o.cost_usd) || o.cost_usd < 0 || o.cost_usd > 9e9) {
    return InvalidArgumentError("cost_usd must be a finite, non-negative amount");
  }
  return OkStatus();
}

StatusOr<Message> Finish(Connection& conn, std::string_view message_id, const AssistantOutcome& o,
                         bool redact_pii, int64_t now) {
  RAGD_ASSIGN_OR_RETURN(Message m, LoadMessage(conn, message_id, ""));
  if (m.role != MessageRole::kAssistant || m.status != MessageStatus::kPending) {
    return FailedPreconditionError("message " + m.id + " is not a pending answer");
  }
  m.content = redact_pii ? RedactPii(o.content) : o.content;
  m.status = o.status;
  m.sources = o.sources;
  m.provider = o.provider;
  m.model = o.model;
  m.input_tokens = o.usage.input_tokens;
  m.output_tokens = o.usage.output_tokens;
  m.cost_nanousd = std::llround(o.cost_usd * 1e9);
  m.latency_ms = o.latency_ms;
  m.stop_reason = o.stop_reason;
  m.error = o.error;
  m.notice = o.notice;
  RAGD_ASSIGN_OR_RETURN(
      Statement update,
      conn.Prepare("UPDATE messages SET content = ?, status = ?, sources = ?, provider = ?, model "
                   "= ?, input_tokens = ?, output_tokens = ?, cost_nanousd = ?, latency_ms = ?, "
                   "stop_reason = ?, error = NULLIF(?, ''), notice = NULLIF(?, '') WHERE id = ?"));
  update.Bind(1, m.content)
      .Bind(2, MessageStatusName(m.status))
      .Bind(3, SourcesToJson(m.sources))
      .Bind(4, m.provider)
      .Bind(5, m.model)
      .Bind(6, m.input_tokens)
      .Bind(7, m.output_tokens)
      .Bind(8, m.cost_nanousd)
      .Bind(9, m.latency_ms)
      .Bind(10, m.stop_reason)
      .Bind(11, m.error)
      .Bind(12, m.notice)
      .Bind(13, m.id);
  RAGD_RETURN_IF_ERROR(update.Run());
  RAGD_ASSIGN_OR_RETURN(
      Statement usage,
      conn.Prepare("INSERT INTO usage_records (message_id, bot_id, owner_key_id, provider, model, "
                   "status, input_tokens, output_tokens, cost_nanousd, created_at_ms) SELECT ?, "
                   "bot_id, owner_key_id, ?, ?, ?, ?, ?, ?, ? FROM conversations WHERE id = ?"));
  usage.Bind(1, m.id)
      .Bind(2, m.provider)
      .Bind(3, m.model)
      .Bind(4, MessageStatusName(m.status))
      .Bind(5, m.input_tokens)
      .Bind(6, m.output_tokens)
      .Bind(7, m.cost_nanousd)
      .Bind(8, now)
      .Bind(9, m.conversation_id);
  RAGD_RETURN_IF_ERROR(usage.Run());
  RAGD_RETURN_IF_ERROR(Touch(conn, m.conversation_id, now));
  return m;
}

StatusOr<Message> Begin(Connection& conn, std::string_view conversation_id,
                        std::string_view owner_key_id, std::string_view reply_to, int64_t now) {
  RAGD_RETURN_IF_ERROR(LoadOwned(conn, conversation_id, owner_key_id).status());
  RAGD_ASSIGN_OR_RETURN(Message question, LoadMessage(conn, reply_to, owner_key_id));
  if (question.conversation_id != conversation_id || question.role != MessageRole::kUser) {
    return InvalidArgumentError("reply_to must name a user message of the same conversation");
  }
  return Insert(conn, conversation_id, MessageRole::kAssistant, reply_to, "",
                MessageStatus::kPending, now);
}

}  // namespace

std::string_view MessageRoleName(MessageRole role) {
  return role == MessageRole::kAssistant ? "assistant" : "user";
}

std::string_view MessageStatusName(MessageStatus status) {
  switch (status) {
    case MessageStatus::kComplete:
      return "complete";
    case MessageStatus::kStopped:
      return "stopped";
    case MessageStatus::kError:
      return "error";
    case MessageStatus::kPending:
      return "pending";
  }
  return "complete";
}

StatusOr<Conversation> ConversationStore::Create(int64_t bot_id, std::string_view owner_key_id,
                                                 std::string_view title) {
  title = TrimSpace(title);
  RAGD_RETURN_IF_ERROR(ValidateTitle(title));
  Conversation c;
  c.id = "cnv_" + RandomAlnum(24);
  c.bot_id = bot_id;
  c.owner_key_id = std::string(owner_key_id);
  c.title = std::string(title);
  c.created_at_ms = c.updated_at_ms = UnixMillis(clock_.Now());
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement bot, conn.Prepare("SELECT 1 FROM bots WHERE id = ?"));
    bot.Bind(1, bot_id);
    RAGD_ASSIGN_OR_RETURN(bool exists, bot.Step());
    if (!exists) return NotFoundError("no such bot");
    RAGD_ASSIGN_OR_RETURN(
        Statement insert,
        conn.Prepare("INSERT INTO conversations (id, bot_id, owner_key_id, title, created_at_ms, "
                     "updated_at_ms) VALUES (?, ?, ?, ?, ?, ?)"));
    insert.Bind(1, c.id)
        .Bind(2, c.bot_id)
        .Bind(3, c.owner_key_id)
        .Bind(4, c.title)
        .Bind(5, c.created_at_ms)
        .Bind(6, c.updated_at_ms);
    return insert.Run();
  }));
  return c;
}

StatusOr<Conversation> ConversationStore::Get(std::string_view id, std::string_view owner_key_id) {
  std::optional<Conversation> found;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(found, LoadOwned(conn, id, owner_key_id));
    return OkStatus();
  }));
  return std::move(*found);
}

StatusOr<ConversationPage> ConversationStore::List(std::string_view owner_key_id, int limit,
                                                   std::string_view cursor, int64_t bot_id) {
  limit = std::clamp(limit, 1, 100);
  // Cursor: "<updated_at_ms>_<id>" of the last conversation on the previous page.
  int64_t after_ms = INT64_MAX;
  std::string after_id = "\x7f";
  if (!cursor.empty()) {
    const size_t sep = cursor.find('_');
    const auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + sep, after_ms);
    if (sep == std::string_view::npos || ec != std::errc() || end != cursor.data() + sep ||
        !cursor.substr(sep + 1).starts_with("cnv_")) {
      return UnprocessableError("cursor", "is not a cursor from a previous page");
    }
    after_id = std::string(cursor.substr(sep + 1));
  }
  ConversationPage page;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare(std::string("SELECT ") + kConversationColumns +
                     " FROM conversations WHERE owner_key_id = ? AND (? = 0 OR bot_id = ?) AND "
                     "(updated_at_ms < ? OR (updated_at_ms = ? AND id < ?)) "
                     "ORDER BY updated_at_ms DESC, id DESC LIMIT ?"));
    stmt.Bind(1, owner_key_id)
        .Bind(2, bot_id)
        .Bind(3, bot_id)
        .Bind(4, after_ms)
        .Bind(5, after_ms)
        .Bind(6, after_id)
        .Bind(7, limit + 1);
    while (true) {
      RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      page.conversations.push_back(ReadConversation(stmt));
    }
    return OkStatus();
  }));
  if (static_cast<int>(page.conversations.size()) > limit) {
    page.conversations.pop_back();
    const Conversation& last = page.conversations.back();
    page.next_cursor = std::to_string(last.updated_at_ms) + "_" + last.id;
  }
  return page;
}

StatusOr<Conversation> ConversationStore::Rename(std::string_view id, std::string_view owner_key_id,
                                                 std::string_view title) {
  title = TrimSpace(title);
  if (title.empty()) return UnprocessableError("title", "must not be empty");
  RAGD_RETURN_IF_ERROR(ValidateTitle(title));
  std::optional<Conversation> result;
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Conversation c, LoadOwned(conn, id, owner_key_id));
    c.title = std::string(title);
    c.updated_at_ms = std::max(c.updated_at_ms, UnixMillis(clock_.Now()));
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("UPDATE conversations SET title = ?, updated_at_ms = ? WHERE id = ?"));
    stmt.Bind(1, c.title).Bind(2, c.updated_at_ms).Bind(3, c.id);
    RAGD_RETURN_IF_ERROR(stmt.Run());
    result = std::move(c);
    return OkStatus();
  }));
  return std::move(*result);
}

Status ConversationStore::Delete(std::string_view id, std::string_view owner_key_id) {
  return db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("DELETE FROM conversations WHERE id = ? AND owner_key_id = ?"));
    stmt.Bind(1, id).Bind(2, owner_key_id);
    RAGD_RETURN_IF_ERROR(stmt.Run());
    if (conn.Changes() == 0) return NotFoundError("no such conversation");
    return OkStatus();
  });
}

StatusOr<Message> ConversationStore::AppendUserMessage(std::string_view conversation_id,
                                                       std::string_view owner_key_id,
                                                       std::string_view content, bool redact_pii) {
  std::string stored = redact_pii ? RedactPii(content) : std::string(content);
  std::optional<Message> result;
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Conversation c, LoadOwned(conn, conversation_id, owner_key_id));
    const int64_t now = UnixMillis(clock_.Now());
    RAGD_ASSIGN_OR_RETURN(
        result, Insert(conn, c.id, MessageRole::kUser, "", stored, MessageStatus::kComplete, now));
    if (c.title.empty()) {
      RAGD_ASSIGN_OR_RETURN(
          Statement title,
          conn.Prepare("UPDATE conversations SET title = ? WHERE id = ? AND title = ''"));
      title.Bind(1, DefaultConversationTitle(stored)).Bind(2, c.id);
      RAGD_RETURN_IF_ERROR(title.Run());
    }
    return OkStatus();
  }));
  return std::move(*result);
}

StatusOr<Message> ConversationStore::BeginAssistant(std::string_view conversation_id,
                                                    std::string_view owner_key_id,
                                                    std::string_view reply_to) {
  std::optional<Message> result;
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        result, Begin(conn, conversation_id, owner_key_id, reply_to, UnixMillis(clock_.Now())));
    return OkStatus();
  }));
  return std::move(*result);
}

StatusOr<Message> ConversationStore::FinishAssistant(std::string_view message_id,
                                                     const AssistantOutcome& outcome,
                                                     bool redact_pii) {
  RAGD_RETURN_IF_ERROR(ValidateOutcome(outcome));
  std::optional<Message> result;
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(result,
                          Finish(conn, message_id, outcome, redact_pii, UnixMillis(clock_.Now())));
    return OkStatus();
  }));
  return std::move(*result);
}

StatusOr<Message> ConversationStore::AddAssistantMessage(std::string_view conversation_id,
                                                         std::string_view owner_key_id,
                                                         std::string_view reply_to,
                                                         const AssistantOutcome& outcome,
                                                         bool redact_pii) {
  RAGD_RETURN_IF_ERROR(ValidateOutcome(outcome));
  std::optional<Message> result;
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    const int64_t now = UnixMillis(clock_.Now());
    RAGD_ASSIGN_OR_RETURN(Message pending,
                          Begin(conn, conversation_id, owner_key_id, reply_to, now));
    RAGD_ASSIGN_OR_RETURN(result, Finish(conn, pending.id, outcome, redact_pii, now));
    return OkStatus();
  }));
  return std::move(*result);
}

StatusOr<int64_t> ConversationStore::FailPendingMessages(std::string_view error) {
  int64_t changed = 0;
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement stmt,
                          conn.Prepare("UPDATE messages SET status = 'error', error = ? "
                                       "WHERE status = 'pending'"));
    stmt.Bind(1, error);
    RAGD_RETURN_IF_ERROR(stmt.Run());
    changed = conn.Changes();
    return OkStatus();
  }));
  return changed;
}

}  // namespace ragd
