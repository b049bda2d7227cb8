#include "tests/aws/event_stream_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

#include "core/crypto.h"

namespace ragd::es_test {

std::string SharedDir() {
  const char* env = std::getenv("RAGD_SHARED_DIR");
  if (env != nullptr && *env != '\0') return env;
  return RAGD_SHARED_DIR;
}

std::string GoTestdataDir() { return SharedDir() + "/testdata/eventstream/aws-sdk-go-testdata"; }

std::string ReadFileOrFail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path << " (set RAGD_SHARED_DIR to the shared directory)";
    return "";
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool Base64Decode(std::string_view in, std::string* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      break;
    } else {
      return false;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

std::string Base64(std::string_view bytes) { return Base64Encode(bytes); }

std::string U32Bytes(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string RawFrame(std::string_view headers, std::string_view payload) {
  std::string f = U32Bytes(static_cast<uint32_t>(16 + headers.size() + payload.size())) +
                  U32Bytes(static_cast<uint32_t>(headers.size()));
  f += U32Bytes(EventStreamCrc32(f));
  f.append(headers).append(payload);
  return f + U32Bytes(EventStreamCrc32(f));
}

std::string Prelude(uint32_t total, uint32_t headers_length) {
  std::string p = U32Bytes(total) + U32Bytes(headers_length);
  return p + U32Bytes(EventStreamCrc32(p));
}

EventStreamMessage AllTypesMessage() {
  EventStreamMessage m;
  auto add = [&](std::string name, EventStreamHeaderValue value) {
    m.headers.push_back({std::move(name), std::move(value)});
  };
  add("bool-true", true);
  add("bool-false", false);
  add("byte-min", int8_t{-128});
  add("byte-max", int8_t{127});
  add("short-neg", int16_t{-12345});
  add("short-max", std::numeric_limits<int16_t>::max());
  add("int32-min", std::numeric_limits<int32_t>::min());
  add("int32", int32_t{40972});
  add("int64-min", std::numeric_limits<int64_t>::min());
  add("int64-max", std::numeric_limits<int64_t>::max());
  add("int64-beyond-2^53", int64_t{9007199254740993});
  add("bytes-empty", EventStreamBytes{""});
  add("bytes-binary", EventStreamBytes{std::string("\x00\xff\x80\x7f\n", 5)});
  add("string-empty", std::string());
  add(":content-type", std::string("application/json"));
  add("string-unicode", std::string("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  add("timestamp", EventStreamTimestamp{1700000000123});
  add("timestamp-pre-1970", EventStreamTimestamp{-86400000});
  add("uuid", EventStreamUuid{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42,
                              0x66, 0x14, 0x17, 0x40, 0x00});
  add(std::string(255, 'n'), int32_t{1});  // longest legal name
  for (int i = 0; i < 256; ++i) m.payload.push_back(static_cast<char>(i));
  return m;
}

std::vector<EventStreamMessage> BedrockLikeMessages() {
  auto event = [](std::string type, std::string payload) {
    EventStreamMessage m;
    m.headers = {{":event-type", std::move(type)},
                 {":content-type", std::string("application/json")},
                 {":message-type", std::string("event")}};
    m.payload = std::move(payload);
    return m;
  };
  std::vector<EventStreamMessage> out;
  out.push_back(event("messageStart", R"({"p":"abcd","role":"assistant"})"));
  out.push_back(event("contentBlockDelta",
                      R"({"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"abcdefgh"})"));
  out.push_back(event("messageStop", R"({"p":"ab","stopReason":"end_turn"})"));
  EventStreamMessage exception;
  exception.headers = {{":exception-type", std::string("throttlingException")},
                       {":content-type", std::string("application/json")},
                       {":message-type", std::string("exception")}};
  exception.payload = R"({"message":"Too many requests, please wait before trying again."})";
  out.push_back(exception);
  EventStreamMessage error;
  error.headers = {{":error-code", std::string("InternalFailure")},
                   {":error-message", std::string("An internal error occurred.")},
                   {":message-type", std::string("error")}};
  out.push_back(error);
  return out;
}

std::string DebugString(const EventStreamMessage& message) {
  std::ostringstream os;
  os << "{headers: [";
  for (const EventStreamHeader& h : message.headers) {
    os << "\n  " << h.name << " (" << EventStreamHeaderTypeName(HeaderTypeOf(h.value)) << ") = ";
    std::visit(
        [&os](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>) {
            os << (v ? "true" : "false");
          } else if constexpr (std::is_same_v<T, int8_t>) {
            os << static_cast<int>(v);
          } else if constexpr (std::is_integral_v<T>) {
            os << v;
          } else if constexpr (std::is_same_v<T, EventStreamBytes>) {
            os << "b64:" << Base64Encode(v.bytes);
          } else if constexpr (std::is_same_v<T, std::string>) {
            os << '"' << v << '"';
          } else if constexpr (std::is_same_v<T, EventStreamTimestamp>) {
            os << v.millis_since_epoch << "ms";
          } else {
            os << HexEncode(std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
          }
        },
        h.value);
  }
  os << "], payload: b64:" << Base64Encode(message.payload) << "}";
  return os.str();
}

}  // namespace ragd::es_test

namespace ragd {
void PrintTo(const EventStreamMessage& message, std::ostream* os) {
  *os << es_test::DebugString(message);
}
}  // namespace ragd
