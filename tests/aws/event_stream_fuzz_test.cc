// Robustness of the event-stream decoder against mutated and truncated frames (fixed seeds, so
// failures reproduce). Properties checked for every input:
//   - no crash / sanitizer report (run under RAGD_SANITIZE=ON to get the full value);
//   - no single allocation anywhere near a declared length: the inputs are < 2 KiB, so anything
//     over 64 KiB could only come from trusting a length field;
//   - the decoder never buffers more than limits.max_message_bytes;
//   - whatever is accepted re-encodes to exactly the input bytes, and agrees with the one-shot
//     DecodeEventStreamFrame.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "aws/event_stream.h"
#include "tests/aws/event_stream_test_util.h"

namespace ragd {
namespace {

using es_test::AllocationTracker;

void PutU32(std::string* s, size_t offset, uint32_t v) {
  if (s->size() < offset + 4) return;
  for (size_t i = 0; i < 4; ++i) (*s)[offset + i] = static_cast<char>(v >> (24 - 8 * i));
}

uint32_t GetU32(const std::string& s, size_t offset) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(s[offset + i]);
  return v;
}

// Recomputes both checksums of the frame at the start of `s` (as far as its bytes allow), so a
// mutation reaches the length checks and the header parser instead of dying at a CRC.
void FixChecksums(std::string* s) {
  if (s->size() < 12) return;
  PutU32(s, 8, EventStreamCrc32(std::string_view(*s).substr(0, 8)));
  const uint32_t total = GetU32(*s, 0);
  if (total >= 16 && total <= s->size()) {
    PutU32(s, total - 4, EventStreamCrc32(std::string_view(*s).substr(0, total - 4)));
  }
}

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  const std::string dir = es_test::GoTestdataDir() + "/encoded/positive/";
  for (const std::string& name : es_test::ListDir(dir)) {
    seeds.push_back(es_test::ReadFileOrFail(dir + name));
  }
  seeds.push_back(*EncodeEventStreamMessage(es_test::AllTypesMessage()));
  std::string bedrock;
  for (const auto& m : es_test::BedrockLikeMessages()) bedrock += *EncodeEventStreamMessage(m);
  seeds.push_back(bedrock);
  return seeds;
}

std::string Mutate(std::string s, std::mt19937& rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n)(rng); };
  const uint32_t interesting[] = {0,          1,          15,        16,        17,
                                  0x7fff,     0x8000,     0xffff,    0x1ffff,   0x20000,
                                  0x20001,    0xffffff,   0x1000000, 0x1000001, 0x7fffffff,
                                  0x80000000, 0xfffffff0, 0xffffffff};
  const size_t rounds = 1 + pick(3);
  bool fix = pick(1) == 1;
  for (size_t r = 0; r < rounds; ++r) {
    switch (pick(8)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pick(s.size() - 1)] ^= static_cast<char>(1 << pick(7));
        break;
      case 1:  // random byte
        if (!s.empty()) s[pick(s.size() - 1)] = static_cast<char>(pick(255));
        break;
      case 2:  // truncate
        s.resize(pick(s.size()));
        break;
      case 3:  // insert random bytes
        s.insert(pick(s.size()), std::string(1 + pick(8), static_cast<char>(pick(255))));
        break;
      case 4: {  // delete a range
        const size_t at = pick(s.size());
        s.erase(at, pick(8));
        break;
      }
      case 5:  // total_length or headers_length set to an edge value
        PutU32(&s, pick(1) * 4, interesting[pick(std::size(interesting) - 1)]);
        fix = true;
        break;
      case 6:  // a random total_length within the default limit
        PutU32(&s, 0, static_cast<uint32_t>(pick(16 * 1024 * 1024)));
        fix = true;
        break;
      case 7:  // a header type byte or name length anywhere
        if (s.size() > 12) s[12 + pick(s.size() - 13)] = static_cast<char>(pick(12));
        break;
      case 8:  // duplicate the stream (two frames back to back)
        if (s.size() < 2048) s += s;
        break;
    }
  }
  if (fix) FixChecksums(&s);
  return s;
}

