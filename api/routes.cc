// The route table: every HTTP route ragd serves, in one place. Handlers live with their resource
// (system_handlers.cc, key_handlers.cc, ...).
#include "api/handlers.h"
#include "api/service.h"

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
  add("GET", "/v1/me", Access::kUser, HandleWhoAmI, Run::kInline);
  add("GET", "/v1/keys", Access::kAdmin, HandleListKeys);
  add("POST", "/v1/keys", Access::kAdmin, HandleCreateKey);
  add("DELETE", "/v1/keys/{id}", Access::kAdmin, HandleRevokeKey);
  // PUT /<objects.bucket>/{key+}: public, the SigV4 signature is the authentication.
  if (ctx.objects != nullptr) r.Add(ObjectUploadRoute(ctx));
}

}  // namespace ragd
