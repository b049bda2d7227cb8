// Fields for hot-path log lines (the access log), formatted as they are added: no nlohmann tree.
//
//   LogFields fields;
//   fields.Str("method", method).Int("status", 200).Num("ms", 1.25);
//   Log(LogLevel::kInfo, request_id, "request", fields);
//
// The line has the same shape as with the nlohmann overload of Log (core/log.h): ts, level,
// request_id and msg, then the fields in the order added. The same redaction applies: string
// values pass through Redact(), and values of secret-looking names (IsSecretFieldName) become
// "[REDACTED]" (booleans excepted). Fields named ts, level, request_id or msg are ignored; names
// must be distinct. Check LogEnabled() before building fields.
//
// Thread safety: a LogFields is used by one thread; Log may be called concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/log.h"

namespace ragd {

class LogFields {
 public:
  LogFields() { text_.reserve(160); }
  LogFields& Str(std::string_view name, std::string_view value);
  LogFields& Int(std::string_view name, int64_t value);
  LogFields& Num(std::string_view name, double value);
  LogFields& Bool(std::string_view name, bool value);
  // The formatted fields: ',"name":value' for each.
  std::string_view text() const { return text_; }

 private:
  bool Begin(std::string_view name);  // false: the value is already written (masked) or skipped
  std::string text_;
};

// Writes one line if `level` is enabled.
void Log(LogLevel level, std::string_view request_id, std::string_view msg,
         const LogFields& fields);

}  // namespace ragd
