#include "api/static_handlers.h"

#include <algorithm>
#include <cctype>

#include "api/web_assets.h"

namespace ragd {
namespace {

struct Extension {
  std::string_view suffix;
  std::string_view content_type;
};

constexpr Extension kTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
};

const WebAsset* FindAsset(std::string_view name) {
  for (const WebAsset& asset : WebAssets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

// "scheme://host[:port]" of an absolute http(s) URL; empty when it is not one, or when it holds
// characters that cannot appear in a CSP source expression.
std::string OriginOf(std::string_view url, std::string* scheme, std::string* authority) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return "";
  std::string s(url.substr(0, sep));
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s != "http" && s != "https") return "";
  std::string_view rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.empty() || rest.find('@') != std::string_view::npos) return "";
  for (char c : rest) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':') return "";
  }
  *scheme = s;
  *authority = std::string(rest);
  std::transform(authority->begin(), authority->end(), authority->begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s + "://" + *authority;
}

// True when the If-None-Match header names `etag` (or is "*").
bool NotModified(const Request& req, std::string_view etag) {
  const std::optional<std::string> header = req.Header("if-none-match");
  if (!header) return false;
  std::string_view rest(*header);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view tag = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);  // weak comparison, as GET allows
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

void AddSecurityHeaders(const Config& config, Response& r) {
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy", WebUiContentSecurityPolicy(config));
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
}

Response Serve(const ApiContext& ctx, const Request& req, const WebAsset& asset) {
  const std::string etag = "\"" + std::string(asset.sha256) + "\"";
  Response r;
  if (NotModified(req, etag)) {
    r.status = 304;
  } else {
    r.status = 200;
    r.headers.emplace_back("Content-Type", std::string(WebContentType(asset.name)));
    r.body = std::string(asset.bytes);
  }
  // The files change with the binary and carry no version in their names: revalidate each time
  // (a 304 when unchanged).
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("ETag", etag);
  AddSecurityHeaders(*ctx.config, r);
  return r;
}

}  // namespace

std::string_view WebContentType(std::string_view file_name) {
  for (const Extension& e : kTypes) {
    if (file_name.size() > e.suffix.size() &&
        file_name.substr(file_name.size() - e.suffix.size()) == e.suffix) {
      return e.content_type;
    }
  }
  return "application/octet-stream";
}

std::string WebUiContentSecurityPolicy(const Config& config) {
  std::string connect = "'self'";
  if (config.objects_store == "s3") {
    // Presigned URLs go straight to the bucket: virtual-hosted or path style.
    std::string scheme;
    std::string authority;
    if (config.objects_s3_endpoint.empty()) {
      connect += " https://*.amazonaws.com";
    } else if (std::string origin = OriginOf(config.objects_s3_endpoint, &scheme, &authority);
               !origin.empty()) {
      connect += " " + origin + " " + scheme + "://*." + authority;
    }
  }
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
         "connect-src " +
         connect +
         "; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

StatusOr<Response> HandleUiRedirect(ApiContext& ctx, Request&) {
  Response r;
  r.status = 302;
  r.headers.emplace_back("Location", "/ui/");
  r.headers.emplace_back("Cache-Control", "no-cache");
  AddSecurityHeaders(*ctx.config, r);
  return r;
}

StatusOr<Response> HandleUiIndex(ApiContext& ctx, Request& req) {
  const WebAsset* index = FindAsset("index.html");
  if (index == nullptr) return NotFoundError("this build has no web UI");
  return Serve(ctx, req, *index);
}

StatusOr<Response> HandleUiAsset(ApiContext& ctx, Request& req) {
  const std::string& name = req.path_params.at("file");
  const WebAsset* asset = FindAsset(name);
  if (asset == nullptr) return NotFoundError("no file '" + name + "' in the web UI");
  return Serve(ctx, req, *asset);
}

}  // namespace ragd