// Feeds `input` in random chunks; checks the properties listed at the top of the file.
void CheckInput(const std::string& input, const EventStreamLimits& limits, size_t max_alloc,
                std::mt19937& rng) {
  EventStreamDecoder decoder(limits);
  std::vector<EventStreamMessage> messages;
  Status status;
  {
    AllocationTracker tracker;
    for (size_t i = 0; i < input.size() && status.ok();) {
      const size_t n = std::uniform_int_distribution<size_t>(1, 64)(rng);
      status = decoder.Feed(std::string_view(input).substr(i, n));
      ASSERT_LE(decoder.buffered_bytes(), limits.max_message_bytes);
      while (auto m = decoder.Next()) messages.push_back(std::move(*m));
      i += n;
    }
    ASSERT_LE(tracker.largest(), max_alloc) << es_test::Base64(input);
  }
  if (!status.ok() || !decoder.Finish().ok()) {
    const Status s = status.ok() ? decoder.Finish() : status;
    ASSERT_TRUE(s.code() == StatusCode::kDataLoss || s.code() == StatusCode::kResourceExhausted)
        << s.ToString();
    return;
  }
  std::string reencoded;
  for (const auto& m : messages) {
    StatusOr<std::string> frame = EncodeEventStreamMessage(m, limits);
    ASSERT_TRUE(frame.ok()) << frame.status().ToString() << " " << es_test::Base64(input);
    reencoded += *frame;
  }
  ASSERT_EQ(es_test::Base64(reencoded), es_test::Base64(input));
  if (messages.size() == 1) {
    StatusOr<EventStreamMessage> whole = DecodeEventStreamFrame(input, limits);
    ASSERT_TRUE(whole.ok()) << whole.status().ToString();
    ASSERT_EQ(*whole, messages[0]);
  }
}

TEST(EventStreamFuzzTest, MutatedFramesWithDefaultLimits) {
  const std::vector<std::string> seeds = Seeds();
  ASSERT_EQ(seeds.size(), 7u);
  std::mt19937 rng(0x5eed1);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string input = Mutate(seeds[i % seeds.size()], rng);
    ASSERT_NO_FATAL_FAILURE(CheckInput(input, {}, 64 * 1024, rng)) << "iteration " << i;
    accepted += DecodeEventStreamFrame(input).ok();
  }
  // Sanity: the mutations are not all trivially rejected, nor all harmless.
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 20000);
}

TEST(EventStreamFuzzTest, MutatedFramesWithTinyLimits) {
  const std::vector<std::string> seeds = Seeds();
  const EventStreamLimits tiny{.max_message_bytes = 64, .max_headers_bytes = 32};
  std::mt19937 rng(0x5eed2);
  for (int i = 0; i < 5000; ++i) {
    const std::string input = Mutate(seeds[i % seeds.size()], rng);
    ASSERT_NO_FATAL_FAILURE(CheckInput(input, tiny, 4096, rng)) << "iteration " << i;
  }
}

TEST(EventStreamFuzzTest, RandomBytesBehindAValidPrelude) {
  std::mt19937 rng(0x5eed3);
  for (int i = 0; i < 5000; ++i) {
    const size_t size = std::uniform_int_distribution<size_t>(16, 400)(rng);
    std::string input(size, '\0');
    for (char& c : input) c = static_cast<char>(rng());
    PutU32(&input, 0, static_cast<uint32_t>(size));
    PutU32(&input, 4, static_cast<uint32_t>(rng() % (size - 15)));
    FixChecksums(&input);
    ASSERT_NO_FATAL_FAILURE(CheckInput(input, {}, 64 * 1024, rng)) << "iteration " << i;
  }
}

}  // namespace
}  // namespace ragd
