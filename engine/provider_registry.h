// LLM providers by bot configuration: one shared instance per provider kind (the model id travels
// in each request), with circuit breakers shared per endpoint.
//
// Thread safety: Get() may be called concurrently; providers are thread-safe themselves.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "aws/credentials.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "engine/bot_config.h"
#include "engine/embedder_registry.h"
#include "engine/llm_provider.h"
#include "engine/providers/circuit_breaker.h"

namespace ragd {

class ProviderRegistry {
 public:
  // `transport`, `credentials` and `clock` must outlive the registry; null transport or
  // credentials make the remote providers unavailable (FailedPrecondition on Get).
  ProviderRegistry(RemoteProviderOptions remote, HttpTransport* transport,
                   AwsCredentialsProvider* credentials, Clock& clock)
      : remote_(std::move(remote)),
        transport_(transport),
        credentials_(credentials),
        clock_(clock),
        breakers_(clock) {}

  StatusOr<std::shared_ptr<LlmProvider>> Get(const std::string& provider);
  // The offline answerer (also the fallback when a remote model is unavailable).
  std::shared_ptr<LlmProvider> Extractive();

 private:
  RemoteProviderOptions remote_;
  HttpTransport* transport_;
  AwsCredentialsProvider* credentials_;
  Clock& clock_;
  CircuitBreakerRegistry breakers_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<LlmProvider>> by_name_;  // guarded by mu_
};

}  // namespace ragd
