// The application side of the HTTP server: routing, authentication, the error shape, metrics and
// the access log, wrapped around the handlers registered in routes.cc.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "api/api_keys.h"
#include "api/router.h"
#include "api/server.h"
#include "aws/sigv4_key.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/sqlite.h"

namespace ragd {

class Engine;
class ChatService;

class LocalObjectStore;
class UploadUrlIssuer;

// What handlers may use. Owned by the caller (app), outlives the service.
struct ApiContext {
  const Config* config = nullptr;
  Database* db = nullptr;
  ApiKeyStore* keys = nullptr;
  MetricsRegistry* metrics = nullptr;
  Clock* clock = nullptr;
  // Readiness beyond "storage open" (e.g. not shutting down); null means always ready.
  std::function<bool()> ready;
  // Extra gauges sampled when /metrics is rendered (e.g. open connections).
  std::function<void()> refresh_gauges;
  // The local S3-compatible upload endpoint, PUT /<objects.bucket>/{key+} (api/object_handlers.cc)
  // stores into this; null: the route is not served (e.g. uploads go to real S3).
  LocalObjectStore* objects = nullptr;
  // The key pair that upload requests to that endpoint must be signed with.
  AwsCredentials object_credentials;
  // Issues presigned upload URLs (local endpoint or S3); null when none is configured.
  UploadUrlIssuer* upload_urls = nullptr;
  // Bots, documents, retrieval and chat; null serves only system, key and object routes.
  Engine* engine = nullptr;
  // Conversations and chat turns; null: no conversation routes.
  ChatService* chat = nullptr;
};

class ApiService final : public RequestHandler {
 public:
  explicit ApiService(ApiContext context);

  RouteTraits Inspect(Request& head) override;
  Response Handle(Request& request) override;
  Response Reject(const Request& head, int status, const std::string& message) override;

  const Router& router() const { return router_; }

 private:
  Response Dispatch(Request& request);
  void Record(const Request& request, int status, double seconds);

  ApiContext ctx_;
  Router router_;
  CounterFamily& requests_;
  HistogramFamily& latency_;
  Gauge& in_flight_;
};

// Registers every route (the table in routes.cc).
void RegisterRoutes(Router& router, ApiContext& ctx);

}  // namespace ragd
