// The web UI: static files compiled into the binary (api/web_assets.h), served on public routes.
// The pages hold no secret; every API call they make sends the user's key.
//
//   GET /          302 to /ui/
//   GET /ui        302 to /ui/
//   GET /ui/       index.html
//   GET /ui/{file} one file of web/ (404 for anything else)
//
// Every answer carries Content-Type, Cache-Control: no-cache with a strong ETag (the file's
// SHA-256; If-None-Match gives 304), X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer
// and a Content-Security-Policy that allows only the server's own scripts and styles.
#pragma once

#include <string>
#include <string_view>

#include "api/http.h"
#include "api/service.h"
#include "core/config.h"

namespace ragd {

StatusOr<Response> HandleUiRedirect(ApiContext& ctx, Request& req);
StatusOr<Response> HandleUiIndex(ApiContext& ctx, Request& req);
StatusOr<Response> HandleUiAsset(ApiContext& ctx, Request& req);

// The policy sent with every UI file. connect-src is 'self' (the API and the local upload
// endpoint) plus, with objects.store = s3, the origins presigned S3 URLs point at.
std::string WebUiContentSecurityPolicy(const Config& config);

// "text/html; charset=utf-8" for "index.html", ...; application/octet-stream when unknown.
std::string_view WebContentType(std::string_view file_name);

}  // namespace ragd
