// Structured JSON logs: one object per line on stderr (or a sink set by tests), e.g.
//   {"ts":"2026-11-23T10:00:00.123Z","level":"info","request_id":"r-1a2b","msg":"request",
//    "method":"GET","route":"/v1/bots/{bot}","status":200,"ms":1.2}
//
// Every line carries "request_id": the id of the HTTP request (or job) it belongs to, or "-" for
// process-level lines. Secrets never reach the output: every message and string field passes
// through Redact(), and fields whose names look secret (key, secret, token, password,
// authorization, signature, credential) are replaced wholesale.
//
// Output (core/log_output.h): lines are handed to one background writer thread that writes what
// has piled up in one write(2); warn and error lines are written before Log() returns, everything
// else within milliseconds and at exit. Hot paths (the access log) use the allocation-light
// LogFields overload in core/log_fields.h, formatted directly by core/log_format.h.
//
// Thread safety: all functions may be called concurrently; lines are written whole and in order.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ragd {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug" | "info" | "warn" | "error".
bool ParseLogLevel(std::string_view name, LogLevel* out);
void SetLogLevel(LogLevel level);
// True when lines at `level` are written (check before building expensive fields).
bool LogEnabled(LogLevel level);
// Replaces the output (default: stderr). Used by tests to capture lines; pass nullptr to restore.
void SetLogSink(std::function<void(std::string_view line)> sink);

// Writes one line if `level` is enabled. `fields` must be a JSON object (or null).
void Log(LogLevel level, std::string_view request_id, std::string_view msg,
         nlohmann::json fields = nullptr);

// Masks secrets inside free text: ragd API keys (rgd_...), "Authorization: ..." values, presigned
// query parameters (X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token), and AWS
// secret-looking assignments (aws_secret_access_key=...). Idempotent.
std::string Redact(std::string_view text);

// Binds a request id so call sites stay short. Cheap to copy.
class Logger {
 public:
  explicit Logger(std::string request_id = "-") : request_id_(std::move(request_id)) {}
  const std::string& request_id() const { return request_id_; }
  void Debug(std::string_view msg, nlohmann::json fields = nullptr) const {
    Log(LogLevel::kDebug, request_id_, msg, std::move(fields));
  }
  void Info(std::string_view msg, nlohmann::json fields = nullptr) const {
    Log(LogLevel::kInfo, request_id_, msg, std::move(fields));
  }
  void Warn(std::string_view msg, nlohmann::json fields = nullptr) const {
    Log(LogLevel::kWarn, request_id_, msg, std::move(fields));
  }
  void Error(std::string_view msg, nlohmann::json fields = nullptr) const {
    Log(LogLevel::kError, request_id_, msg, std::move(fields));
  }

 private:
  std::string request_id_;
};

}  // namespace ragd
