#include "api/handlers.h"

namespace ragd {

StatusOr<Response> HandleHealth(ApiContext&, Request&) {
  return Response::Json(200, {{"status", "ok"}});
}

StatusOr<Response> HandleReady(ApiContext& ctx, Request&) {
  // Storage is open and migrated once the service exists; check it still answers.
  Status storage = ctx.db->Read([](Connection& c) { return c.Exec("SELECT 1"); });
  const bool accepting = !ctx.ready || ctx.ready();
  if (!storage.ok() || !accepting) {
    return Response::Json(503, {{"status", "unavailable"},
                                {"storage", storage.ok() ? "ok" : "error"},
                                {"accepting", accepting}});
  }
  return Response::Json(
      200, {{"status", "ready"}, {"storage", "ok"}, {"schema_version", ctx.db->schema_version()}});
}

StatusOr<Response> HandleMetrics(ApiContext& ctx, Request&) {
  if (ctx.refresh_gauges) ctx.refresh_gauges();
  return Response::Text(200, ctx.metrics->Render(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace ragd
