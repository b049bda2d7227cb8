// Event-stream header parsing on well-checksummed but malformed frames, encoder preconditions, and
// envelope interpretation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "aws/event_stream.h"
#include "tests/aws/event_stream_test_util.h"

namespace ragd {
namespace {

using es_test::Bytes;
using es_test::RawFrame;
using ::testing::HasSubstr;

TEST(EventStreamHeadersTest, MalformedHeadersWithValidChecksumsAreRejected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {Bytes({0, 7}), "empty header name"},
      {Bytes({5, 'a', 'b'}), "name overruns"},
      {Bytes({1, 'a'}), "name overruns"},  // no room for the type byte
      {Bytes({1, 'a', 10}), "unknown value type 10"},
      {Bytes({1, 'a', 0xff}), "unknown value type 255"},
      {Bytes({1, 'a', 4, 0, 0, 1}), "value overruns"},
      {Bytes({1, 'a', 7, 0}), "value length overruns"},
      {Bytes({1, 'a', 7, 0, 5, 'a', 'b', 'c'}), "value overruns"},
      {Bytes({1, 'a', 6, 0x80, 0}), "longer than 32767"},
      {Bytes({1, 'a', 9}) + std::string(15, 'u'), "value overruns"},
      {Bytes({1, 'a', 0, 1, 'a', 1}), "duplicate header 'a'"},
  };
  for (const auto& [headers, error] : cases) {
    const std::string frame = RawFrame(headers, "payload");
    StatusOr<EventStreamMessage> m = DecodeEventStreamFrame(frame);
    ASSERT_FALSE(m.ok()) << error;
    EXPECT_EQ(m.status().code(), StatusCode::kDataLoss);
    EXPECT_THAT(m.status().message(), HasSubstr(error));
  }
  // Control: the same builder with well-formed headers decodes.
  StatusOr<EventStreamMessage> ok =
      DecodeEventStreamFrame(RawFrame(Bytes({1, 'a', 7, 0, 0, 1, 'b', 2, 0xff}), "p"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->headers.size(), 2u);
  EXPECT_EQ(*ok->FindString("a"), "");
  EXPECT_EQ(std::get<int8_t>(ok->FindHeader("b")->value), -1);
}

TEST(EventStreamEncoderTest, AllTypesRoundTrip) {
  const EventStreamMessage m = es_test::AllTypesMessage();
  StatusOr<std::string> frame = EncodeEventStreamMessage(m);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  StatusOr<EventStreamMessage> back = DecodeEventStreamFrame(*frame);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
}

TEST(EventStreamEncoderTest, RejectsWhatTheWireCannotCarry) {
  auto encode = [](std::vector<EventStreamHeader> headers, std::string payload = "",
                   EventStreamLimits limits = {}) {
    return EncodeEventStreamMessage({std::move(headers), std::move(payload)}, limits).status();
  };
  EXPECT_EQ(encode({{"", true}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(encode({{std::string(256, 'n'), true}}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(encode({{std::string(255, 'n'), true}}).ok());
  EXPECT_EQ(encode({{"s", std::string(32768, 's')}}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(encode({{"s", std::string(32767, 's')}}).ok());
  EXPECT_EQ(encode({{"b", EventStreamBytes{std::string(32768, 'b')}}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(encode({{"d", true}, {"e", 1}, {"d", false}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(encode({}, std::string(100, 'p'), {.max_message_bytes = 115}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(encode({}, std::string(100, 'p'), {.max_message_bytes = 116}).ok());
  EXPECT_EQ(encode({{"s", std::string(20, 's')}}, "", {.max_headers_bytes = 24}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(encode({{"s", std::string(20, 's')}}, "", {.max_headers_bytes = 25}).ok());
}

TEST(EventStreamEnvelopeTest, BedrockLikeMessages) {
  const auto messages = es_test::BedrockLikeMessages();
  std::vector<StatusOr<EventStreamEnvelope>> envelopes;
  for (const auto& m : messages) envelopes.push_back(InterpretEventStreamMessage(m));
  for (const auto& e : envelopes) ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(envelopes[0]->message_type, EventStreamMessageType::kEvent);
  EXPECT_EQ(envelopes[0]->event_type, "messageStart");
  EXPECT_EQ(envelopes[0]->content_type, "application/json");
  EXPECT_EQ(envelopes[1]->event_type, "contentBlockDelta");
  EXPECT_EQ(envelopes[3]->message_type, EventStreamMessageType::kException);
  EXPECT_EQ(envelopes[3]->exception_type, "throttlingException");
  EXPECT_EQ(envelopes[4]->message_type, EventStreamMessageType::kError);
  EXPECT_EQ(envelopes[4]->error_code, "InternalFailure");
  EXPECT_EQ(envelopes[4]->error_message, "An internal error occurred.");
  EXPECT_EQ(envelopes[4]->content_type, "");
}

TEST(EventStreamEnvelopeTest, MissingOrMistypedHeadersAreErrors) {
  auto interpret = [](std::vector<EventStreamHeader> headers) {
    return InterpretEventStreamMessage({std::move(headers), ""}).status();
  };
  EXPECT_THAT(interpret({}).message(), HasSubstr("no :message-type"));
  EXPECT_THAT(interpret({{":message-type", EventStreamBytes{"event"}}}).message(),
              HasSubstr("is a byte_array, not a string"));
  EXPECT_THAT(interpret({{":message-type", std::string("bogus")}}).message(),
              HasSubstr("unknown :message-type 'bogus'"));
  EXPECT_THAT(interpret({{":message-type", std::string("event")}}).message(),
              HasSubstr("no :event-type"));
  EXPECT_THAT(interpret({{":message-type", std::string("exception")}}).message(),
              HasSubstr("no :exception-type"));
  EXPECT_THAT(interpret({{":message-type", std::string("error")}}).message(),
              HasSubstr("no :error-code"));
  EXPECT_EQ(
      interpret({{":message-type", std::string("event")}, {":event-type", int32_t{3}}}).code(),
      StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      interpret({{":message-type", std::string("error")}, {":error-code", std::string("X")}}).ok());
}

}  // namespace
}  // namespace ragd
