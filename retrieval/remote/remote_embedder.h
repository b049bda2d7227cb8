// Remote embedders: Amazon Bedrock (Titan Text Embeddings V2, Cohere Embed v3) over InvokeModel,
// and any OpenAI-compatible /v1/embeddings server (Ollama, vLLM, llama.cpp server, TEI).
//
//   std::unique_ptr<HttpTransport> http = NewCurlTransport();
//   AwsCredentialChain chain(ProcessEnvLookup(), *http, Clock::Real());
//   BedrockEmbedderOptions options;
//   options.model_id = "cohere.embed-english-v3";
//   options.region = "eu-west-1";
//   auto embedder = NewBedrockEmbedder(options, *http, Clock::Real(), chain);
//   auto vectors = (*embedder)->Embed(texts, EmbedPurpose::kDocument);  // n * 1024 floats
//
// Two factories, one per wire protocol, because their options have little in common (region and
// credentials versus base URL and API key). Both return the plain Embedder interface.
//
// Every row returned is scaled to unit L2 norm on our side, whatever the server promised (Titan
// normalises on request; Cohere v3 and most OpenAI-compatible servers do not guarantee it).
//
// Retries: HTTP 429, 408, 5xx, Bedrock's ThrottlingException / ModelNotReadyException /
// ServiceUnavailableException / InternalServerException, and transport failures (could not
// connect, connection reset, timeout) are retried up to RemoteRetryOptions::max_attempts attempts
// in all, with exponential backoff and "equal jitter" (the k-th retry waits a random time in
// [step/2, step], step = min(max_delay, base_delay * 2^k); a Retry-After header in seconds, when
// present, replaces the step, still capped at max_delay). Each Bedrock attempt fetches credentials
// and is signed afresh. When retries run out, throttling becomes kResourceExhausted and everything
// else kUnavailable, both retryable by the caller later (the Embedder contract).
//
// Errors that are not retried: Bedrock ValidationException (and any other 400) ->
// kInvalidArgument carrying Bedrock's message; 403 (AccessDeniedException, bad signature) ->
// kPermissionDenied; 401 -> kUnauthenticated; 404 (model not available in the region, unknown
// model on the server) -> kNotFound; ServiceQuotaExceededException -> kResourceExhausted;
// ModelErrorException (424) -> kUnavailable; a response that does not parse, has the wrong number
// of rows, or non-finite/zero vectors -> kDataLoss; an OpenAI-compatible server whose vector length
// differs from the configured or previously seen dimension -> kFailedPrecondition (the model
// behind the URL changed: the index built with it is no longer comparable).
//
// Secrets: no Status message or log line contains a credential, API key or signature.
//
// Thread safety: the returned embedders allow concurrent Embed calls. Ownership: the transport,
// clock and credentials provider are borrowed and must outlive the embedder; they must allow
// concurrent use.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "aws/credentials.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "core/status.h"
#include "retrieval/embedder.h"

namespace ragd {

// Waits between retries. Tests inject one that records the delays and returns at once.
using SleepFunction = std::function<void(std::chrono::milliseconds)>;

struct RemoteRetryOptions {
  // Attempts in all, the first included (1 = no retry).
  int max_attempts = 4;
  std::chrono::milliseconds base_delay{250};
  std::chrono::milliseconds max_delay{8000};
  // Empty: Clock::SleepFor of the clock given to the factory.
  SleepFunction sleep;
};

// --- Amazon Bedrock --------------------------------------------------------------------------

inline constexpr char kTitanEmbedV2[] = "amazon.titan-embed-text-v2:0";
inline constexpr char kCohereEmbedEnglishV3[] = "cohere.embed-english-v3";
inline constexpr char kCohereEmbedMultilingualV3[] = "cohere.embed-multilingual-v3";

// Cohere Embed v3 on Bedrock: at most 96 texts per request, 2,048 characters per text.
inline constexpr int kCohereMaxTexts = 96;
inline constexpr int kCohereMaxChars = 2048;

struct BedrockEmbedderOptions {
  // kTitanEmbedV2, kCohereEmbedEnglishV3 or kCohereEmbedMultilingualV3.
  std::string model_id = kTitanEmbedV2;
  std::string region = "us-east-1";
  // Empty: https://bedrock-runtime.<region>.amazonaws.com. Otherwise "scheme://host[:port]" (a
  // VPC endpoint, or a loopback fake in tests); requests are still signed for `region`.
  std::string endpoint;
  // Titan only: 256, 512 or 1024. Cohere v3 vectors are always 1024-dimensional.
  int dimensions = 1024;
  // Titan embeds one text per InvokeModel call, so a batch fans out over this many concurrent
  // requests; for Cohere it bounds concurrent requests of up to 96 texts each. 1 = sequential.
  int max_concurrency = 4;
  RemoteRetryOptions retry;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};
};

// Titan: request {"inputText", "dimensions", "normalize": true}, one text per call; id
// "bedrock:amazon.titan-embed-text-v2:0:<dimensions>"; max_batch() 64.
// Cohere: request {"texts", "input_type": "search_document" | "search_query", "truncate": "END"},
// up to 96 texts per call (larger batches are split); texts longer than 2,048 characters are cut
// at a character boundary first (Bedrock refuses them; truncate END would drop the end anyway); id
// "bedrock:<model_id>"; max_batch() 96.
// kInvalidArgument for an unsupported model, a bad dimension, region or endpoint.
StatusOr<std::unique_ptr<Embedder>> NewBedrockEmbedder(const BedrockEmbedderOptions& options,
                                                       HttpTransport& transport, Clock& clock,
                                                       AwsCredentialsProvider& credentials);

// --- OpenAI-compatible /v1/embeddings --------------------------------------------------------

struct OpenAiEmbedderOptions {
  // "http://127.0.0.1:11434" -> POST http://127.0.0.1:11434/v1/embeddings. A base URL that
  // already ends in "/v1" (the OpenAI client convention) is not given a second one.
  std::string base_url;
  std::string model;  // sent as "model"; also names the embedder: "openai:<model>"
  // Sent as "Authorization: Bearer <api_key>" when non-empty.
  std::string api_key;
  // 0: learn it from the first response (dim() returns 0 until then). Either way every response
  // is checked against it.
  int dim = 0;
  // Texts per request; larger Embed calls are split.
  int batch_size = 64;
  // Concurrent requests per Embed call (local servers usually batch better than they parallelise).
  int max_concurrency = 1;
  RemoteRetryOptions retry;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{60000};
};

// Request {"model", "input": [texts]}; rows are taken from data[].embedding in the order of
// data[].index (servers may reorder; each index must appear exactly once). EmbedPurpose is not
// sent (the protocol has no such field). kInvalidArgument for a bad URL, empty model or batch size.
StatusOr<std::unique_ptr<Embedder>> NewOpenAiEmbedder(const OpenAiEmbedderOptions& options,
                                                      HttpTransport& transport, Clock& clock);

}  // namespace ragd
