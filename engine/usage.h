// Usage reports: answers, tokens and cost summed over a time range, per bot, user or UTC day.
//
// The figures come from usage_records (core/schema.cc v5): one row per finished assistant
// message, written in the same transaction as the message (ConversationStore::FinishAssistant).
// A conversation's deletion leaves its records in place (the spend happened); a bot's deletion
// removes its records. Costs are integers of 1e-9 USD, so totals equal the sum of what was
// stored, exactly.
//
// Thread-safe (a read transaction).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/sqlite.h"
#include "core/status.h"

namespace ragd {

enum class UsageGroupBy { kBot, kUser, kDay };

struct UsageRow {
  // kBot: the bot's key (bot_id set); kUser: the API key id; kDay: "YYYY-MM-DD" (UTC).
  std::string key;
  int64_t bot_id = 0;    // kBot only
  int64_t messages = 0;  // finished answers, whatever their status
  int64_t errors = 0;    // of which failed (status error)
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cost_nanousd = 0;
  double cost_usd() const { return static_cast<double>(cost_nanousd) / 1e9; }
};

// Answers created in [from_ms, to_ms), grouped; rows ordered by key (days ascending). Groups
// without answers are absent. InvalidArgument when from_ms > to_ms.
StatusOr<std::vector<UsageRow>> UsageTotals(Database& db, int64_t from_ms, int64_t to_ms,
                                            UsageGroupBy group_by);

// Parses "bot" | "user" | "day" (UnprocessableError "group_by" otherwise).
StatusOr<UsageGroupBy> ParseUsageGroupBy(std::string_view text);

}  // namespace ragd
