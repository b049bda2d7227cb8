// Frame encoding and decoding. The incremental stream decoder is in event_stream_decoder.cc, the
// envelope interpretation in event_stream_envelope.cc.
#include "aws/event_stream.h"

#include <zlib.h>

#include <algorithm>
#include <string>
#include <type_traits>

namespace ragd {
namespace {

constexpr size_t kCrcBytes = 4;

template <typename T>
T LoadBigEndian(const char* p) {
  using U = std::make_unsigned_t<T>;
  U v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<U>((v << 8) | static_cast<uint8_t>(p[i]));
  return static_cast<T>(v);
}

template <typename T>
void AppendBigEndian(T value, std::string* out) {
  using U = std::make_unsigned_t<T>;
  const U v = static_cast<U>(value);
  for (size_t i = sizeof(T); i-- > 0;) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Encoded size of one header's type byte plus value.
size_t ValueWireSize(const EventStreamHeaderValue& value) {
  switch (HeaderTypeOf(value)) {
    case EventStreamHeaderType::kBoolTrue:
    case EventStreamHeaderType::kBoolFalse:
      return 1;
    case EventStreamHeaderType::kByte:
      return 2;
    case EventStreamHeaderType::kShort:
      return 3;
    case EventStreamHeaderType::kInt32:
      return 5;
    case EventStreamHeaderType::kInt64:
    case EventStreamHeaderType::kTimestamp:
      return 9;
    case EventStreamHeaderType::kByteArray:
      return 3 + std::get<EventStreamBytes>(value).bytes.size();
    case EventStreamHeaderType::kString:
      return 3 + std::get<std::string>(value).size();
    case EventStreamHeaderType::kUuid:
      return 17;
  }
  return 0;
}

void AppendValue(const EventStreamHeaderValue& value, std::string* out) {
  const EventStreamHeaderType type = HeaderTypeOf(value);
  out->push_back(static_cast<char>(type));
  switch (type) {
    case EventStreamHeaderType::kBoolTrue:
    case EventStreamHeaderType::kBoolFalse:
      break;
    case EventStreamHeaderType::kByte:
      AppendBigEndian(std::get<int8_t>(value), out);
      break;
    case EventStreamHeaderType::kShort:
      AppendBigEndian(std::get<int16_t>(value), out);
      break;
    case EventStreamHeaderType::kInt32:
      AppendBigEndian(std::get<int32_t>(value), out);
      break;
    case EventStreamHeaderType::kInt64:
      AppendBigEndian(std::get<int64_t>(value), out);
      break;
    case EventStreamHeaderType::kTimestamp:
      AppendBigEndian(std::get<EventStreamTimestamp>(value).millis_since_epoch, out);
      break;
    case EventStreamHeaderType::kByteArray:
    case EventStreamHeaderType::kString: {
      const std::string& bytes = type == EventStreamHeaderType::kString
                                     ? std::get<std::string>(value)
                                     : std::get<EventStreamBytes>(value).bytes;
      AppendBigEndian(static_cast<uint16_t>(bytes.size()), out);
      out->append(bytes);
      break;
    }
    case EventStreamHeaderType::kUuid:
      for (uint8_t b : std::get<EventStreamUuid>(value)) out->push_back(static_cast<char>(b));
      break;
  }
}

Status CorruptHeader(size_t index, std::string_view what) {
  return DataLossError("event stream: header #" + std::to_string(index) + ": " + std::string(what));
}

// Parses the headers section of a frame whose checksums have been verified.
Status ParseHeaders(std::string_view section, std::vector<EventStreamHeader>* out) {
  size_t pos = 0;
  auto remaining = [&] { return section.size() - pos; };
  while (pos < section.size()) {
    const size_t index = out->size();
    const size_t name_length = static_cast<uint8_t>(section[pos++]);
    if (name_length == 0) return CorruptHeader(index, "empty header name");
    // The name must leave room for at least the type byte.
    if (remaining() < name_length + 1) return CorruptHeader(index, "name overruns headers section");
    EventStreamHeader header;
    header.name.assign(section.substr(pos, name_length));
    pos += name_length;
    const uint8_t type = static_cast<uint8_t>(section[pos++]);
    const char* p = section.data() + pos;
    size_t value_bytes = 0;
    switch (static_cast<EventStreamHeaderType>(type)) {
      case EventStreamHeaderType::kBoolTrue:
        header.value = true;
        break;
      case EventStreamHeaderType::kBoolFalse:
        header.value = false;
        break;
      case EventStreamHeaderType::kByte:
        value_bytes = 1;
        break;
      case EventStreamHeaderType::kShort:
        value_bytes = 2;
        break;
      case EventStreamHeaderType::kInt32:
        value_bytes = 4;
        break;
      case EventStreamHeaderType::kInt64:
      case EventStreamHeaderType::kTimestamp:
        value_bytes = 8;
        break;
      case EventStreamHeaderType::kByteArray:
      case EventStreamHeaderType::kString:
        if (remaining() < 2) return CorruptHeader(index, "value length overruns headers section");
        value_bytes = LoadBigEndian<uint16_t>(p);
        if (value_bytes > kEventStreamMaxHeaderValueBytes) {
          return CorruptHeader(index, "value longer than 32767 bytes");
        }
        pos += 2;
        p += 2;
        break;
      case EventStreamHeaderType::kUuid:
        value_bytes = 16;
        break;
      default:
        return CorruptHeader(index, "unknown value type " + std::to_string(type));
    }
    if (remaining() < value_bytes) return CorruptHeader(index, "value overruns headers section");
    switch (static_cast<EventStreamHeaderType>(type)) {
      case EventStreamHeaderType::kByte:
        header.value = LoadBigEndian<int8_t>(p);
        break;
      case EventStreamHeaderType::kShort:
        header.value = LoadBigEndian<int16_t>(p);
        break;
      case EventStreamHeaderType::kInt32:
        header.value = LoadBigEndian<int32_t>(p);
        break;
      case EventStreamHeaderType::kInt64:
        header.value = LoadBigEndian<int64_t>(p);
        break;
      case EventStreamHeaderType::kTimestamp:
        header.value = EventStreamTimestamp{LoadBigEndian<int64_t>(p)};
        break;
      case EventStreamHeaderType::kByteArray:
        header.value = EventStreamBytes{std::string(p, value_bytes)};
        break;
      case EventStreamHeaderType::kString:
        header.value = std::string(p, value_bytes);
        break;
      case EventStreamHeaderType::kUuid: {
        EventStreamUuid uuid;
        std::copy(p, p + 16, uuid.begin());
        header.value = uuid;
        break;
      }
      default:
        break;  // booleans: done above
    }
    pos += value_bytes;
    out->push_back(std::move(header));
  }
  return OkStatus();
}

// Name of the first header that appears twice, if any.
std::optional<std::string> FindDuplicateName(const std::vector<EventStreamHeader>& headers) {
  std::vector<std::string_view> names;
  names.reserve(headers.size());
  for (const EventStreamHeader& h : headers) names.push_back(h.name);
  std::sort(names.begin(), names.end());
  auto it = std::adjacent_find(names.begin(), names.end());
  if (it == names.end()) return std::nullopt;
  return std::string(*it);
}

}  // namespace

EventStreamHeaderType HeaderTypeOf(const EventStreamHeaderValue& value) {
  if (const bool* b = std::get_if<bool>(&value)) {
    return *b ? EventStreamHeaderType::kBoolTrue : EventStreamHeaderType::kBoolFalse;
  }
  // Variant alternatives 1..8 are wire types 2..9.
  return static_cast<EventStreamHeaderType>(value.index() + 1);
}

std::string_view EventStreamHeaderTypeName(EventStreamHeaderType type) {
  switch (type) {
    case EventStreamHeaderType::kBoolTrue:
      return "bool_true";
    case EventStreamHeaderType::kBoolFalse:
      return "bool_false";
    case EventStreamHeaderType::kByte:
      return "byte";
    case EventStreamHeaderType::kShort:
      return "short";
    case EventStreamHeaderType::kInt32:
      return "int32";
    case EventStreamHeaderType::kInt64:
      return "int64";
    case EventStreamHeaderType::kByteArray:
      return "byte_array";
    case EventStreamHeaderType::kString:
      return "string";
    case EventStreamHeaderType::kTimestamp:
      return "timestamp";
    case EventStreamHeaderType::kUuid:
      return "uuid";
  }
  return "unknown";
}

const EventStreamHeader* EventStreamMessage::FindHeader(std::string_view name) const {
  for (const EventStreamHeader& h : headers) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

const std::string* EventStreamMessage::FindString(std::string_view name) const {
  const EventStreamHeader* h = FindHeader(name);
  return h == nullptr ? nullptr : std::get_if<std::string>(&h->value);
}

uint32_t EventStreamCrc32(std::string_view data, uint32_t crc) {
  return static_cast<uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

StatusOr<std::string> EncodeEventStreamMessage(const EventStreamMessage& message,
                                               const EventStreamLimits& limits) {
  size_t headers_length = 0;
  for (const EventStreamHeader& h : message.headers) {
    if (h.name.empty() || h.name.size() > 255) {
      return InvalidArgumentError("event stream: header name must be 1..255 bytes, got " +
                                  std::to_string(h.name.size()));
    }
    if (const auto* s = std::get_if<std::string>(&h.value);
        s != nullptr && s->size() > kEventStreamMaxHeaderValueBytes) {
      return InvalidArgumentError("event stream: string header '" + h.name + "' over 32767 bytes");
    }
    if (const auto* b = std::get_if<EventStreamBytes>(&h.value);
        b != nullptr && b->bytes.size() > kEventStreamMaxHeaderValueBytes) {
      return InvalidArgumentError("event stream: byte_array header '" + h.name +
                                  "' over 32767 bytes");
    }
    headers_length += 1 + h.name.size() + ValueWireSize(h.value);
  }
  if (auto dup = FindDuplicateName(message.headers)) {
    return InvalidArgumentError("event stream: duplicate header '" + *dup + "'");
  }
  if (headers_length > limits.max_headers_bytes) {
    return InvalidArgumentError("event stream: headers take " + std::to_string(headers_length) +
                                " bytes, limit " + std::to_string(limits.max_headers_bytes));
  }
  const size_t total = kEventStreamMinMessageBytes + headers_length + message.payload.size();
  if (total > limits.max_message_bytes) {
    return InvalidArgumentError("event stream: message takes " + std::to_string(total) +
                                " bytes, limit " + std::to_string(limits.max_message_bytes));
  }

  std::string out;
  out.reserve(total);
  AppendBigEndian(static_cast<uint32_t>(total), &out);
  AppendBigEndian(static_cast<uint32_t>(headers_length), &out);
  AppendBigEndian(EventStreamCrc32(out), &out);
  for (const EventStreamHeader& h : message.headers) {
    out.push_back(static_cast<char>(h.name.size()));
    out.append(h.name);
    AppendValue(h.value, &out);
  }
  out.append(message.payload);
  AppendBigEndian(EventStreamCrc32(out), &out);
  return out;
}

StatusOr<uint32_t> CheckEventStreamPrelude(std::string_view prelude,
                                           const EventStreamLimits& limits) {
  if (prelude.size() < kEventStreamPreludeBytes) {
    return DataLossError("event stream: " + std::to_string(prelude.size()) +
                         " bytes are shorter than a prelude");
  }
  const uint32_t total = LoadBigEndian<uint32_t>(prelude.data());
  const uint32_t headers_length = LoadBigEndian<uint32_t>(prelude.data() + 4);
  const uint32_t crc = LoadBigEndian<uint32_t>(prelude.data() + 8);
  const uint32_t computed = EventStreamCrc32(prelude.substr(0, 8));
  if (crc != computed) {
    return DataLossError("event stream: prelude checksum mismatch (frame says " +
                         std::to_string(crc) + ", computed " + std::to_string(computed) + ")");
  }
  if (total < kEventStreamMinMessageBytes) {
    return DataLossError("event stream: total_length " + std::to_string(total) +
                         " is below the 16-byte minimum");
  }
  if (total > limits.max_message_bytes) {
    return ResourceExhaustedError("event stream: total_length " + std::to_string(total) +
                                  " exceeds the limit of " +
                                  std::to_string(limits.max_message_bytes));
  }
  if (headers_length > limits.max_headers_bytes) {
    return ResourceExhaustedError("event stream: headers_length " + std::to_string(headers_length) +
                                  " exceeds the limit of " +
                                  std::to_string(limits.max_headers_bytes));
  }
  if (headers_length > total - kEventStreamMinMessageBytes) {
    return DataLossError("event stream: headers_length " + std::to_string(headers_length) +
                         " does not fit in total_length " + std::to_string(total));
  }
  return total;
}

StatusOr<EventStreamMessage> DecodeEventStreamFrame(std::string_view frame,
                                                    const EventStreamLimits& limits) {
  RAGD_ASSIGN_OR_RETURN(const uint32_t total, CheckEventStreamPrelude(frame, limits));
  const uint32_t headers_length = LoadBigEndian<uint32_t>(frame.data() + 4);
  if (frame.size() != total) {
    return DataLossError("event stream: frame has " + std::to_string(frame.size()) +
                         " bytes but declares " + std::to_string(total));
  }
  const uint32_t message_crc = LoadBigEndian<uint32_t>(frame.data() + total - kCrcBytes);
  const uint32_t computed_message_crc = EventStreamCrc32(frame.substr(0, total - kCrcBytes));
  if (message_crc != computed_message_crc) {
    return DataLossError("event stream: message checksum mismatch (frame says " +
                         std::to_string(message_crc) + ", computed " +
                         std::to_string(computed_message_crc) + ")");
  }
  EventStreamMessage message;
  RAGD_RETURN_IF_ERROR(
      ParseHeaders(frame.substr(kEventStreamPreludeBytes, headers_length), &message.headers));
  if (auto dup = FindDuplicateName(message.headers)) {
    return DataLossError("event stream: duplicate header '" + *dup + "'");
  }
  const size_t payload_offset = kEventStreamPreludeBytes + headers_length;
  message.payload.assign(frame.substr(payload_offset, total - kCrcBytes - payload_offset));
  return message;
}

}  // namespace ragd
