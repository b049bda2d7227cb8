// InterpretEventStreamMessage: the smithy "Amazon Event Semantics" labels of a message.
#include <string>
#include <variant>

#include "aws/event_stream.h"

namespace ragd {

StatusOr<EventStreamEnvelope> InterpretEventStreamMessage(const EventStreamMessage& message) {
  // Returns the string header `name`, or an error naming it.
  auto required = [&](std::string_view name) -> StatusOr<std::string> {
    const EventStreamHeader* h = message.FindHeader(name);
    if (h == nullptr) {
      return InvalidArgumentError("event stream: message has no " + std::string(name) + " header");
    }
    const std::string* s = std::get_if<std::string>(&h->value);
    if (s == nullptr) {
      return InvalidArgumentError("event stream: header " + std::string(name) + " is a " +
                                  std::string(EventStreamHeaderTypeName(HeaderTypeOf(h->value))) +
                                  ", not a string");
    }
    return *s;
  };
  EventStreamEnvelope envelope;
  RAGD_ASSIGN_OR_RETURN(const std::string message_type, required(":message-type"));
  if (message_type == "event") {
    envelope.message_type = EventStreamMessageType::kEvent;
    RAGD_ASSIGN_OR_RETURN(envelope.event_type, required(":event-type"));
  } else if (message_type == "exception") {
    envelope.message_type = EventStreamMessageType::kException;
    RAGD_ASSIGN_OR_RETURN(envelope.exception_type, required(":exception-type"));
  } else if (message_type == "error") {
    envelope.message_type = EventStreamMessageType::kError;
    RAGD_ASSIGN_OR_RETURN(envelope.error_code, required(":error-code"));
    if (const std::string* m = message.FindString(":error-message")) envelope.error_message = *m;
  } else {
    return InvalidArgumentError("event stream: unknown :message-type '" + message_type + "'");
  }
  if (const std::string* ct = message.FindString(":content-type")) envelope.content_type = *ct;
  return envelope;
}

}  // namespace ragd
