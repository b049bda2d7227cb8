#include "engine/bot_store.h"

namespace ragd {
namespace {

constexpr const char* kColumns =
    "id, key, owner_key_id, config, embedder_id, created_at_ms, updated_at_ms";

StatusOr<Bot> ReadBot(Statement& row) {
  Bot bot;
  bot.id = row.Int(0);
  bot.key = row.Text(1);
  bot.owner_key_id = row.Text(2);
  nlohmann::json config = nlohmann::json::parse(row.Text(3), nullptr, false);
  if (config.is_discarded()) return DataLossError("bot " + bot.key + ": stored config is not JSON");
  if (Status s = MergeBotConfig(config, bot.config); !s.ok()) {
    return DataLossError("bot " + bot.key + ": stored config: " + s.message());
  }
  bot.embedder_id = row.Text(4);
  bot.created_at_ms = row.Int(5);
  bot.updated_at_ms = row.Int(6);
  return bot;
}

StatusOr<Bot> GetWhere(Database& db, const std::string& where,
                       const std::function<void(Statement&)>& bind, std::string_view what) {
  std::optional<StatusOr<Bot>> found;
  RAGD_RETURN_IF_ERROR(db.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(std::string("SELECT ") + kColumns +
                                                       " FROM bots WHERE " + where));
    bind(stmt);
    RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) found = ReadBot(stmt);
    return OkStatus();
  }));
  if (!found) return NotFoundError("no bot named '" + std::string(what) + "'");
  return std::move(*found);
}

}  // namespace

bool CanRead(const Bot& bot, const Caller& caller) {
  return caller.admin || bot.owner_key_id == caller.key_id || bot.config.visibility == "shared";
}

bool CanWrite(const Bot& bot, const Caller& caller) {
  return caller.admin || bot.owner_key_id == caller.key_id;
}

StatusOr<Bot> BotStore::Create(const std::string& key, const Caller& owner, const BotConfig& config,
                               const std::string& embedder_id) {
  RAGD_RETURN_IF_ERROR(CheckBotKey(key));
  Bot bot;
  bot.key = key;
  bot.owner_key_id = owner.key_id;
  bot.config = config;
  bot.embedder_id = embedder_id;
  bot.created_at_ms = bot.updated_at_ms = UnixMillis(clock_.Now());
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement exists, conn.Prepare("SELECT 1 FROM bots WHERE key = ?"));
    exists.Bind(1, key);
    RAGD_ASSIGN_OR_RETURN(bool taken, exists.Step());
    if (taken) return AlreadyExistsError("a bot named '" + key + "' already exists");
    RAGD_ASSIGN_OR_RETURN(
        Statement insert,
        conn.Prepare("INSERT INTO bots (key, owner_key_id, visibility, config, embedder_id, "
                     "created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    insert.Bind(1, key)
        .Bind(2, owner.key_id)
        .Bind(3, config.visibility)
        .Bind(4, BotConfigToJson(config).dump())
        .Bind(5, embedder_id)
        .Bind(6, bot.created_at_ms)
        .Bind(7, bot.updated_at_ms);
    RAGD_RETURN_IF_ERROR(insert.Run());
    bot.id = conn.LastInsertRowId();
    return OkStatus();
  }));
  return bot;
}

StatusOr<Bot> BotStore::Get(std::string_view key) {
  return GetWhere(
      db_, "key = ?", [&](Statement& s) { s.Bind(1, key); }, key);
}

StatusOr<Bot> BotStore::GetById(int64_t id) {
  return GetWhere(
      db_, "id = ?", [&](Statement& s) { s.Bind(1, id); }, std::to_string(id));
}

StatusOr<std::vector<Bot>> BotStore::List(const Caller& caller) {
  std::vector<Bot> bots;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(std::string("SELECT ") + kColumns +
                                                       " FROM bots ORDER BY key"));
    while (true) {
      RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      RAGD_ASSIGN_OR_RETURN(Bot bot, ReadBot(stmt));
      if (CanRead(bot, caller)) bots.push_back(std::move(bot));
    }
    return OkStatus();
  }));
  return bots;
}

Status BotStore::Update(const Bot& bot) {
  return db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt, conn.Prepare("UPDATE bots SET config = ?, visibility = ?, embedder_id = ?, "
                                     "updated_at_ms = ? WHERE id = ?"));
    stmt.Bind(1, BotConfigToJson(bot.config).dump())
        .Bind(2, bot.config.visibility)
        .Bind(3, bot.embedder_id)
        .Bind(4, UnixMillis(clock_.Now()))
        .Bind(5, bot.id);
    RAGD_RETURN_IF_ERROR(stmt.Run());
    if (conn.Changes() == 0) return NotFoundError("no such bot");
    return OkStatus();
  });
}

Status BotStore::Delete(int64_t id) {
  return db_.Write([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare("DELETE FROM bots WHERE id = ?"));
    stmt.Bind(1, id);
    return stmt.Run();
  });
}

}  // namespace ragd
