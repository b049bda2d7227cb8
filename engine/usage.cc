#include "engine/usage.h"

namespace ragd {

StatusOr<UsageGroupBy> ParseUsageGroupBy(std::string_view text) {
  if (text == "bot") return UsageGroupBy::kBot;
  if (text == "user") return UsageGroupBy::kUser;
  if (text == "day") return UsageGroupBy::kDay;
  return UnprocessableError("group_by", "must be \"bot\", \"user\" or \"day\"");
}

StatusOr<std::vector<UsageRow>> UsageTotals(Database& db, int64_t from_ms, int64_t to_ms,
                                            UsageGroupBy group_by) {
  if (from_ms > to_ms) return InvalidArgumentError("usage range: from is after to");
  // The index usage_by_time(created_at_ms, ...) bounds the scan to the range.
  std::string sql;
  switch (group_by) {
    case UsageGroupBy::kBot:
      sql = "SELECT COALESCE(b.key, ''), u.bot_id";
      break;
    case UsageGroupBy::kUser:
      sql = "SELECT u.owner_key_id, 0";
      break;
    case UsageGroupBy::kDay:
      // Integer division floors toward zero; ms before 1970 are not a concern for usage.
      sql = "SELECT strftime('%Y-%m-%d', u.created_at_ms / 1000, 'unixepoch'), 0";
      break;
  }
  sql +=
      ", COUNT(*), SUM(u.status = 'error'), SUM(u.input_tokens), SUM(u.output_tokens), "
      "SUM(u.cost_nanousd) FROM usage_records u LEFT JOIN bots b ON b.id = u.bot_id "
      "WHERE u.created_at_ms >= ? AND u.created_at_ms < ? GROUP BY 1, 2 ORDER BY 1, 2";
  std::vector<UsageRow> rows;
  RAGD_RETURN_IF_ERROR(db.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
    stmt.Bind(1, from_ms).Bind(2, to_ms);
    while (true) {
      RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      UsageRow r;
      r.key = stmt.Text(0);
      r.bot_id = stmt.Int(1);
      r.messages = stmt.Int(2);
      r.errors = stmt.Int(3);
      r.input_tokens = stmt.Int(4);
      r.output_tokens = stmt.Int(5);
      r.cost_nanousd = stmt.Int(6);
      rows.push_back(std::move(r));
    }
    return OkStatus();
  }));
  return rows;
}

}  // namespace ragd
