// AWS event-stream codec (media type application/vnd.amazon.eventstream), the framing under Bedrock
// ConverseStream / InvokeModelWithResponseStream, S3 SelectObjectContent, Transcribe streaming.
//
// Wire format (all integers big-endian, CRC32 = IEEE/zlib):
//   u32 total_length | u32 headers_length | u32 prelude_crc (of the 8 bytes before it)
//   headers[headers_length] | payload[total_length - headers_length - 16]
//   u32 message_crc (of every byte of the frame before it)
// A header is: u8 name_length (1..255) | name | u8 type | value, where the value layout depends on
// the type (see EventStreamHeaderType). Spec: smithy docs "amazon-eventstream.rst".
//
// Errors (never exceptions):
//   kDataLoss           corrupt input: "prelude checksum mismatch", "message checksum mismatch",
//                       impossible lengths, malformed or duplicate headers, a stream that ends
//                       inside a frame (EventStreamDecoder::Finish).
//   kResourceExhausted  a declared length above EventStreamLimits (checked before any allocation).
//   kInvalidArgument    the encoder was given a message it cannot represent.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"

namespace ragd {

// Wire type ids. Booleans carry no value bytes; byte/short/int32/int64/timestamp are big-endian
// two's complement of 1/2/4/8/8 bytes; byte_array and string are a u16 length, then the bytes;
// uuid is 16 bytes.
enum class EventStreamHeaderType : uint8_t {
  kBoolTrue = 0,
  kBoolFalse = 1,
  kByte = 2,
  kShort = 3,
  kInt32 = 4,
  kInt64 = 5,
  kByteArray = 6,
  kString = 7,
  kTimestamp = 8,
  kUuid = 9,
};

// Longest byte_array / string header value (the spec's `data<1..2^15-1>`, as the AWS SDKs
// enforce it). Empty values are accepted in both directions, as the SDKs do.
inline constexpr size_t kEventStreamMaxHeaderValueBytes = 32767;

// Opaque bytes of a byte_array header (a distinct type so it cannot be confused with a string).
struct EventStreamBytes {
  std::string bytes;
  friend bool operator==(const EventStreamBytes&, const EventStreamBytes&) = default;
};

// A timestamp header: milliseconds (not seconds) since the Unix epoch, UTC.
struct EventStreamTimestamp {
  int64_t millis_since_epoch = 0;
  friend bool operator==(const EventStreamTimestamp&, const EventStreamTimestamp&) = default;
};

// A uuid header: the 16 bytes in wire (RFC 9562 network) order.
using EventStreamUuid = std::array<uint8_t, 16>;

// One alternative per wire type; `bool` covers both kBoolTrue and kBoolFalse. Strings are kept as
// the raw bytes received (UTF-8 is not validated, so re-encoding is byte-exact).
using EventStreamHeaderValue =
    std::variant<bool, int8_t, int16_t, int32_t, int64_t, EventStreamBytes, std::string,
                 EventStreamTimestamp, EventStreamUuid>;

EventStreamHeaderType HeaderTypeOf(const EventStreamHeaderValue& value);
// "bool_true", "bool_false", "byte", "short", "int32", "int64", "byte_array", "string",
// "timestamp", "uuid".
std::string_view EventStreamHeaderTypeName(EventStreamHeaderType type);

struct EventStreamHeader {
  std::string name;  // 1..255 bytes, unique within a message
  EventStreamHeaderValue value;
  friend bool operator==(const EventStreamHeader&, const EventStreamHeader&) = default;
};

struct EventStreamMessage {
  std::vector<EventStreamHeader> headers;  // in wire order
  std::string payload;                     // raw bytes

  // The header named `name` (exact, case-sensitive match), or nullptr.
  const EventStreamHeader* FindHeader(std::string_view name) const;
  // The value of the string-typed header `name`; nullptr if absent or of another type.
  const std::string* FindString(std::string_view name) const;

