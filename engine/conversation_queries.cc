// ConversationStore: reading messages back (history for prompts, the GET view), feedback and
// search. Writes of conversations and turns are in conversation_store.cc.
#include <algorithm>
#include <cctype>
#include <optional>

#include "engine/conversation_rows.h"
#include "engine/conversation_store.h"
#include "engine/guardrails.h"

namespace ragd {
namespace {

using conversation_internal::kMessageColumns;
using conversation_internal::LoadMessage;
using conversation_internal::LoadOwned;
using conversation_internal::ReadMessage;

constexpr int64_t kTitleChars = 60;
constexpr size_t kMaxQueryWords = 16;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Byte offset just past the first `n` code points of `text`.
size_t PrefixBytes(std::string_view text, int64_t n) {
  size_t i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && n-- == 0) break;
  }
  return i;
}

Status ValidateFeedback(const Feedback& f) {
  if (f.rating != "up" && f.rating != "down") {
    return UnprocessableError("rating", "must be \"up\" or \"down\"");
  }
  if (!f.category.empty() &&
      std::find(std::begin(kFeedbackCategories), std::end(kFeedbackCategories), f.category) ==
          std::end(kFeedbackCategories)) {
    std::string allowed;
    for (std::string_view c : kFeedbackCategories) {
      allowed += (allowed.empty() ? "" : ", ") + std::string(c);
    }
    return UnprocessableError("category", "must be one of " + allowed);
  }
  if (CodePointCount(f.comment) > kMaxFeedbackCommentChars) {
    return UnprocessableError(
        "comment", "at most " + std::to_string(kMaxFeedbackCommentChars) + " characters");
  }
  return OkStatus();
}

}  // namespace

std::string DefaultConversationTitle(std::string_view first_message) {
  std::string folded;
  for (char c : first_message) {
    if (IsSpace(c)) {
      if (!folded.empty() && folded.back() != ' ') folded.push_back(' ');
    } else {
      folded.push_back(c);
    }
  }
  while (!folded.empty() && folded.back() == ' ') folded.pop_back();
  if (CodePointCount(folded) <= kTitleChars) return folded;
  std::string title = folded.substr(0, PrefixBytes(folded, kTitleChars));
  // Cut at the last space when that keeps at least half the length (text without spaces, such
  // as Chinese, is cut at a character).
  const size_t space = title.rfind(' ');
  if (space != std::string::npos && CodePointCount(title.substr(0, space)) >= kTitleChars / 2) {
    title.resize(space);
  }
  while (!title.empty() && std::string_view(" ,;:-").find(title.back()) != std::string_view::npos) {
    title.pop_back();
  }
  return title + "…";
}

std::string SafeFtsQuery(std::string_view query) {
  std::string out;
  size_t words = 0;
  size_t i = 0;
  while (i < query.size() && words < kMaxQueryWords) {
    while (i < query.size() && IsSpace(query[i])) ++i;
    const size_t begin = i;
    while (i < query.size() && !IsSpace(query[i])) ++i;
    const std::string_view word = query.substr(begin, i - begin);
    // Only words with a letter or digit (or any non-ASCII character) can match a token; a
    // phrase of pure punctuation would match nothing.
    const bool has_token = std::any_of(word.begin(), word.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u >= 0x80 || std::isalnum(u);
    });
    if (!has_token) continue;
    // A double-quoted FTS5 string is a phrase whose text is only tokenized, never parsed as
    // syntax; a quote inside it is written twice. The trailing * makes it a prefix query.
    std::string phrase = "\"";
    for (char c : word) {
      phrase.push_back(c);
      if (c == '"') phrase.push_back('"');
    }
    phrase += "\"*";
    if (!out.empty()) out.push_back(' ');
    out += phrase;
    ++words;
  }
  return out;
}

StatusOr<std::vector<LlmMessage>> ConversationStore::History(std::string_view conversation_id,
                                                             int max_turns) {
  std::vector<LlmMessage> history;
  if (max_turns <= 0) return history;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("SELECT q.content, a.content FROM messages a JOIN messages q ON q.id = "
                     "a.reply_to WHERE a.conversation_id = ? AND a.role = 'assistant' AND "
                     "a.status = 'complete' AND a.stop_reason != 'guardrail_intervened' "
                     "ORDER BY a.seq DESC LIMIT ?"));
    stmt.Bind(1, conversation_id).Bind(2, max_turns);
    while (true) {
      RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      // Newest first here; reversed below, so push the answer before its question.
      history.push_back({LlmMessage::Role::kAssistant, stmt.Text(1)});
      history.push_back({LlmMessage::Role::kUser, stmt.Text(0)});
    }
    return OkStatus();
  }));
  std::reverse(history.begin(), history.end());
  return history;
}

