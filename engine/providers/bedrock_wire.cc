#include "engine/providers/bedrock_wire.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "aws/uri_encode.h"
#include "core/json_access.h"

namespace ragd {
namespace {

using nlohmann::json;

// The member `key` of `object` if it is a string.

LlmUsage ReadUsage(const json& usage) {
  return LlmUsage{JsonIntMember(usage, "inputTokens"), JsonIntMember(usage, "outputTokens")};
}

// Bedrock's error message lives in "message" (sometimes "Message").
std::string ErrorMessage(const json& body) {
  if (auto m = JsonStringMember(body, "message")) return *m;
  if (auto m = JsonStringMember(body, "Message")) return *m;
  return "";
}

// "ThrottlingException:http://internal.amazon.com/coral/..." -> "ThrottlingException".
std::string ShortErrorType(std::string type) {
  if (size_t colon = type.find(':'); colon != std::string::npos) type.resize(colon);
  if (size_t hash = type.rfind('#'); hash != std::string::npos) type.erase(0, hash + 1);
  return type;
}

}  // namespace

std::string BedrockModelPath(std::string_view model_id, std::string_view operation) {
  return "/model/" + UriEncode(model_id) + "/" + std::string(operation);
}

std::string BuildConverseBody(const LlmRequest& request) {
  json messages = json::array();
  for (const LlmMessage& m : request.messages) {
    messages.push_back({{"role", m.role == LlmMessage::Role::kUser ? "user" : "assistant"},
                        {"content", json::array({{{"text", m.text}}})}});
  }
  json body = {{"messages", std::move(messages)}};
  if (!request.system.empty()) body["system"] = json::array({{{"text", request.system}}});
  const GenerationConfig& g = request.generation;
  json config = {{"maxTokens", g.max_tokens}, {"temperature", g.temperature}, {"topP", g.top_p}};
  if (!g.stop_sequences.empty()) config["stopSequences"] = g.stop_sequences;
  body["inferenceConfig"] = std::move(config);
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

StatusOr<LlmResult> ParseConverseResponse(std::string_view body) {
  const json doc = json::parse(body, nullptr, false);
  const json& content = JsonMember(JsonMember(JsonMember(doc, "output"), "message"), "content");
  if (doc.is_discarded() || !content.is_array()) {
    return DataLossError("bedrock converse: response has no output.message.content");
  }
  LlmResult result;
  for (const json& block : content) {
    if (auto text = JsonStringMember(block, "text")) result.text += *text;
  }
  result.stop_reason = JsonStringMember(doc, "stopReason").value_or("");
  result.usage = ReadUsage(JsonMember(doc, "usage"));
  return result;
}

Status BedrockHttpError(int status, const HttpHeaders& headers, std::string_view body) {
  const json doc = json::parse(body, nullptr, false);
  std::string type = ShortErrorType(FindHeader(headers, "x-amzn-errortype").value_or(""));
  if (type.empty()) type = ShortErrorType(JsonStringMember(doc, "__type").value_or(""));
  std::string message = doc.is_discarded() ? "" : ErrorMessage(doc);
  if (message.empty() && doc.is_discarded()) message = std::string(body.substr(0, 200));
  const std::string text = "bedrock: HTTP " + std::to_string(status) +
                           (type.empty() ? "" : " " + type) +
                           (message.empty() ? "" : ": " + message);
  if (type == "ThrottlingException" || type == "ModelNotReadyException" || status == 429) {
    return ResourceExhaustedError(text);
  }
  if (status == 400) return InvalidArgumentError(text);
  if (status == 401 || status == 403) return PermissionDeniedError(text);
  if (status == 404) return NotFoundError(text);
  if (status == 408) return DeadlineExceededError(text);
  return UnavailableError(text);
}

Status BedrockStreamException(std::string_view exception_type, std::string_view payload) {
  const json doc = json::parse(payload, nullptr, false);
  const std::string message = doc.is_discarded() ? "" : ErrorMessage(doc);
  const std::string text =
      "bedrock stream: " + std::string(exception_type) + (message.empty() ? "" : ": " + message);
  if (exception_type == "throttlingException") return ResourceExhaustedError(text);
  if (exception_type == "validationException") return InvalidArgumentError(text);
  return UnavailableError(text);
}

ConverseStreamReader::ConverseStreamReader(const DeltaSink& on_delta) : on_delta_(on_delta) {}

bool ConverseStreamReader::Feed(std::string_view bytes) {
  if (!status_.ok()) return false;
  const Status fed = decoder_.Feed(bytes);
  // Messages decoded before a corrupt frame still count: the user should get what was sent.
  while (std::optional<EventStreamMessage> message = decoder_.Next()) {
    status_ = Handle(*message);
    if (!status_.ok()) return false;
  }
  if (!fed.ok()) {
    status_ = DataLossError("bedrock stream: " + fed.message());
    return false;
  }
  return true;
}

Status ConverseStreamReader::Finish() {
  if (!status_.ok()) return status_;
  if (Status end = decoder_.Finish(); !end.ok()) {
    return DataLossError("bedrock stream: " + end.message());
  }
  if (!saw_message_stop_) return DataLossError("bedrock stream: ended before messageStop");
  return OkStatus();
}

Status ConverseStreamReader::Handle(const EventStreamMessage& message) {
  StatusOr<EventStreamEnvelope> envelope = InterpretEventStreamMessage(message);
  if (!envelope.ok()) return DataLossError(envelope.status().message());
  switch (envelope->message_type) {
    case EventStreamMessageType::kException:
      return BedrockStreamException(envelope->exception_type, message.payload);
    case EventStreamMessageType::kError:
      return UnavailableError("bedrock stream: error " + envelope->error_code + ": " +
                              envelope->error_message);
    case EventStreamMessageType::kEvent:
      break;
  }
  const std::string& type = envelope->event_type;
  if (type != "contentBlockDelta" && type != "messageStop" && type != "metadata") {
    return OkStatus();  // messageStart, contentBlockStart/Stop carry nothing a text answer needs
  }
  const json payload = json::parse(message.payload, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) {
    return DataLossError("bedrock stream: " + type + " payload is not a JSON object");
  }
  if (type == "contentBlockDelta") {
    // Tool-use and reasoning deltas have no "text"; a text answer skips them.
    std::optional<std::string> text = JsonStringMember(JsonMember(payload, "delta"), "text");
    if (!text || text->empty()) return OkStatus();
    result_.text += *text;
    if (on_delta_ && !on_delta_(*text)) {
      return CancelledError("bedrock stream: the client cancelled");
    }
  } else if (type == "messageStop") {
    saw_message_stop_ = true;
    result_.stop_reason = JsonStringMember(payload, "stopReason").value_or("");
  } else {
    saw_metadata_ = true;
    result_.usage = ReadUsage(JsonMember(payload, "usage"));
  }
  return OkStatus();
}

}  // namespace ragd
