#include "api/service.h"

#include <charconv>
#include <chrono>
#include <cmath>

#include "api/errors.h"
#include "core/log_fields.h"
#include "core/log_output.h"

namespace ragd {
namespace {

// The presented key: "Authorization: Bearer <key>" or "x-api-key: <key>".
std::optional<std::string> PresentedKey(const Request& request) {
  if (auto auth = request.Header("authorization")) {
    constexpr std::string_view kBearer = "bearer ";
    if (auth->size() > kBearer.size()) {
      std::string scheme = auth->substr(0, kBearer.size());
      for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (scheme == kBearer) return auth->substr(kBearer.size());
    }
    return std::string();  // present but not a bearer token: treated as a bad key
  }
  if (auto key = request.Header("x-api-key")) return *key;
  return std::nullopt;
}

const std::vector<double> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,   0.5,   1,      2.5,   5,    10,    30};

}  // namespace

ApiService::ApiService(ApiContext context)
    : ctx_(std::move(context)),
      requests_(ctx_.metrics->Counter("ragd_http_requests_total",
                                      "HTTP requests by route, method and status",
                                      {"route", "method", "status"})),
      latency_(ctx_.metrics->Histogram("ragd_http_request_duration_seconds",
                                       "Time to produce the response head, by route", {"route"},
                                       kLatencyBuckets)),
      in_flight_(
          ctx_.metrics->GaugeMetric("ragd_http_requests_in_flight", "Requests being handled now")) {
  ctx_.metrics->CounterFunc("ragd_log_lines_dropped_total",
                            "Log lines dropped because the log output could not keep up",
                            [] { return LogLinesDropped(); });
  RegisterRoutes(router_, ctx_);
}

RouteTraits ApiService::Inspect(Request& head) {
  RouteTraits traits;
  traits.body_limit = static_cast<size_t>(ctx_.config->server_max_body_bytes);
  const Router::Match match = router_.Find(head.method, head.path, &head.path_params);
  head.matched_route = match.route;
  if (match.route != nullptr) {
    head.route = match.route->pattern;
    traits.run_inline = match.route->run_inline;
    if (match.route->body_limit > 0) traits.body_limit = match.route->body_limit;
    if (match.route->before_body) {
      RouteTraits planned = match.route->before_body(head);
      traits.reject = std::move(planned.reject);
      traits.body_file = std::move(planned.body_file);
      if (traits.reject) Record(head, traits.reject->status, 0);
    }
  } else {
    head.route = match.method_mismatch ? "method_not_allowed" : "unmatched";
    traits.run_inline = true;  // answered at once with an error
  }
  return traits;
}

Response ApiService::Handle(Request& request) {
  const auto start = std::chrono::steady_clock::now();
  in_flight_.Add(1);
  Response response = Dispatch(request);
  in_flight_.Add(-1);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Record(request, response.status, seconds);
  return response;
}

Response ApiService::Dispatch(Request& request) {
  const Route* route = request.matched_route;
  if (route == nullptr) {
    if (request.route == "method_not_allowed") {
      return ErrorResponse(405, "method " + request.method + " not allowed on " + request.path,
                           request.request_id);
    }
    return ErrorResponse(404, "no route for " + request.path, request.request_id);
  }
  if (route->access != Access::kPublic) {
    const std::optional<std::string> key = PresentedKey(request);
    if (!key) {
      return ErrorResponse(401,
                           "missing API key: send it as a Bearer token in the Authorization "
                           "header or in the x-api-key header",
                           request.request_id);
    }
    StatusOr<Principal> principal = ctx_.keys->Authenticate(*key);
    if (!principal.ok()) return ErrorResponse(principal.status(), request.request_id);
    request.principal = *principal;
    if (route->access == Access::kAdmin && !principal->is_admin()) {
      return ErrorResponse(403, "this route requires an admin key", request.request_id);
    }
  }
  // Handlers return statuses; a third-party exception that slips through (a JSON type error, say)
  // must still end as one error response, not a dropped connection and a leaked in-flight count.
  StatusOr<Response> result = InternalError("unexpected failure");
  try {
    result = route->handler(request);
  } catch (const std::exception& e) {
    request.log().Error("handler threw", {{"route", request.route}, {"error", e.what()}});
    result = InternalError("the request failed unexpectedly");
  }
  if (!result.ok()) {
    if (HttpStatusFor(result.status()) >= 500) {
      request.log().Error("handler failed",
                          {{"route", request.route}, {"error", result.status().ToString()}});
    }
    return ErrorResponse(result.status(), request.request_id);
  }
  return std::move(result).value();
}

Response ApiService::Reject(const Request& head, int status, const std::string& message) {
  Response response = ErrorResponse(status, message, head.request_id);
  Record(head, status, 0);
  return response;
}

void ApiService::Record(const Request& request, int status, double seconds) {
  const std::string_view route =
      request.route.empty() ? std::string_view("unmatched") : std::string_view(request.route);
  char status_text[12];
  const auto printed = std::to_chars(status_text, status_text + sizeof(status_text), status);
  requests_.Inc({route, request.method,
                 std::string_view(status_text, static_cast<size_t>(printed.ptr - status_text))});
  latency_.Observe({route}, seconds);
  if (!LogEnabled(LogLevel::kInfo)) return;
  // The path, never the query: presigned URLs carry signatures there.
  LogFields fields;
  fields.Str("method", request.method)
      .Str("path", request.path)
      .Str("route", route)
      .Int("status", status)
      .Num("ms", std::round(seconds * 1e6) / 1e3)
      .Str("key_id", request.principal ? std::string_view(request.principal->key_id) : "");
  Log(LogLevel::kInfo, request.request_id, "request", fields);
}

}  // namespace ragd
