#include "api/handlers.h"
#include "api/json_body.h"
#include "core/clock.h"

namespace ragd {

nlohmann::json ApiKeyJson(const ApiKeyInfo& key) {
  nlohmann::json j = {{"id", key.id},
                      {"name", key.name},
                      {"role", RoleName(key.role)},
                      {"created_at", FormatRfc3339Millis(key.created_at_ms)},
                      {"revoked_at", nullptr},
                      {"last_used_at", nullptr}};
  if (key.revoked_at_ms) j["revoked_at"] = FormatRfc3339Millis(*key.revoked_at_ms);
  if (key.last_used_at_ms) j["last_used_at"] = FormatRfc3339Millis(*key.last_used_at_ms);
  return j;
}

StatusOr<Response> HandleWhoAmI(ApiContext&, Request& req) {
  const Principal& p = *req.principal;
  return Response::Json(200, {{"key_id", p.key_id}, {"name", p.name}, {"role", RoleName(p.role)}});
}

StatusOr<Response> HandleListKeys(ApiContext& ctx, Request&) {
  RAGD_ASSIGN_OR_RETURN(std::vector<ApiKeyInfo> keys, ctx.keys->List());
  nlohmann::json items = nlohmann::json::array();
  for (const ApiKeyInfo& k : keys) items.push_back(ApiKeyJson(k));
  return Response::Json(200, {{"keys", items}});
}

StatusOr<Response> HandleCreateKey(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(req));
  RAGD_ASSIGN_OR_RETURN(std::string name, RequiredString(body, "name"));
  RAGD_ASSIGN_OR_RETURN(std::string role_name, StringField(body, "role", "user"));
  const std::optional<Role> role = ParseRole(role_name);
  if (!role) return UnprocessableError("role", "must be 'admin' or 'user'");
  RAGD_ASSIGN_OR_RETURN(CreatedApiKey created, ctx.keys->Create(name, *role));
  nlohmann::json out = ApiKeyJson(created.info);
  out["key"] = created.key;  // shown once
  Response r = Response::Json(201, out);
  r.headers.emplace_back("Cache-Control", "no-store");
  req.log().Info("api key created", {{"key_id", created.info.id}, {"role", role_name}});
  return r;
}

StatusOr<Response> HandleRevokeKey(ApiContext& ctx, Request& req) {
  const std::string& id = req.path_params.at("id");
  RAGD_RETURN_IF_ERROR(ctx.keys->Revoke(id));
  req.log().Info("api key revoked", {{"key_id", id}});
  return Response::NoContent();
}

}  // namespace ragd
