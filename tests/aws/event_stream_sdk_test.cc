// Round trips between ragd's event-stream codec and the AWS SDK's (@smithy/eventstream-codec, run
// by node through tests/js/eventstream_reference.js), in both directions, byte for byte.
// Requires node on PATH and `npm ci --prefix tests/js`; missing either is a test failure, not a
// skip.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "aws/event_stream.h"
#include "core/crypto.h"
#include "tests/aws/event_stream_test_util.h"

namespace ragd {
namespace {

using nlohmann::json;

std::string FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path == nullptr ? "" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string TempPath(const std::string& tag) {
  std::string pattern = ::testing::TempDir() + "ragd_es_" + tag + "_XXXXXX";
  const int fd = mkstemp(pattern.data());
  if (fd >= 0) close(fd);
  return pattern;
}

json ToJson(const EventStreamHeader& h) {
  json j = {{"name", h.name}};
  std::visit(
      [&j](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          j["type"] = "boolean", j["value"] = v;
        } else if constexpr (std::is_same_v<T, int8_t>) {
          j["type"] = "byte", j["value"] = static_cast<int>(v);
        } else if constexpr (std::is_same_v<T, int16_t>) {
          j["type"] = "short", j["value"] = v;
        } else if constexpr (std::is_same_v<T, int32_t>) {
          j["type"] = "integer", j["value"] = v;
        } else if constexpr (std::is_same_v<T, int64_t>) {
          j["type"] = "long", j["value"] = std::to_string(v);
        } else if constexpr (std::is_same_v<T, EventStreamBytes>) {
          j["type"] = "binary", j["value"] = Base64Encode(v.bytes);
        } else if constexpr (std::is_same_v<T, std::string>) {
          j["type"] = "string", j["value"] = v;
        } else if constexpr (std::is_same_v<T, EventStreamTimestamp>) {
          j["type"] = "timestamp", j["value"] = std::to_string(v.millis_since_epoch);
        } else {
          const std::string hex =
              HexEncode(std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
          j["type"] = "uuid";
          j["value"] = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
                       hex.substr(16, 4) + "-" + hex.substr(20);
        }
      },
      h.value);
  return j;
}

json ToJson(const EventStreamMessage& m) {
  json headers = json::array();
  for (const auto& h : m.headers) headers.push_back(ToJson(h));
  return {{"headers", headers}, {"payload", Base64Encode(m.payload)}};
}

// Runs the reference script; returns its parsed stdout, or null after recording a failure.
json RunReference(const std::string& node, const std::string& mode, const json& input) {
  const std::string in_path = TempPath("in");
  const std::string err_path = TempPath("err");
  std::ofstream(in_path) << input.dump();
  const std::string script = std::string(RAGD_SOURCE_DIR) + "/tests/js/eventstream_reference.js";
  const std::string cmd = ShellQuote(node) + " " + ShellQuote(script) + " " + mode + " " +
                          ShellQuote(in_path) + " 2>" + ShellQuote(err_path);
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << cmd;
    return nullptr;
  }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  std::ifstream err_in(err_path);
  const std::string err((std::istreambuf_iterator<char>(err_in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(in_path);
  std::filesystem::remove(err_path);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ADD_FAILURE() << cmd << " failed (status " << status << "):\n" << err;
    return nullptr;
  }
  json parsed = json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) ADD_FAILURE() << "unparseable output from " << cmd << ":\n" << out;
  return parsed;
}

// Random but valid messages the JS codec can represent: unique names that are not integer-like
// (a JS object would reorder those), valid UTF-8 strings, timestamps within JS Date's range.
EventStreamMessage RandomMessage(std::mt19937& rng) {
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  auto bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(uniform(0, 255));
    return s;
  };
  const std::string ascii = "aZ0 :-\"\\\n";  // names use the first six
  const char* multibyte[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xe4\xb8\xad"};
  EventStreamMessage m;
  const int count = static_cast<int>(uniform(0, 12));
  for (int i = 0; i < count; ++i) {
    EventStreamHeader h;
    h.name = "h" + std::to_string(i) + "-";
    for (int k = uniform(0, 20); k > 0; --k) h.name += ascii[uniform(0, 5)];
    switch (uniform(0, 9)) {
      case 0:
        h.value = true;
        break;
      case 1:
        h.value = false;
        break;
      case 2:
        h.value = static_cast<int8_t>(uniform(-128, 127));
        break;
      case 3:
        h.value = static_cast<int16_t>(uniform(-32768, 32767));
        break;
      case 4:
        h.value = static_cast<int32_t>(uniform(INT32_MIN, INT32_MAX));
        break;
      case 5:
        h.value = static_cast<int64_t>(uniform(INT64_MIN, INT64_MAX));
        break;
      case 6:
        h.value = EventStreamBytes{bytes(uniform(0, 64))};
        break;
      case 7: {
        std::string s;
        for (int k = uniform(0, 30); k > 0; --k) {
          if (uniform(0, 1) == 0) {
            s += ascii[uniform(0, ascii.size() - 1)];
          } else {
            s += multibyte[uniform(0, std::size(multibyte) - 1)];
          }
        }
        h.value = s;
        break;
      }
      case 8:
        h.value = EventStreamTimestamp{uniform(-8'640'000'000'000'000, 8'640'000'000'000'000)};
        break;
      default: {
        EventStreamUuid u;
        for (auto& b : u) b = static_cast<uint8_t>(uniform(0, 255));
        h.value = u;
      }
    }
    m.headers.push_back(std::move(h));
  }
  m.payload = bytes(uniform(0, 300));
  return m;
}

class EventStreamSdkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = FindOnPath("node");
    ASSERT_FALSE(node_.empty()) << "node not found on PATH; it is required for the SDK round trip";
    const std::filesystem::path modules = std::filesystem::path(RAGD_SOURCE_DIR) / "tests/js";
    for (const char* pkg : {"@smithy/eventstream-codec", "@smithy/util-utf8"}) {
      ASSERT_TRUE(std::filesystem::exists(modules / "node_modules" / pkg / "package.json"))
          << pkg << " is not installed in " << modules.string()
          << "/node_modules; run: npm ci --prefix tests/js";
    }
  }

