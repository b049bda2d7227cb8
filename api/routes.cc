// The route table: every HTTP route ragd serves, in one place. Handlers live with their resource
// (system_handlers.cc, key_handlers.cc, ...).
#include "api/handlers.h"
#include "api/service.h"

namespace ragd {

void RegisterRoutes(Router& r, ApiContext& ctx) {
  ApiContext* c = &ctx;
  auto bind = [c](StatusOr<Response> (*fn)(ApiContext&, Request&)) -> Handler {
    return [c, fn](Request& req) { return fn(*c, req); };
  };
  //        method    pattern           access          handler                         inline
  r.Add({"GET", "/health", Access::kPublic, bind(HandleHealth), true});
  r.Add({"GET", "/ready", Access::kPublic, bind(HandleReady), false});
  r.Add({"GET", "/metrics", Access::kPublic, bind(HandleMetrics), true});
  r.Add({"GET", "/v1/me", Access::kUser, bind(HandleWhoAmI), true});
  r.Add({"GET", "/v1/keys", Access::kAdmin, bind(HandleListKeys), false});
  r.Add({"POST", "/v1/keys", Access::kAdmin, bind(HandleCreateKey), false});
  r.Add({"DELETE", "/v1/keys/{id}", Access::kAdmin, bind(HandleRevokeKey), false});
}

}  // namespace ragd
