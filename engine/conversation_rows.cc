#include "engine/conversation_rows.h"

#include <nlohmann/json.hpp>

namespace ragd::conversation_internal {
namespace {

constexpr std::string_view kNotFound = "no such conversation";
constexpr std::string_view kMessageNotFound = "no such message";

MessageStatus ParseStatus(const std::string& s) {
  if (s == "stopped") return MessageStatus::kStopped;
  if (s == "error") return MessageStatus::kError;
  if (s == "pending") return MessageStatus::kPending;
  return MessageStatus::kComplete;
}

std::string NullableText(const Statement& row, int col) {
  return row.IsNull(col) ? std::string() : row.Text(col);
}

}  // namespace

Conversation ReadConversation(const Statement& row) {
  Conversation c;
  c.id = row.Text(0);
  c.bot_id = row.Int(1);
  c.owner_key_id = row.Text(2);
  c.title = row.Text(3);
  c.created_at_ms = row.Int(4);
  c.updated_at_ms = row.Int(5);
  return c;
}

std::string SourcesToJson(const std::vector<SourcePassage>& sources) {
  nlohmann::json out = nlohmann::json::array();
  for (const SourcePassage& s : sources) {
    out.push_back({{"number", s.number},
                   {"chunk_id", s.chunk_id},
                   {"document_id", s.document_id},
                   {"title", s.title},
                   {"page", s.page},
                   {"heading_path", s.heading_path},
                   {"text", s.text},
                   {"score", s.score}});
  }
  // Document text may hold invalid UTF-8 that slipped through; never fail a turn over it.
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<SourcePassage> SourcesFromJson(const std::string& text) {
  std::vector<SourcePassage> out;
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_array()) return out;
  for (const nlohmann::json& j : json) {
    if (!j.is_object()) continue;
    SourcePassage s;
    s.number = j.value("number", 0);
    s.chunk_id = j.value("chunk_id", int64_t{0});
    s.document_id = j.value("document_id", std::string());
    s.title = j.value("title", std::string());
    s.page = j.value("page", 0);
    if (j.contains("heading_path") && j["heading_path"].is_array()) {
      for (const auto& h : j["heading_path"]) {
        if (h.is_string()) s.heading_path.push_back(h.get<std::string>());
      }
    }
    s.text = j.value("text", std::string());
    s.score = j.value("score", 0.0);
    out.push_back(std::move(s));
  }
  return out;
}

Message ReadMessage(const Statement& row) {
  Message m;
  m.id = row.Text(0);
  m.conversation_id = row.Text(1);
  m.seq = row.Int(2);
  m.role = row.Text(3) == "assistant" ? MessageRole::kAssistant : MessageRole::kUser;
  m.reply_to = NullableText(row, 4);
  m.content = row.Text(5);
  m.status = ParseStatus(row.Text(6));
  m.sources = SourcesFromJson(row.Text(7));
  m.provider = row.Text(8);
  m.model = row.Text(9);
  m.input_tokens = row.Int(10);
  m.output_tokens = row.Int(11);
  m.cost_nanousd = row.Int(12);
  m.latency_ms = row.Int(13);
  m.stop_reason = row.Text(14);
  m.error = NullableText(row, 15);
  m.notice = NullableText(row, 16);
  if (!row.IsNull(17)) {
    m.feedback = Feedback{row.Text(17), NullableText(row, 18), NullableText(row, 19), row.Int(20)};
  }
  m.created_at_ms = row.Int(21);
  return m;
}

StatusOr<Conversation> LoadOwned(Connection& conn, std::string_view id,
                                 std::string_view owner_key_id) {
  RAGD_ASSIGN_OR_RETURN(Statement stmt,
                        conn.Prepare(std::string("SELECT ") + kConversationColumns +
                                     " FROM conversations WHERE id = ? AND owner_key_id = ?"));
  stmt.Bind(1, id).Bind(2, owner_key_id);
  RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFoundError(kNotFound);
  return ReadConversation(stmt);
}

StatusOr<Message> LoadMessage(Connection& conn, std::string_view id,
                              std::string_view owner_key_id) {
  RAGD_ASSIGN_OR_RETURN(
      Statement stmt,
      conn.Prepare(std::string("SELECT ") + kMessageColumns +
                   ", c.owner_key_id FROM messages m JOIN conversations c ON c.id = "
                   "m.conversation_id WHERE m.id = ?"));
  stmt.Bind(1, id);
  RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row || (!owner_key_id.empty() && stmt.Text(22) != owner_key_id)) {
    return NotFoundError(kMessageNotFound);
  }
  return ReadMessage(stmt);
}

std::string_view TrimSpace(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r\n\f\v");
  if (begin == std::string_view::npos) return {};
  const size_t end = text.find_last_not_of(" \t\r\n\f\v");
  return text.substr(begin, end - begin + 1);
}

}  // namespace ragd::conversation_internal