  std::vector<EventStreamMessage> Corpus() {
    std::vector<EventStreamMessage> messages = {es_test::AllTypesMessage(), EventStreamMessage{}};
    for (auto& m : es_test::BedrockLikeMessages()) messages.push_back(std::move(m));
    const std::string dir = es_test::GoTestdataDir() + "/encoded/positive/";
    for (const std::string& name : es_test::ListDir(dir)) {
      messages.push_back(*DecodeEventStreamFrame(es_test::ReadFileOrFail(dir + name)));
    }
    EventStreamMessage big;
    big.headers = {{"max-string", std::string(32767, 's')},
                   {"max-bytes", EventStreamBytes{std::string(32767, '\xab')}}};
    big.payload.assign(1 << 20, 'p');
    messages.push_back(std::move(big));
    std::mt19937 rng(7);
    for (int i = 0; i < 300; ++i) messages.push_back(RandomMessage(rng));
    return messages;
  }

  std::string node_;
};

TEST_F(EventStreamSdkTest, RagdFramesDecodeIdenticallyInTheSdk) {
  const std::vector<EventStreamMessage> messages = Corpus();
  json frames = json::array();
  for (const auto& m : messages) {
    StatusOr<std::string> frame = EncodeEventStreamMessage(m);
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    frames.push_back(Base64Encode(*frame));
  }
  const json decoded = RunReference(node_, "decode", frames);
  ASSERT_TRUE(decoded.is_array());
  ASSERT_EQ(decoded.size(), messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(decoded[i], ToJson(messages[i]))
        << "message " << i << ": " << es_test::DebugString(messages[i]);
  }
}

TEST_F(EventStreamSdkTest, SdkFramesMatchRagdByteForByteAndDecode) {
  const std::vector<EventStreamMessage> messages = Corpus();
  json input = json::array();
  for (const auto& m : messages) input.push_back(ToJson(m));
  const json frames = RunReference(node_, "encode", input);
  ASSERT_TRUE(frames.is_array());
  ASSERT_EQ(frames.size(), messages.size());
  std::string stream;
  for (size_t i = 0; i < messages.size(); ++i) {
    SCOPED_TRACE("message " + std::to_string(i));
    std::string frame;
    ASSERT_TRUE(es_test::Base64Decode(frames[i].get<std::string>(), &frame));
    EXPECT_EQ(Base64Encode(*EncodeEventStreamMessage(messages[i])), frames[i].get<std::string>());
    StatusOr<EventStreamMessage> decoded = DecodeEventStreamFrame(frame);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, messages[i]);
    stream += frame;
  }
  // The SDK's frames as one response body, arriving in uneven chunks.
  EventStreamDecoder decoder;
  std::vector<EventStreamMessage> streamed;
  std::mt19937 rng(11);
  for (size_t at = 0; at < stream.size();) {
    const size_t n = std::uniform_int_distribution<size_t>(1, 5000)(rng);
    ASSERT_TRUE(decoder.Feed(std::string_view(stream).substr(at, n)).ok());
    while (auto m = decoder.Next()) streamed.push_back(std::move(*m));
    at += n;
  }
  EXPECT_TRUE(decoder.Finish().ok());
  EXPECT_EQ(streamed, messages);
}

TEST_F(EventStreamSdkTest, CorruptFramesAreRejectedByBoth) {
  const std::string dir = es_test::GoTestdataDir() + "/encoded/negative/";
  std::vector<std::string> frames;
  for (const std::string& name : es_test::ListDir(dir)) {
    frames.push_back(es_test::ReadFileOrFail(dir + name));
  }
  ASSERT_EQ(frames.size(), 4u);
  std::string flipped = *EncodeEventStreamMessage(es_test::AllTypesMessage());
  flipped[100] ^= 0x01;
  frames.push_back(flipped);
  json input = json::array();
  for (const auto& f : frames) input.push_back(Base64Encode(f));
  const json decoded = RunReference(node_, "decode", input);
  ASSERT_TRUE(decoded.is_array());
  ASSERT_EQ(decoded.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_TRUE(decoded[i].contains("error")) << i << ": " << decoded[i].dump();
    EXPECT_FALSE(DecodeEventStreamFrame(frames[i]).ok()) << i;
  }
}

}  // namespace
}  // namespace ragd
