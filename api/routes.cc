// The route table: every HTTP route ragd serves, in one place. Handlers live with their resource
// (system_handlers.cc, key_handlers.cc, ...).
#include "api/bot_handlers.h"
#include "api/conversation_handlers.h"
#include "api/handlers.h"
#include "api/service.h"
#include "api/static_handlers.h"

namespace ragd {
namespace {

enum class Run { kWorker, kInline };

}  // namespace

void RegisterRoutes(Router& r, ApiContext& ctx) {
  ApiContext* c = &ctx;
  auto add = [&r, c](const char* method, const char* pattern, Access access,
                     StatusOr<Response> (*fn)(ApiContext&, Request&), Run run = Run::kWorker) {
    Route route;
    route.method = method;
    route.pattern = pattern;
    route.access = access;
    route.handler = [c, fn](Request& req) { return fn(*c, req); };
    route.run_inline = run == Run::kInline;
    r.Add(std::move(route));
  };
  //   method    pattern           access          handler          where it runs
  add("GET", "/health", Access::kPublic, HandleHealth, Run::kInline);
  add("GET", "/ready", Access::kPublic, HandleReady);
  add("GET", "/metrics", Access::kPublic, HandleMetrics, Run::kInline);
  // The web UI (api/static_handlers.h): files compiled into the binary; the pages send the key.
  add("GET", "/", Access::kPublic, HandleUiRedirect, Run::kInline);
  add("GET", "/ui", Access::kPublic, HandleUiRedirect, Run::kInline);
  add("GET", "/ui/", Access::kPublic, HandleUiIndex, Run::kInline);
  add("GET", "/ui/{file}", Access::kPublic, HandleUiAsset, Run::kInline);
  add("GET", "/v1/me", Access::kUser, HandleWhoAmI, Run::kInline);
  add("GET", "/v1/keys", Access::kAdmin, HandleListKeys);
  add("POST", "/v1/keys", Access::kAdmin, HandleCreateKey);
  add("DELETE", "/v1/keys/{id}", Access::kAdmin, HandleRevokeKey);
  if (ctx.engine != nullptr) {
    add("GET", "/v1/bots", Access::kUser, HandleListBots);
    add("POST", "/v1/bots", Access::kUser, HandleCreateBot);
    add("GET", "/v1/bots/{bot}", Access::kUser, HandleGetBot);
    add("PATCH", "/v1/bots/{bot}", Access::kUser, HandlePatchBot);
    add("DELETE", "/v1/bots/{bot}", Access::kUser, HandleDeleteBot);
    add("GET", "/v1/bots/{bot}/search", Access::kUser, HandleSearch);
    add("GET", "/v1/bots/{bot}/documents", Access::kUser, HandleListDocuments);
    add("POST", "/v1/bots/{bot}/documents", Access::kUser, HandleCreateDocument);
    add("GET", "/v1/bots/{bot}/documents/{id}", Access::kUser, HandleGetDocument);
    add("DELETE", "/v1/bots/{bot}/documents/{id}", Access::kUser, HandleDeleteDocument);
    add("POST", "/v1/bots/{bot}/documents/{id}/ingest", Access::kUser, HandleIngestDocument);
    add("POST", "/v1/events/s3", Access::kAdmin, HandleS3Event);
  }
  if (ctx.chat != nullptr) {
    add("POST", "/v1/bots/{bot}/conversations", Access::kUser, HandleCreateConversation);
    add("GET", "/v1/conversations", Access::kUser, HandleListConversations);
    add("GET", "/v1/conversations/search", Access::kUser, HandleSearchConversations);
    add("GET", "/v1/conversations/{id}", Access::kUser, HandleGetConversation);
    add("PATCH", "/v1/conversations/{id}", Access::kUser, HandlePatchConversation);
    add("DELETE", "/v1/conversations/{id}", Access::kUser, HandleDeleteConversation);
    add("POST", "/v1/conversations/{id}/messages", Access::kUser, HandlePostMessage);
    add("PUT", "/v1/conversations/{id}/messages/{msg}/feedback", Access::kUser, HandlePutFeedback);
    add("GET", "/v1/admin/usage", Access::kAdmin, HandleUsage);
  }
  // PUT /<objects.bucket>/{key+}: public, the SigV4 signature is the authentication.
  if (ctx.objects != nullptr) r.Add(ObjectUploadRoute(ctx));
}

}  // namespace ragd
