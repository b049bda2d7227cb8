// Helpers shared by the event-stream tests: test-data paths, base64, a message covering every
// header type, readable printing, and an allocation tracker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "aws/event_stream.h"

namespace ragd::es_test {

// $RAGD_SHARED_DIR if set and non-empty, else the compile-time RAGD_SHARED_DIR.
std::string SharedDir();
// <shared>/testdata/eventstream/aws-sdk-go-testdata
std::string GoTestdataDir();
// Whole file as bytes; empty string and a gtest failure if unreadable.
std::string ReadFileOrFail(const std::string& path);
// Sorted file names (not paths) in `dir`.
std::vector<std::string> ListDir(const std::string& dir);
// Standard alphabet, padding optional; returns false on a bad character.
bool Base64Decode(std::string_view in, std::string* out);
std::string Base64(std::string_view bytes);

// Frame-building blocks for hand-made (usually malformed) frames.
std::string U32Bytes(uint32_t v);                     // big-endian
std::string Bytes(std::initializer_list<int> bytes);  // each int is one byte
// A frame with valid checksums around arbitrary header bytes (to reach the header parser).
std::string RawFrame(std::string_view headers, std::string_view payload);
// A prelude with a valid checksum declaring arbitrary lengths.
std::string Prelude(uint32_t total, uint32_t headers_length);

// Every header value type (both booleans, negative and extreme integers, empty and binary
// byte arrays, non-ASCII strings), plus a payload holding all 256 byte values.
EventStreamMessage AllTypesMessage();
// Small messages shaped like Bedrock ConverseStream traffic (events, an exception, an error).
std::vector<EventStreamMessage> BedrockLikeMessages();

std::string DebugString(const EventStreamMessage& message);

// Records, for the current thread while alive, the largest single operator-new request and the
// total bytes requested. Not nestable.
class AllocationTracker {
 public:
  AllocationTracker();
  ~AllocationTracker();
  AllocationTracker(const AllocationTracker&) = delete;
  AllocationTracker& operator=(const AllocationTracker&) = delete;
  size_t largest() const;
  size_t total() const;
};

}  // namespace ragd::es_test

namespace ragd {
// gtest printers (found by ADL).
void PrintTo(const EventStreamMessage& message, std::ostream* os);
}  // namespace ragd
