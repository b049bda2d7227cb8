#include "engine/providers/bedrock_provider.h"

#include <algorithm>
#include <utility>

#include "aws/sigv4.h"
#include "engine/providers/bedrock_wire.h"

namespace ragd {
namespace {

// Error documents are small; a proxy's HTML page is cut here.
constexpr size_t kErrorBodyLimit = 64 * 1024;
// Event-stream frames of a token or two: libcurl's 16 KiB default receive buffer, per concurrent
// stream, is mostly wasted.
constexpr size_t kStreamReceiveBuffer = 4 * 1024;

struct Endpoint {
  std::string base;  // "https://bedrock-runtime.us-east-1.amazonaws.com", no trailing '/'
  std::string host;  // the Host header: "bedrock-runtime.us-east-1.amazonaws.com" or "h:port"
};

StatusOr<Endpoint> ResolveEndpoint(const BedrockOptions& options) {
  if (options.endpoint.empty()) {
    Endpoint e;
    e.host = "bedrock-runtime." + options.region + ".amazonaws.com";
    e.base = "https://" + e.host;
    return e;
  }
  std::string base = options.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const size_t scheme_end = base.find("://");
  if (scheme_end == std::string::npos ||
      (base.compare(0, scheme_end, "http") != 0 && base.compare(0, scheme_end, "https") != 0)) {
    return InvalidArgumentError("bedrock: endpoint must be http(s)://host[:port], got '" + base +
                                "'");
  }
  std::string host = base.substr(scheme_end + 3);
  if (host.empty() || host.find_first_of("/?#@ ") != std::string::npos) {
    return InvalidArgumentError("bedrock: endpoint must be http(s)://host[:port], got '" + base +
                                "'");
  }
  return Endpoint{std::move(base), std::move(host)};
}

class BedrockProvider final : public LlmProvider {
 public:
  BedrockProvider(const BedrockOptions& options, Endpoint endpoint,
                  std::unique_ptr<HttpTransport> owned_transport,
                  std::unique_ptr<CircuitBreakerRegistry> owned_breakers)
      : options_(options),
        endpoint_(std::move(endpoint)),
        clock_(options.clock != nullptr ? *options.clock : Clock::Real()),
        owned_transport_(std::move(owned_transport)),
        transport_(options.transport != nullptr ? *options.transport : *owned_transport_),
        owned_breakers_(std::move(owned_breakers)),
        caller_("bedrock|" + endpoint_.base, options.resilience, clock_,
                (options.breakers != nullptr ? *options.breakers : *owned_breakers_)
                    .Get("bedrock|" + endpoint_.base, options.resilience.breaker)) {}

  std::string name() const override { return "bedrock"; }

  StatusOr<LlmResult> Generate(const LlmRequest& request, const DeltaSink& on_delta) override {
    if (request.model_id.empty()) return InvalidArgumentError("bedrock: model_id is empty");
    if (request.messages.empty()) return InvalidArgumentError("bedrock: no messages");
    const bool stream = options_.streaming;
    const std::string path =
        BedrockModelPath(request.model_id, stream ? "converse-stream" : "converse");
    const std::string body = BuildConverseBody(request);
    return caller_.Run(
        on_delta,
        [&](const DeltaSink& sink) {
          return stream ? StreamAttempt(request, path, body, sink)
                        : ConverseAttempt(request, path, body, sink);
        },
        request.cancelled);
  }

 private:
  StatusOr<HttpRequest> SignedRequest(const LlmRequest& llm, const std::string& path,
                                      const std::string& body) const;
  LlmAttemptOutcome StreamAttempt(const LlmRequest& request, const std::string& path,
                                  const std::string& body, const DeltaSink& sink);
  LlmAttemptOutcome ConverseAttempt(const LlmRequest& request, const std::string& path,
                                    const std::string& body, const DeltaSink& sink);
  LlmAttemptOutcome HttpFailure(int status, const HttpHeaders& headers,
                                std::string_view body) const {
    LlmAttemptOutcome out;
    out.result = BedrockHttpError(status, headers, body);
    out.retry_after = ParseRetryAfter(headers, clock_.Now());
    return out;
  }

