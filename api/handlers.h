// Route handlers, grouped by resource. Each takes the shared ApiContext and the request (already
// authenticated per the route table) and returns a Response or a Status for the error shape.
#pragma once

#include "api/http.h"
#include "api/service.h"

namespace ragd {

// system_handlers.cc
StatusOr<Response> HandleHealth(ApiContext& ctx, Request& req);
StatusOr<Response> HandleReady(ApiContext& ctx, Request& req);
StatusOr<Response> HandleMetrics(ApiContext& ctx, Request& req);

// key_handlers.cc
StatusOr<Response> HandleWhoAmI(ApiContext& ctx, Request& req);
StatusOr<Response> HandleListKeys(ApiContext& ctx, Request& req);
StatusOr<Response> HandleCreateKey(ApiContext& ctx, Request& req);
StatusOr<Response> HandleRevokeKey(ApiContext& ctx, Request& req);

nlohmann::json ApiKeyJson(const ApiKeyInfo& key);

// object_handlers.cc: PUT /<objects.bucket>/{key+}, the local S3-compatible upload endpoint.
// Requires ctx.objects.
Route ObjectUploadRoute(ApiContext& ctx);

}  // namespace ragd
