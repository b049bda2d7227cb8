// The Bedrock Runtime Converse / ConverseStream wire format: request bodies, responses, errors and
// the event stream, as the Bedrock Runtime API reference defines them. Pure functions and one
// incremental stream reader; no I/O, so each piece is testable on bytes.
//
// Thread safety: the functions are pure; a ConverseStreamReader serves one stream on one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aws/event_stream.h"
#include "core/http_client.h"
#include "core/status.h"
#include "engine/llm_provider.h"

namespace ragd {

// "/model/<modelId percent-encoded>/<operation>": an inference profile id or ARN keeps its ':' and
// '/' inside one path segment ("us.anthropic...-v1%3A0").
std::string BedrockModelPath(std::string_view model_id, std::string_view operation);

// The JSON body shared by Converse and ConverseStream: messages[{role, content[{text}]}],
// system[{text}] (omitted when empty), inferenceConfig{maxTokens, temperature, topP,
// stopSequences}. Invalid UTF-8 in the prompt is replaced, never rejected.
std::string BuildConverseBody(const LlmRequest& request);

// Reads a Converse response: output.message.content[].text joined, stopReason, usage.
// kDataLoss when the body is not such a document.
StatusOr<LlmResult> ParseConverseResponse(std::string_view body);

// Maps a Bedrock error response (status, x-amzn-ErrorType header, JSON {"message"}) to a Status:
// 400 ValidationException -> InvalidArgument, 401/403 -> PermissionDenied, 404 -> NotFound,
// 408 ModelTimeoutException -> DeadlineExceeded, 429 (ThrottlingException,
// ModelNotReadyException) -> ResourceExhausted, 424 ModelErrorException, 5xx and anything else ->
// Unavailable. The message names the error type and Bedrock's message.
Status BedrockHttpError(int status, const HttpHeaders& headers, std::string_view body);

// Maps an exception event of a ConverseStream (":exception-type") to a Status: throttlingException
// -> ResourceExhausted, validationException -> InvalidArgument, modelStreamErrorException,
// serviceUnavailableException, internalServerException and unknown ones -> Unavailable.
Status BedrockStreamException(std::string_view exception_type, std::string_view payload);

// Consumes a ConverseStream body (application/vnd.amazon.eventstream) as it arrives: decodes the
// frames, hands each contentBlockDelta's text to `on_delta`, and collects stopReason and usage.
class ConverseStreamReader {
 public:
  // `on_delta` is not owned and must outlive the reader.
  explicit ConverseStreamReader(const DeltaSink& on_delta);

  // Consumes bytes. False when reading must stop; status() then says why: Cancelled (the sink
  // returned false), DataLoss (corrupt frame or payload), or the exception event's status.
  bool Feed(std::string_view bytes);
  // At the end of the body: OK if the stream ended on a frame boundary after messageStop,
  // else DataLoss.
  Status Finish();

  const Status& status() const { return status_; }
  // The answer so far (text, stop reason, usage as reported by the metadata event).
  const LlmResult& result() const { return result_; }
  bool saw_metadata() const { return saw_metadata_; }

 private:
  Status Handle(const EventStreamMessage& message);

  const DeltaSink& on_delta_;
  EventStreamDecoder decoder_;
  Status status_;
  LlmResult result_;
  bool saw_message_stop_ = false;
  bool saw_metadata_ = false;
};

}  // namespace ragd
