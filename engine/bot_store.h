// Bots: rows in the bots table with their JSON config. Access rules live here too, so every route
// applies the same ones.
//
// Thread safety: all methods may be called concurrently (SQLite transactions serialize writes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/sqlite.h"
#include "core/status.h"
#include "engine/bot_config.h"

namespace ragd {

// Who is asking: the API key's public id and whether it has the admin role.
struct Caller {
  std::string key_id;
  bool admin = false;
};

struct Bot {
  int64_t id = 0;
  std::string key;
  std::string owner_key_id;
  BotConfig config;
  std::string embedder_id;  // what its stored vectors were made with
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

// Readers: admins, the owner, and everyone for shared bots. Writers: admins and the owner.
bool CanRead(const Bot& bot, const Caller& caller);
bool CanWrite(const Bot& bot, const Caller& caller);

class BotStore {
 public:
  BotStore(Database& db, Clock& clock) : db_(db), clock_(clock) {}

  // AlreadyExists (409) when the key is taken. `config` must already be validated.
  StatusOr<Bot> Create(const std::string& key, const Caller& owner, const BotConfig& config,
                       const std::string& embedder_id);
  // NotFound when there is no such bot.
  StatusOr<Bot> Get(std::string_view key);
  StatusOr<Bot> GetById(int64_t id);
  // The bots `caller` may read, by key.
  StatusOr<std::vector<Bot>> List(const Caller& caller);
  // Replaces the config (and the embedder id when the embedder changed).
  Status Update(const Bot& bot);
  // Removes the row; documents and chunks go with it (ON DELETE CASCADE).
  Status Delete(int64_t id);

 private:
  Database& db_;
  Clock& clock_;
};

}  // namespace ragd
