// Internal to engine/conversation_store*.cc: reading conversation and message rows, and the
// ownership checks every ConversationStore call starts with. Not for other modules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/sqlite.h"
#include "engine/conversation_store.h"

namespace ragd::conversation_internal {

// Columns ReadConversation expects, in order (table conversations, no alias).
inline constexpr const char* kConversationColumns =
    "id, bot_id, owner_key_id, title, created_at_ms, updated_at_ms";
// Columns ReadMessage expects, in order (table messages aliased m).
inline constexpr const char* kMessageColumns =
    "m.id, m.conversation_id, m.seq, m.role, m.reply_to, m.content, m.status, m.sources, "
    "m.provider, m.model, m.input_tokens, m.output_tokens, m.cost_nanousd, m.latency_ms, "
    "m.stop_reason, m.error, m.notice, m.feedback_rating, m.feedback_category, "
    "m.feedback_comment, m.feedback_at_ms, m.created_at_ms";
inline constexpr int kMessageColumnCount = 22;

Conversation ReadConversation(const Statement& row);
Message ReadMessage(const Statement& row);

std::string SourcesToJson(const std::vector<SourcePassage>& sources);
std::vector<SourcePassage> SourcesFromJson(const std::string& text);

// NotFound ("no such conversation") unless `id` exists and belongs to `owner_key_id`.
StatusOr<Conversation> LoadOwned(Connection& conn, std::string_view id,
                                 std::string_view owner_key_id);
// NotFound ("no such message") unless it exists and its conversation belongs to `owner_key_id`;
// an empty `owner_key_id` skips the owner check (the orchestration finishing a message it began).
StatusOr<Message> LoadMessage(Connection& conn, std::string_view id, std::string_view owner_key_id);

// `text` without leading/trailing ASCII whitespace.
std::string_view TrimSpace(std::string_view text);

}  // namespace ragd::conversation_internal