  const BedrockOptions options_;
  const Endpoint endpoint_;
  Clock& clock_;
  const std::unique_ptr<HttpTransport> owned_transport_;
  HttpTransport& transport_;
  const std::unique_ptr<CircuitBreakerRegistry> owned_breakers_;
  const ResilientCaller caller_;
};

StatusOr<HttpRequest> BedrockProvider::SignedRequest(const LlmRequest& llm, const std::string& path,
                                                     const std::string& body) const {
  StatusOr<AwsCredentials> credentials = options_.credentials->GetCredentials();
  if (!credentials.ok()) return credentials.status().WithContext("bedrock: credentials");
  SignableRequest to_sign;
  to_sign.method = "POST";
  to_sign.path = path;
  to_sign.headers = {{"Host", endpoint_.host}, {"Content-Type", "application/json"}};
  to_sign.body = body;
  SigningOptions signing;
  signing.region = options_.region;
  signing.service = "bedrock";
  signing.time = clock_.Now();
  RAGD_ASSIGN_OR_RETURN(HeaderSigningResult signed_headers,
                        SignHeaders(to_sign, *credentials, signing));
  HttpRequest request;
  request.method = "POST";
  request.url = endpoint_.base + path;
  request.headers = std::move(to_sign.headers);
  request.headers.insert(request.headers.end(), signed_headers.headers_to_add.begin(),
                         signed_headers.headers_to_add.end());
  request.body = body;
  request.connect_timeout = options_.connect_timeout;
  request.idle_timeout = options_.read_timeout;
  request.timeout = options_.request_timeout;
  request.cancelled = llm.cancelled;
  return request;
}

LlmAttemptOutcome BedrockProvider::StreamAttempt(const LlmRequest& request, const std::string& path,
                                                 const std::string& body, const DeltaSink& sink) {
  LlmAttemptOutcome out;
  StatusOr<HttpRequest> http_request = SignedRequest(request, path, body);
  if (!http_request.ok()) {
    out.result = http_request.status();
    return out;
  }
  http_request->receive_buffer_bytes = kStreamReceiveBuffer;
  ConverseStreamReader reader(sink);
  int status = 0;
  std::string error_body;
  auto on_head = [&](int s, const HttpHeaders&) {
    status = s;
    return true;
  };
  auto on_body = [&](std::string_view chunk) {
    if (status < 200 || status > 299) {
      error_body.append(
          chunk.substr(0, kErrorBodyLimit - std::min(kErrorBodyLimit, error_body.size())));
      return true;
    }
    return reader.Feed(chunk);
  };
  StatusOr<HttpResponse> response =
      transport_.SendStreamingWithHead(*http_request, on_head, on_body);
  if (!reader.status().ok()) {  // we stopped reading: cancelled, corrupt, or an exception event
    out.result = reader.status();
    return out;
  }
  if (!response.ok()) {
    out.result = response.status().WithContext(
        reader.result().text.empty() ? "bedrock ConverseStream"
                                     : "bedrock ConverseStream interrupted mid-answer");
    return out;
  }
  if (response->status < 200 || response->status > 299) {
    return HttpFailure(response->status, response->headers, error_body);
  }
  if (Status end = reader.Finish(); !end.ok()) {
    out.result = end;
    return out;
  }
  LlmResult result = reader.result();
  if (!reader.saw_metadata()) result.usage = EstimateUsage(request, result.text);
  out.result = std::move(result);
  return out;
}

LlmAttemptOutcome BedrockProvider::ConverseAttempt(const LlmRequest& request,
                                                   const std::string& path, const std::string& body,
                                                   const DeltaSink& sink) {
  LlmAttemptOutcome out;
  StatusOr<HttpRequest> http_request = SignedRequest(request, path, body);
  if (!http_request.ok()) {
    out.result = http_request.status();
    return out;
  }
  StatusOr<HttpResponse> response = transport_.Send(*http_request);
  if (!response.ok()) {
    out.result = response.status().WithContext("bedrock Converse");
    return out;
  }
  if (response->status < 200 || response->status > 299) {
    return HttpFailure(response->status, response->headers, response->body);
  }
  StatusOr<LlmResult> result = ParseConverseResponse(response->body);
  if (result.ok() && !result->text.empty() && !sink(result->text)) {
    out.result = CancelledError("bedrock Converse: the client cancelled");
    return out;
  }
  out.result = std::move(result);
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<LlmProvider>> NewBedrockProvider(const BedrockOptions& options) {
  if (options.region.empty()) return InvalidArgumentError("bedrock: region is required");
  if (options.credentials == nullptr) {
    return InvalidArgumentError("bedrock: a credentials provider is required");
  }
  RAGD_ASSIGN_OR_RETURN(Endpoint endpoint, ResolveEndpoint(options));
  std::unique_ptr<HttpTransport> owned_transport;
  if (options.transport == nullptr) owned_transport = NewCurlTransport();
  std::unique_ptr<CircuitBreakerRegistry> owned_breakers;
  if (options.breakers == nullptr) {
    owned_breakers = std::make_unique<CircuitBreakerRegistry>(
        options.clock != nullptr ? *options.clock : Clock::Real());
  }
  return std::unique_ptr<LlmProvider>(std::make_unique<BedrockProvider>(
      options, std::move(endpoint), std::move(owned_transport), std::move(owned_breakers)));
}

}  // namespace ragd
