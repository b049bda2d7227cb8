// LlmProvider for Amazon Bedrock Runtime: ConverseStream (default) or Converse, SigV4-signed
// (service "bedrock"), with retries and a circuit breaker (engine/providers/resilience.h).
//
//   POST {endpoint}/model/{modelId}/converse-stream   application/vnd.amazon.eventstream back
//   POST {endpoint}/model/{modelId}/converse          application/json back
//
// endpoint defaults to https://bedrock-runtime.{region}.amazonaws.com. modelId may be a model id,
// an inference profile id ("us.anthropic.claude-3-5-haiku-20241022-v1:0") or an ARN; it is
// percent-encoded into one path segment.
//
// Errors (beyond LlmProvider's list): PermissionDenied (403: bad signature, unknown key, no access
// to the model), NotFound (404: unknown model), DataLoss (corrupt or truncated event stream).
// Credentials are fetched from the provider on every attempt (it caches and refreshes them).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "aws/credentials.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "core/status.h"
#include "engine/llm_provider.h"
#include "engine/providers/circuit_breaker.h"
#include "engine/providers/resilience.h"

namespace ragd {

struct BedrockOptions {
  std::string region;  // required, e.g. "us-east-1"
  // Empty: https://bedrock-runtime.{region}.amazonaws.com. Otherwise "scheme://host[:port]" (a
  // VPC endpoint, or a mock in tests); the Host header and signature follow it.
  std::string endpoint;
  // Required; not owned, must outlive the provider.
  AwsCredentialsProvider* credentials = nullptr;
  // Not owned, must outlive the provider. Null: the provider makes its own libcurl transport.
  HttpTransport* transport = nullptr;
  // Signing time, backoff sleeps and the breaker's time. Not owned. Null: Clock::Real().
  Clock* clock = nullptr;
  // true: ConverseStream, deltas as they are generated. false: Converse, one delta at the end.
  bool streaming = true;
  std::chrono::milliseconds connect_timeout{5000};
  // Abort when no byte arrives for this long (curl counts whole seconds, rounding up).
  std::chrono::milliseconds read_timeout{30000};
  // Whole exchange, first byte to last; zero means none.
  std::chrono::milliseconds request_timeout{300000};
  ResilienceOptions resilience;
  // Breakers shared by providers of the same endpoint. Not owned. Null: one of the provider's own.
  CircuitBreakerRegistry* breakers = nullptr;
};

// Fails with InvalidArgument when region or credentials are missing or the endpoint is malformed.
StatusOr<std::unique_ptr<LlmProvider>> NewBedrockProvider(const BedrockOptions& options);

}  // namespace ragd
