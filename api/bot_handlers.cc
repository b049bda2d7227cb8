// /v1/bots: create, list, read, change and delete bots; /v1/bots/{bot}/search.
#include "api/bot_handlers.h"

#include "api/json_body.h"
#include "core/clock.h"
#include "engine/engine.h"

namespace ragd {
namespace {

nlohmann::json BotJson(const Bot& bot) {
  nlohmann::json j = BotConfigToJson(bot.config);
  j["key"] = bot.key;
  j["owner_key_id"] = bot.owner_key_id;
  j["embedder_id"] = bot.embedder_id;
  j["created_at"] = FormatRfc3339Millis(bot.created_at_ms);
  j["updated_at"] = FormatRfc3339Millis(bot.updated_at_ms);
  return j;
}

// Only admins share bots with every user.
Status CheckVisibility(const Caller& caller, const BotConfig& config) {
  if (config.visibility == "shared" && !caller.admin) {
    return PermissionDeniedError("only admins may create or change shared bots");
  }
  return OkStatus();
}

}  // namespace

Caller CallerOf(const Request& req) {
  return Caller{req.principal->key_id, req.principal->is_admin()};
}

StatusOr<Bot> ReadableBot(ApiContext& ctx, const Request& req) {
  const std::string& key = req.path_params.at("bot");
  StatusOr<Bot> bot = ctx.engine->bots().Get(key);
  // A bot the caller may not see does not exist for them.
  if (!bot.ok() || !CanRead(*bot, CallerOf(req))) {
    if (bot.ok() || bot.status().code() == StatusCode::kNotFound) {
      return NotFoundError("no bot named '" + key + "'");
    }
    return bot.status();
  }
  return bot;
}

StatusOr<Bot> WritableBot(ApiContext& ctx, const Request& req) {
  RAGD_ASSIGN_OR_RETURN(Bot bot, ReadableBot(ctx, req));
  if (!CanWrite(bot, CallerOf(req))) {
    return PermissionDeniedError("only admins and the bot's owner may change bot '" + bot.key +
                                 "'");
  }
  return bot;
}

StatusOr<Response> HandleCreateBot(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(req));
  RAGD_ASSIGN_OR_RETURN(std::string key, RequiredString(body, "key"));
  body.erase("key");
  BotConfig config;
  RAGD_RETURN_IF_ERROR(MergeBotConfig(body, config));
  if (config.title.empty()) config.title = key;
  RAGD_RETURN_IF_ERROR(CheckVisibility(CallerOf(req), config));
  RAGD_ASSIGN_OR_RETURN(Bot bot, ctx.engine->CreateBot(key, CallerOf(req), config));
  req.log().Info("bot created", {{"bot", bot.key}});
  return Response::Json(201, BotJson(bot));
}

StatusOr<Response> HandleListBots(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(std::vector<Bot> bots, ctx.engine->bots().List(CallerOf(req)));
  nlohmann::json items = nlohmann::json::array();
  for (const Bot& bot : bots) items.push_back(BotJson(bot));
  return Response::Json(200, {{"bots", items}});
}

StatusOr<Response> HandleGetBot(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(Bot bot, ReadableBot(ctx, req));
  nlohmann::json j = BotJson(bot);
  RAGD_ASSIGN_OR_RETURN(BotStats stats, ctx.engine->Stats(bot));
  j["stats"] = {{"documents", stats.documents},   {"indexed_documents", stats.indexed_documents},
                {"chunks", stats.chunks},         {"vectors", stats.vectors},
                {"optimizing", stats.optimizing}, {"lexical_in_memory", stats.lexical_in_memory}};
  return Response::Json(200, j);
}

StatusOr<Response> HandlePatchBot(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(Bot bot, WritableBot(ctx, req));
  RAGD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(req));
  if (body.contains("key") && body["key"] != bot.key) {
    return UnprocessableError("key", "a bot's key cannot be changed");
  }
  body.erase("key");
  BotConfig config = bot.config;
  RAGD_RETURN_IF_ERROR(MergeBotConfig(body, config));
  if (config.visibility != bot.config.visibility) {
    RAGD_RETURN_IF_ERROR(CheckVisibility(CallerOf(req), config));
  }
  RAGD_ASSIGN_OR_RETURN(Bot updated, ctx.engine->UpdateBot(bot, config));
  req.log().Info("bot updated", {{"bot", bot.key}});
  return Response::Json(200, BotJson(updated));
}

StatusOr<Response> HandleDeleteBot(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(Bot bot, WritableBot(ctx, req));
  RAGD_RETURN_IF_ERROR(ctx.engine->DeleteBot(bot));
  req.log().Info("bot deleted", {{"bot", bot.key}});
  return Response::NoContent();
}

StatusOr<Response> HandleSearch(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(Bot bot, ReadableBot(ctx, req));
  SearchRequest search;
  search.query = req.QueryParam("q").value_or("");
  if (search.query.empty()) return UnprocessableError("q", "the query must not be empty");
  if (search.query.size() > 4000) return UnprocessableError("q", "at most 4000 bytes");
  search.search_type = req.QueryParam("mode").value_or("");
  RAGD_ASSIGN_OR_RETURN(search.max_results, IntQueryParam(req, "k", 0, 1, 100));
  if (auto doc = req.QueryParam("document_id")) search.document_ids.push_back(*doc);
  if (auto tag = req.QueryParam("tag")) search.tags.push_back(*tag);
  RAGD_ASSIGN_OR_RETURN(std::vector<SearchHit> hits, ctx.engine->Search(bot, search));
  nlohmann::json results = nlohmann::json::array();
  for (const SearchHit& h : hits) {
    results.push_back({{"chunk_id", h.chunk_id},
                       {"document_id", h.document_id},
                       {"title", h.title},
                       {"page_start", h.page_start},
                       {"page_end", h.page_end},
                       {"heading_path", h.heading_path},
                       {"text", h.text},
                       {"score", h.score},
                       {"vector_score", h.vector_score},
                       {"lexical_score", h.lexical_score}});
  }
  return Response::Json(200, {{"results", results}});
}

}  // namespace ragd