StatusOr<std::vector<Message>> ConversationStore::Messages(std::string_view conversation_id,
                                                           std::string_view owner_key_id) {
  std::vector<Message> messages;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    RAGD_RETURN_IF_ERROR(LoadOwned(conn, conversation_id, owner_key_id).status());
    RAGD_ASSIGN_OR_RETURN(Statement stmt,
                          conn.Prepare(std::string("SELECT ") + kMessageColumns +
                                       " FROM messages m WHERE m.conversation_id = ? ORDER BY "
                                       "m.seq"));
    stmt.Bind(1, conversation_id);
    while (true) {
      RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      messages.push_back(ReadMessage(stmt));
    }
    return OkStatus();
  }));
  return messages;
}

StatusOr<Message> ConversationStore::GetMessage(std::string_view message_id,
                                                std::string_view owner_key_id) {
  if (owner_key_id.empty()) return NotFoundError("no such message");
  std::optional<Message> found;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(found, LoadMessage(conn, message_id, owner_key_id));
    return OkStatus();
  }));
  return std::move(*found);
}

StatusOr<Message> ConversationStore::SetFeedback(std::string_view message_id,
                                                 std::string_view owner_key_id,
                                                 const Feedback& feedback) {
  RAGD_RETURN_IF_ERROR(ValidateFeedback(feedback));
  if (owner_key_id.empty()) return NotFoundError("no such message");
  std::optional<Message> result;
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Message m, LoadMessage(conn, message_id, owner_key_id));
    if (m.role != MessageRole::kAssistant) {
      return FailedPreconditionError("feedback applies to answers, not to user messages");
    }
    m.feedback = feedback;
    m.feedback->at_ms = UnixMillis(clock_.Now());
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("UPDATE messages SET feedback_rating = ?, feedback_category = ?, "
                     "feedback_comment = ?, feedback_at_ms = ? WHERE id = ?"));
    stmt.Bind(1, m.feedback->rating)
        .Bind(2, m.feedback->category)
        .Bind(3, m.feedback->comment)
        .Bind(4, m.feedback->at_ms)
        .Bind(5, m.id);
    RAGD_RETURN_IF_ERROR(stmt.Run());
    result = std::move(m);
    return OkStatus();
  }));
  return std::move(*result);
}

Status ConversationStore::ClearFeedback(std::string_view message_id,
                                        std::string_view owner_key_id) {
  if (owner_key_id.empty()) return NotFoundError("no such message");
  return db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Message m, LoadMessage(conn, message_id, owner_key_id));
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("UPDATE messages SET feedback_rating = NULL, feedback_category = NULL, "
                     "feedback_comment = NULL, feedback_at_ms = NULL WHERE id = ?"));
    stmt.Bind(1, m.id);
    return stmt.Run();
  });
}

StatusOr<std::vector<MessageSearchHit>> ConversationStore::Search(std::string_view owner_key_id,
                                                                  std::string_view query,
                                                                  int limit) {
  std::vector<MessageSearchHit> hits;
  const std::string match = SafeFtsQuery(query);
  if (match.empty() || owner_key_id.empty()) return hits;
  limit = std::clamp(limit, 1, 100);
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("SELECT m.conversation_id, c.title, m.id, m.role, "
                     "snippet(messages_fts, 0, '', '', '…', 24), m.created_at_ms "
                     "FROM messages_fts JOIN messages m ON m.row_id = messages_fts.rowid "
                     "JOIN conversations c ON c.id = m.conversation_id "
                     "WHERE messages_fts MATCH ? AND c.owner_key_id = ? AND m.status != 'pending' "
                     "ORDER BY messages_fts.rank, m.created_at_ms DESC LIMIT ?"));
    stmt.Bind(1, match).Bind(2, owner_key_id).Bind(3, limit);
    while (true) {
      RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      MessageSearchHit hit;
      hit.conversation_id = stmt.Text(0);
      hit.conversation_title = stmt.Text(1);
      hit.message_id = stmt.Text(2);
      hit.role = stmt.Text(3) == "assistant" ? MessageRole::kAssistant : MessageRole::kUser;
      hit.snippet = stmt.Text(4);
      hit.created_at_ms = stmt.Int(5);
      hits.push_back(std::move(hit));
    }
    return OkStatus();
  }));
  return hits;
}

}  // namespace ragd
