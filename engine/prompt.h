// Prompt composition: turning a bot, retrieved passages, the conversation so far and a question
// into one LlmRequest; condensing follow-up questions for retrieval; reading [n] citations back.
//
// The prompt's shape (what remote models see):
//   system:   ragd's grounding rules, then the bot's instruction
//   messages: the last complete turns (bot.memory.max_history_turns, within a rough token
//             budget), then the user's turn:
//               <sources>
//               <source id="1" title="Handbook" page="3" section="Leave / Parental">
//               ...passage text...
//               </source>
//               ...
//               </sources>
//               Question: ...
// Passage text is data: anything in it that looks like a <source>/<sources> tag is neutralised
// ("<" becomes "&lt;") so a document cannot close its fence and speak as the user or as ragd.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/bot_config.h"
#include "engine/llm_provider.h"

namespace ragd {

struct PromptLimits {
  // History is dropped oldest turn first until it fits (about 4 characters per token).
  int history_token_budget = 3000;
  // A single passage longer than this is cut (with "…") so one huge chunk cannot crowd out the
  // others.
  int max_source_chars = 6000;
};

// The grounding rules ragd puts first in every system prompt.
std::string_view GroundingRules();

// `question` is what the user typed (the last user message); `standalone_question` is the
// condensed form used for retrieval, "" when the question was used as is. Request fields:
// model_id and generation from the bot; `question` = standalone_question or question (for the
// extractive provider); `sources` as given (numbers must be 1..n in order).
LlmRequest ComposePrompt(const BotConfig& bot, const std::vector<SourcePassage>& sources,
                         const std::vector<LlmMessage>& history, std::string_view question,
                         std::string_view standalone_question, const PromptLimits& limits = {});

// The last `max_turns` well-formed turns of `history` (a user message followed by an assistant
// message; anything else is skipped) that fit `token_budget`, oldest first.
std::vector<LlmMessage> TrimHistory(const std::vector<LlmMessage>& history, int max_turns,
                                    int token_budget);

// A retrieval query for a follow-up when no model can rewrite it (extractive provider): the last
// two user messages (each cut to ~300 characters) and the question, joined by newlines, oldest
// first. Just the question when there is no history.
std::string CondenseForRetrieval(const std::vector<LlmMessage>& history, std::string_view question);

// A request asking a model to rewrite `question` as a standalone question, given the recent
// conversation (last 3 turns, answers cut to ~600 characters). The caller sets model_id.
// Deterministic generation (temperature 0, at most 200 tokens). Read the reply with
// CleanStandaloneQuestion.
LlmRequest CondenseRequest(const std::vector<LlmMessage>& history, std::string_view question);

// The model's reply to CondenseRequest as a question: first non-empty line, without a
// "Standalone question:" label or surrounding quotes. Falls back to `question` when empty.
std::string CleanStandaloneQuestion(std::string_view reply, std::string_view question);

// Source numbers cited in `answer`, distinct, in order of first citation: "[1]", "[1, 3]",
// "[1][2]", "[2-4]", "[Source 2]". Numbers outside 1..max_number are ignored.
std::vector<int> CitedSources(std::string_view answer, int max_number = 1000);

}  // namespace ragd
