#include <cstdio>

#include "api/api_keys.h"
#include "api/handlers.h"
#include "app/commands.h"
#include "app/storage.h"

namespace ragd {
namespace {

std::unique_ptr<Database> OpenOrReport(const Config& config) {
  auto db = OpenMainDatabase(config);
  if (!db.ok()) {
    std::fprintf(stderr, "ragd: %s\n", db.status().message().c_str());
    return nullptr;
  }
  return std::move(db).value();
}

}  // namespace

int RunKeysCreate(const Config& config, const std::string& name, const std::string& role) {
  auto db = OpenOrReport(config);
  if (!db) return 1;
  ApiKeyStore keys(*db, Clock::Real());
  auto created = keys.Create(name, ParseRole(role).value_or(Role::kUser));
  if (!created.ok()) {
    std::fprintf(stderr, "ragd: %s\n", created.status().message().c_str());
    return 1;
  }
  std::printf("id:   %s\nname: %s\nrole: %s\nkey:  %s\n", created->info.id.c_str(),
              created->info.name.c_str(), role.c_str(), created->key.c_str());
  std::fprintf(stderr, "Store the key now: ragd keeps only its hash and cannot show it again.\n");
  return 0;
}

int RunKeysList(const Config& config) {
  auto db = OpenOrReport(config);
  if (!db) return 1;
  ApiKeyStore keys(*db, Clock::Real());
  auto list = keys.List();
  if (!list.ok()) {
    std::fprintf(stderr, "ragd: %s\n", list.status().message().c_str());
    return 1;
  }
  std::printf("%-14s %-6s %-8s %-21s %s\n", "ID", "ROLE", "STATE", "CREATED", "NAME");
  for (const ApiKeyInfo& k : *list) {
    const nlohmann::json j = ApiKeyJson(k);
    std::printf("%-14s %-6s %-8s %-21s %s\n", k.id.c_str(), j["role"].get<std::string>().c_str(),
                k.revoked_at_ms ? "revoked" : "active", j["created_at"].get<std::string>().c_str(),
                k.name.c_str());
  }
  return 0;
}

int RunKeysRevoke(const Config& config, const std::string& id) {
  auto db = OpenOrReport(config);
  if (!db) return 1;
  ApiKeyStore keys(*db, Clock::Real());
  Status s = keys.Revoke(id);
  if (!s.ok()) {
    std::fprintf(stderr, "ragd: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("revoked %s\n", id.c_str());
  return 0;
}

}  // namespace ragd
