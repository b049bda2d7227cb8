// Event-stream codec against the aws-sdk-go shared vectors, plus splitting, limits and envelopes.
#include "aws/event_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/aws/event_stream_test_util.h"

namespace ragd {
namespace {

using es_test::AllocationTracker;
using es_test::GoTestdataDir;
using es_test::Prelude;
using es_test::ReadFileOrFail;
using ::testing::HasSubstr;

uint32_t U32At(std::string_view s, size_t offset) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(s[offset + i]);
  return v;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The decoded/positive JSON as a message (see the testdata README for its quirks).
EventStreamMessage MessageFromGoJson(const nlohmann::json& j) {
  EventStreamMessage m;
  auto b64 = [](const nlohmann::json& v) {
    std::string out;
    EXPECT_TRUE(es_test::Base64Decode(v.get<std::string>(), &out));
    return out;
  };
  for (const auto& h : j.at("headers")) {
    EventStreamHeader header{h.at("name").get<std::string>(), false};
    const nlohmann::json& v = h.at("value");
    switch (h.at("type").get<int>()) {
      case 0:
      case 1:
        header.value = v.get<bool>();
        break;
      case 2:
        header.value = v.get<int8_t>();
        break;
      case 3:
        header.value = v.get<int16_t>();
        break;
      case 4:
        header.value = v.get<int32_t>();
        break;
      case 5:
        header.value = v.get<int64_t>();
        break;
      case 6:
        header.value = EventStreamBytes{b64(v)};
        break;
      case 7:
        header.value = b64(v);
        break;
      case 8:
        header.value = EventStreamTimestamp{v.get<int64_t>()};
        break;
      case 9: {
        const std::string raw = b64(v);
        EventStreamUuid uuid{};
        EXPECT_EQ(raw.size(), 16u);
        std::copy_n(raw.begin(), std::min<size_t>(16, raw.size()), uuid.begin());
        header.value = uuid;
        break;
      }
      default:
        ADD_FAILURE() << "bad type in JSON";
    }
    EXPECT_EQ(static_cast<int>(HeaderTypeOf(header.value)), h.at("type").get<int>());
    m.headers.push_back(std::move(header));
  }
  m.payload = b64(j.at("payload"));
  return m;
}

std::vector<std::string> Names(const std::string& kind) {
  return es_test::ListDir(GoTestdataDir() + "/encoded/" + kind);
}

std::string Frame(const std::string& kind, const std::string& name) {
  return ReadFileOrFail(GoTestdataDir() + "/encoded/" + kind + "/" + name);
}

// Feeds `chunks` to a fresh decoder and returns every message, failing the test on any error.
std::vector<EventStreamMessage> DecodeChunks(const std::vector<std::string_view>& chunks) {
  EventStreamDecoder decoder;
  std::vector<EventStreamMessage> out;
  for (std::string_view c : chunks) {
    Status s = decoder.Feed(c);
    EXPECT_TRUE(s.ok()) << s.ToString();
    while (auto m = decoder.Next()) out.push_back(std::move(*m));
  }
  EXPECT_TRUE(decoder.Finish().ok()) << decoder.Finish().ToString();
  return out;
}

TEST(EventStreamVectorsTest, AllNineFramesPresent) {
  EXPECT_THAT(Names("positive"),
              ::testing::ElementsAre("all_headers", "empty_message", "int32_header",
                                     "payload_no_headers", "payload_one_str_header"));
  EXPECT_THAT(Names("negative"), ::testing::ElementsAre("corrupted_header_len", "corrupted_headers",
                                                        "corrupted_length", "corrupted_payload"));
}

TEST(EventStreamVectorsTest, PositiveFramesDecodeToTheirJson) {
  for (const std::string& name : Names("positive")) {
    SCOPED_TRACE(name);
    const std::string frame = Frame("positive", name);
    const auto j =
        nlohmann::json::parse(ReadFileOrFail(GoTestdataDir() + "/decoded/positive/" + name));
    ASSERT_GE(frame.size(), 16u);
    EXPECT_EQ(U32At(frame, 0), j.at("total_length").get<uint32_t>());
    EXPECT_EQ(U32At(frame, 4), j.at("headers_length").get<uint32_t>());
    EXPECT_EQ(U32At(frame, 8), static_cast<uint32_t>(j.at("prelude_crc").get<int64_t>()));
    EXPECT_EQ(U32At(frame, frame.size() - 4),
              static_cast<uint32_t>(j.at("message_crc").get<int64_t>()));
    EXPECT_EQ(EventStreamCrc32(frame.substr(0, 8)), U32At(frame, 8));

    StatusOr<EventStreamMessage> decoded = DecodeEventStreamFrame(frame);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, MessageFromGoJson(j));
  }
}

TEST(EventStreamVectorsTest, AllHeadersFrameHasEveryType) {
  StatusOr<EventStreamMessage> m = DecodeEventStreamFrame(Frame("positive", "all_headers"));
  ASSERT_TRUE(m.ok());
  std::vector<int> types;
  for (const auto& h : m->headers) types.push_back(static_cast<int>(HeaderTypeOf(h.value)));
  std::sort(types.begin(), types.end());
  EXPECT_THAT(types, ::testing::ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
}

TEST(EventStreamVectorsTest, NegativeFramesFailWithTheExpectedError) {
  for (const std::string& name : Names("negative")) {
    SCOPED_TRACE(name);
    const std::string frame = Frame("negative", name);
    std::string expected = ReadFileOrFail(GoTestdataDir() + "/decoded/negative/" + name);
    while (!expected.empty() && std::isspace(static_cast<unsigned char>(expected.back()))) {
      expected.pop_back();
    }
    ASSERT_FALSE(expected.empty());

    StatusOr<EventStreamMessage> whole = DecodeEventStreamFrame(frame);
    ASSERT_FALSE(whole.ok());
    EXPECT_EQ(whole.status().code(), StatusCode::kDataLoss);
    EXPECT_THAT(Lower(whole.status().message()), HasSubstr(Lower(expected)));

    // The stream decoder reaches the same verdict however the bytes arrive.
    for (size_t chunk : {frame.size(), size_t{1}, size_t{7}}) {
      EventStreamDecoder decoder;
      Status s;
      for (size_t i = 0; i < frame.size() && s.ok(); i += chunk) {
        s = decoder.Feed(std::string_view(frame).substr(i, chunk));
      }
      ASSERT_FALSE(s.ok()) << "chunk " << chunk;
      EXPECT_EQ(s, whole.status());
      EXPECT_FALSE(decoder.Next().has_value());
    }
  }
}

TEST(EventStreamVectorsTest, ReencodingIsByteExact) {
  for (const std::string& name : Names("positive")) {
    SCOPED_TRACE(name);
    const std::string frame = Frame("positive", name);
    StatusOr<EventStreamMessage> m = DecodeEventStreamFrame(frame);
    ASSERT_TRUE(m.ok());
    StatusOr<std::string> encoded = EncodeEventStreamMessage(*m);
    ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
    EXPECT_EQ(es_test::Base64(*encoded), es_test::Base64(frame));
  }
}

TEST(EventStreamDecoderTest, EveryTwoWaySplitAndOneByteAtATime) {
  for (const std::string& name : Names("positive")) {
    SCOPED_TRACE(name);
    const std::string frame = Frame("positive", name);
    const EventStreamMessage expected = *DecodeEventStreamFrame(frame);
    std::string_view f(frame);
    for (size_t k = 0; k <= f.size(); ++k) {
      SCOPED_TRACE(k);
      EXPECT_THAT(DecodeChunks({f.substr(0, k), f.substr(k)}), ::testing::ElementsAre(expected));
    }
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < f.size(); ++i) bytes.push_back(f.substr(i, 1));
    EXPECT_THAT(DecodeChunks(bytes), ::testing::ElementsAre(expected));
  }
}

TEST(EventStreamDecoderTest, EveryThreeWaySplitOfAllHeaders) {
  const std::string frame = Frame("positive", "all_headers");
  const EventStreamMessage expected = *DecodeEventStreamFrame(frame);
  std::string_view f(frame);
  for (size_t i = 0; i <= f.size(); ++i) {
    for (size_t j = i; j <= f.size(); ++j) {
      auto got = DecodeChunks({f.substr(0, i), f.substr(i, j - i), f.substr(j)});
      ASSERT_EQ(got.size(), 1u) << i << "," << j;
      ASSERT_EQ(got[0], expected) << i << "," << j;
    }
  }
}

TEST(EventStreamDecoderTest, ConcatenatedStreamInAnyChunking) {
  std::string stream;
  std::vector<EventStreamMessage> expected;
  for (const std::string& name : Names("positive")) {
    stream += Frame("positive", name);
    expected.push_back(*DecodeEventStreamFrame(Frame("positive", name)));
  }
  for (EventStreamMessage m : es_test::BedrockLikeMessages()) {
    stream += *EncodeEventStreamMessage(m);
    expected.push_back(std::move(m));
  }
  std::string_view s(stream);
  for (size_t k = 0; k <= s.size(); ++k) {
    ASSERT_EQ(DecodeChunks({s.substr(0, k), s.substr(k)}), expected) << k;
  }
  std::mt19937 rng(20240611);
  for (int round = 0; round < 500; ++round) {
    std::vector<std::string_view> chunks;
    for (size_t i = 0; i < s.size();) {
      const size_t n = std::uniform_int_distribution<size_t>(0, 80)(rng);
      chunks.push_back(s.substr(i, n));
      i += n;
    }
    ASSERT_EQ(DecodeChunks(chunks), expected) << "round " << round;
  }
}

TEST(EventStreamDecoderTest, ErrorIsStickyAndEarlierMessagesSurvive) {
  const std::string good = Frame("positive", "int32_header");
  const std::string bad = Frame("negative", "corrupted_payload");
  EventStreamDecoder decoder;
  Status s = decoder.Feed(good + bad + good);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("message checksum mismatch"));
  ASSERT_TRUE(decoder.Next().has_value());
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_EQ(decoder.Feed(good), s);
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_EQ(decoder.Finish(), s);
  EXPECT_EQ(decoder.status(), s);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(EventStreamDecoderTest, TornStreamIsReportedByFinish) {
  const std::string frame = Frame("positive", "all_headers");
  for (size_t k : {size_t{1}, size_t{11}, size_t{12}, frame.size() - 1}) {
    EventStreamDecoder decoder;
    ASSERT_TRUE(decoder.Feed(std::string_view(frame).substr(0, k)).ok());
    EXPECT_EQ(decoder.buffered_bytes(), k);
    EXPECT_EQ(decoder.Finish().code(), StatusCode::kDataLoss) << k;
  }
  EventStreamDecoder empty;
  EXPECT_TRUE(empty.Feed("").ok());
  EXPECT_TRUE(empty.Finish().ok());
}

TEST(EventStreamLimitsTest, HugeDeclaredLengthIsRejectedWithoutAllocating) {
  for (uint32_t total : {0xFFFFFFFFu, 0x80000000u, 16u * 1024 * 1024 + 1}) {
    EventStreamDecoder decoder;
    Status s;
    {
      AllocationTracker tracker;
      s = decoder.Feed(Prelude(total, 0));
      EXPECT_LT(tracker.largest(), 1024u) << total;
    }
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
  }
  // Exactly at the limit is legal, but costs only the bytes that actually arrived.
  EventStreamDecoder decoder;
  AllocationTracker tracker;
  EXPECT_TRUE(decoder.Feed(Prelude(16 * 1024 * 1024, 0) + std::string(100, 'x')).ok());
  EXPECT_LT(tracker.largest(), 4096u);
  EXPECT_EQ(decoder.Finish().code(), StatusCode::kDataLoss);
}

TEST(EventStreamLimitsTest, LengthsAreCheckedAgainstEachOtherAndTheLimits) {
  auto fail = [](const std::string& bytes, EventStreamLimits limits = {}) {
    EventStreamDecoder d(limits);
    return d.Feed(bytes);
  };
  EXPECT_EQ(fail(Prelude(15, 0)).code(), StatusCode::kDataLoss);
  EXPECT_EQ(fail(Prelude(100, 85)).code(), StatusCode::kDataLoss);  // 85 + 16 > 100
  EXPECT_TRUE(fail(Prelude(100, 84)).ok());
  EXPECT_EQ(fail(Prelude(1 << 20, 128 * 1024 + 1)).code(), StatusCode::kResourceExhausted);
  const std::string all = Frame("positive", "all_headers");  // 204 bytes, 175 of headers
  EXPECT_EQ(fail(all, {.max_message_bytes = 203}).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(fail(all, {.max_headers_bytes = 174}).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(fail(all, {.max_message_bytes = 204, .max_headers_bytes = 175}).ok());
  EXPECT_EQ(DecodeEventStreamFrame(all + "x").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEventStreamFrame(all.substr(0, 100)).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEventStreamFrame("short").status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace ragd
