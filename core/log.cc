#include "core/log.h"

#include <atomic>
#include <mutex>
#include <regex>

#include "core/log_fields.h"
#include "core/log_format.h"
#include "core/log_output.h"
#include "core/log_writer.h"

namespace ragd {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<bool> g_has_sink{false};
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

bool Reserved(std::string_view name) {
  return name == "ts" || name == "level" || name == "request_id" || name == "msg";
}

// A string value as it may appear in the output.
void AppendRedactedString(std::string& out, std::string_view text) {
  if (MayHoldSecret(text)) {
    AppendJsonString(out, Redact(text));
  } else {
    AppendJsonString(out, text);
  }
}

// A field value from the nlohmann API: secret names are masked (except null and booleans),
// strings pass through Redact(), objects and arrays recursively.
void AppendValue(std::string& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(out, it.key());
        out.push_back(':');
        if (IsSecretFieldName(it.key()) && !it.value().is_null() && !it.value().is_boolean()) {
          AppendJsonString(out, kMask);
        } else {
          AppendValue(out, it.value());
        }
      }
      out.push_back('}');
      break;
    }
    case nlohmann::json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& v : value) {
        if (!first) out.push_back(',');
        first = false;
        AppendValue(out, v);
      }
      out.push_back(']');
      break;
    }
    case nlohmann::json::value_t::string:
      AppendRedactedString(out, value.get_ref<const std::string&>());
      break;
    default:
      out += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      break;
  }
}

// Formats ts, level, request_id and msg into the calling thread's line buffer (reused, so a line
// costs no allocation once the buffer has grown); the caller appends fields and calls Emit().
std::string& BeginLine(LogLevel level, std::string_view request_id, std::string_view msg) {
  thread_local std::string line;
  line.clear();
  line += "{\"ts\":\"";
  AppendUtcMillis(line);
  line += "\",\"level\":\"";
  line += LevelName(level);
  line += "\",\"request_id\":";
  AppendJsonString(line, request_id.empty() ? std::string_view("-") : request_id);
  line += ",\"msg\":";
  AppendRedactedString(line, msg);
  return line;
}

void Emit(LogLevel level, std::string& line) {
  line += "}\n";
  if (g_has_sink.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(g_sink_mu);
    if (g_sink) {
      g_sink(line);
      return;
    }
  }
  LogWriter::Instance().Append(line, level >= LogLevel::kWarn);
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
  g_has_sink.store(static_cast<bool>(sink), std::memory_order_release);
  g_sink = std::move(sink);
}

void SetLogFd(int fd) { LogWriter::Instance().SetFd(fd); }

bool FlushLog(std::chrono::milliseconds timeout) { return LogWriter::Instance().Flush(timeout); }

uint64_t LogLinesDropped() { return LogWriter::Instance().dropped(); }

void SetLogBufferLimit(size_t bytes) { LogWriter::Instance().SetLimit(bytes); }

std::string Redact(std::string_view text) {
  // Fast path: nothing that could hold a secret.
  if (!MayHoldSecret(text)) return std::string(text);

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

bool LogFields::Begin(std::string_view name) {
  if (Reserved(name)) return false;
  text_.push_back(',');
  AppendJsonString(text_, name);
  text_.push_back(':');
  if (!IsSecretFieldName(name)) return true;
  AppendJsonString(text_, kMask);
  return false;
}

LogFields& LogFields::Str(std::string_view name, std::string_view value) {
  if (Begin(name)) AppendRedactedString(text_, value);
  return *this;
}

LogFields& LogFields::Int(std::string_view name, int64_t value) {
  if (Begin(name)) AppendJsonInt(text_, value);
  return *this;
}

LogFields& LogFields::Num(std::string_view name, double value) {
  if (Begin(name)) AppendJsonDouble(text_, value);
  return *this;
}

LogFields& LogFields::Bool(std::string_view name, bool value) {
  // Booleans are never masked (as with the nlohmann API): they cannot hold a secret.
  if (Reserved(name)) return *this;
  text_.push_back(',');
  AppendJsonString(text_, name);
  text_ += value ? ":true" : ":false";
  return *this;
}

void Log(LogLevel level, std::string_view request_id, std::string_view msg, nlohmann::json fields) {
  if (!LogEnabled(level)) return;
  std::string& line = BeginLine(level, request_id, msg);
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (Reserved(it.key())) continue;
      line.push_back(',');
      AppendJsonString(line, it.key());
      line.push_back(':');
      if (IsSecretFieldName(it.key()) && !it.value().is_null() && !it.value().is_boolean()) {
        AppendJsonString(line, kMask);
      } else {
        AppendValue(line, it.value());
      }
    }
  }
  Emit(level, line);
}

void Log(LogLevel level, std::string_view request_id, std::string_view msg,
         const LogFields& fields) {
  if (!LogEnabled(level)) return;
  std::string& line = BeginLine(level, request_id, msg);
  line += fields.text();
  Emit(level, line);
}

}  // namespace ragd