  friend bool operator==(const EventStreamMessage&, const EventStreamMessage&) = default;
};

// Size limits, checked against the declared lengths in a prelude before anything is allocated for
// the frame. The defaults are those of the AWS SDKs (aws-c-event-stream, aws-sdk-go): 16 MiB per
// frame and the spec's 128 KiB of encoded headers. (The spec says clients should not enforce its
// limits, and allows 24 MiB payloads; ragd bounds them anyway because a length read from the
// network must never size an allocation unchecked. Raise the limit if a service needs more.)
struct EventStreamLimits {
  uint32_t max_message_bytes = 16 * 1024 * 1024;  // total_length, prelude and CRCs included
  uint32_t max_headers_bytes = 128 * 1024;        // headers_length
};

inline constexpr size_t kEventStreamPreludeBytes = 12;     // total_length, headers_length, crc
inline constexpr size_t kEventStreamMinMessageBytes = 16;  // prelude + message crc

// CRC32 (IEEE 802.3 polynomial, as zlib), continuing from `crc` (0 to start).
uint32_t EventStreamCrc32(std::string_view data, uint32_t crc = 0);

// Encodes one frame. Fails (kInvalidArgument) on an empty, over-long (>255 bytes) or duplicate
// header name, a byte_array/string value over kEventStreamMaxHeaderValueBytes, or a frame over
// `limits`. Thread-safe (pure function).
StatusOr<std::string> EncodeEventStreamMessage(const EventStreamMessage& message,
                                               const EventStreamLimits& limits = {});

// Validates the prelude at the start of `prelude` (only its first 12 bytes are read; fewer is
// kDataLoss) and returns the frame's total_length. Checks, in order: the prelude CRC, total_length
// >= 16, both lengths against `limits` (kResourceExhausted), headers_length fits in the frame. This
// is all a reader needs to know how many bytes to wait for, without trusting them.
StatusOr<uint32_t> CheckEventStreamPrelude(std::string_view prelude,
                                           const EventStreamLimits& limits = {});

// Decodes exactly one complete frame (`frame.size()` must equal its total_length). Checks, in
// order: the prelude (as CheckEventStreamPrelude), the frame size, the message CRC, the headers.
// Thread-safe (pure function).
StatusOr<EventStreamMessage> DecodeEventStreamFrame(std::string_view frame,
                                                    const EventStreamLimits& limits = {});

// Incremental decoder for a byte stream of frames, e.g. an HTTP response body delivered in chunks.
// Bytes may be split at any point. The prelude is validated as soon as its 12 bytes have arrived,
// so a corrupt or oversized length fails at once instead of waiting for data that never comes.
//
// Memory: bytes of at most one incomplete frame are buffered (never more than its declared
// total_length, itself <= limits.max_message_bytes), and the buffer grows with the bytes actually
// received, not with the declared length. Complete frames found whole inside one Feed() chunk are
// decoded from the chunk without copying. Decoded messages wait in a queue until taken by Next();
// each takes memory proportional to its frame (an EventStreamHeader per >= 3 wire bytes).
//
// After the first error the decoder is failed for good: every later Feed() and Finish() returns
// that error (the spec requires terminating the stream on a checksum failure). Messages decoded
// before the error stay available through Next().
//
// Thread safety: none; use one decoder per stream from one thread at a time. Movable.
class EventStreamDecoder {
 public:
  explicit EventStreamDecoder(EventStreamLimits limits = {});

  // Consumes `bytes` and queues every message they complete. Returns the decoder's error, if any.
  Status Feed(std::string_view bytes);
  // Takes the oldest decoded message, or nullopt if none is ready.
  std::optional<EventStreamMessage> Next();
  // Call at end of stream: OK if it ended on a frame boundary; kDataLoss if a frame was cut off;
  // otherwise the sticky error.
  Status Finish() const;

  const Status& status() const { return status_; }
  // Bytes of the incomplete frame currently held (0 on a frame boundary).
  size_t buffered_bytes() const { return partial_.size(); }

 private:
  Status Fail(Status status);
  // Decodes one complete frame and queues the message.
  Status Emit(std::string_view frame);

  EventStreamLimits limits_;
  std::string partial_;        // the incomplete frame's bytes so far, prelude included
  uint32_t frame_length_ = 0;  // its validated total_length; 0 while its prelude is incomplete
  std::deque<EventStreamMessage> ready_;
  Status status_;  // sticky
};

// How AWS services label a message (smithy "Amazon Event Semantics").
enum class EventStreamMessageType {
  kEvent,      // ":message-type" = "event": a modeled event, named by ":event-type"
  kException,  // "exception": a modeled error, named by ":exception-type"; payload describes it
  kError,      // "error": an unmodeled error with ":error-code" and ":error-message"
};

// The service-level labels of one message; the payload stays in the EventStreamMessage.
struct EventStreamEnvelope {
  EventStreamMessageType message_type = EventStreamMessageType::kEvent;
  std::string event_type;      // kEvent: e.g. "messageStart", "contentBlockDelta", "metadata"
  std::string exception_type;  // kException: e.g. "throttlingException", "validationException"
  std::string error_code;      // kError
  std::string error_message;   // kError; empty if the header is absent
  std::string content_type;    // ":content-type" (e.g. "application/json"); empty if absent
};

// Reads the envelope headers. Fails (kInvalidArgument) if ":message-type" is missing, not a string
// or unknown, or if the header its type requires (":event-type", ":exception-type",
// ":error-code") is missing or not a string. Thread-safe (pure function).
StatusOr<EventStreamEnvelope> InterpretEventStreamMessage(const EventStreamMessage& message);

}  // namespace ragd
