#include "core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <regex>
#include <vector>

namespace ragd {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_sink_mu;
std::function<void(std::string_view)> g_sink;  // guarded by g_sink_mu

constexpr std::string_view kMask = "[REDACTED]";

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string NowUtcMillis() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(ms.count()));
  return buf;
}

// A field name is secret when one of its words (split on '_', '-', '.') is a secret word, so
// "api_key", "aws_secret_access_key", "session-token" are masked while "key_id", "max_tokens",
// "input_tokens" are not.
bool IsSecretName(std::string_view name) {
  static constexpr std::string_view kWords[] = {
      "key",           "apikey",    "secret",     "token",       "password",
      "authorization", "signature", "credential", "credentials", "cookie"};
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t start = 0;
  std::vector<std::string_view> words;
  const std::string_view all(lower);
  for (size_t i = 0; i <= all.size(); ++i) {
    if (i == all.size() || all[i] == '_' || all[i] == '-' || all[i] == '.') {
      if (i > start) words.push_back(all.substr(start, i - start));
      start = i + 1;
    }
  }
  if (!words.empty() && words.back() == "id") return false;  // identifiers are not secrets
  for (std::string_view w : words) {
    for (std::string_view k : kWords) {
      if (w == k) return true;
    }
  }
  return false;
}

void RedactJson(nlohmann::json& value) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (IsSecretName(it.key()) && !it.value().is_null() && !it.value().is_boolean()) {
        it.value() = kMask;
      } else {
        RedactJson(it.value());
      }
    }
  } else if (value.is_array()) {
    for (auto& v : value) RedactJson(v);
  } else if (value.is_string()) {
    value = Redact(value.get_ref<const std::string&>());
  }
}

}  // namespace

bool ParseLogLevel(std::string_view name, LogLevel* out) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (name == LevelName(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void SetLogSink(std::function<void(std::string_view)> sink) {
  std::lock_guard<std::mutex> lock(g_sink_mu);
  g_sink = std::move(sink);
}

std::string Redact(std::string_view text) {
  // Fast path: nothing that could hold a secret.
  static constexpr std::string_view kHints[] = {"rgd_",   "uthorization", "X-Amz-", "x-amz-",
                                                "secret", "SECRET",       "Bearer", "bearer"};
  bool maybe = false;
  for (std::string_view h : kHints) maybe = maybe || text.find(h) != std::string_view::npos;
  if (!maybe) return std::string(text);

  static const std::regex kPatterns[] = {
      std::regex(R"(rgd_[A-Za-z0-9_]+)"),
      std::regex(R"(([Aa]uthorization["']?\s*[:=]\s*["']?)[^"'}\n]+)"),
      std::regex(R"(([Bb]earer\s+)[A-Za-z0-9._~+/=-]+)"),
      std::regex(
          R"(((?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|x-amz-security-token)=)[^&\s"']*)"),
      std::regex(
          R"(((?:aws_secret_access_key|AWS_SECRET_ACCESS_KEY|aws_session_token|AWS_SESSION_TOKEN)["']?\s*[:=]\s*["']?)[^\s"',}]+)"),
  };
  std::string out(text);
  out = std::regex_replace(out, kPatterns[0], std::string(kMask));
  for (size_t i = 1; i < std::size(kPatterns); ++i) {
    out = std::regex_replace(out, kPatterns[i], "$1" + std::string(kMask));
  }
  return out;
}

void Log(LogLevel level, std::string_view request_id, std::string_view msg, nlohmann::json fields) {
  if (!LogEnabled(level)) return;
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = NowUtcMillis();
  line["level"] = LevelName(level);
  line["request_id"] = request_id.empty() ? "-" : std::string(request_id);
  line["msg"] = Redact(msg);
  if (fields.is_object()) {
    RedactJson(fields);
    for (auto& [k, v] : fields.items()) {
      if (k != "ts" && k != "level" && k != "request_id" && k != "msg") line[k] = std::move(v);
    }
  }
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  std::lock_guard<std::mutex> lock(g_sink_mu);
  if (g_sink) {
    g_sink(text);
  } else {
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  }
}

}  // namespace ragd
