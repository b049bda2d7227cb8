// Building blocks of the JSON log line, formatted straight into a string (no JSON tree): string
// escaping identical to nlohmann::json::dump(-1, ' ', false, error_handler_t::replace), numbers,
// the timestamp, and the secret checks. Used by core/log.cc; exposed so tests can compare the
// output with nlohmann's.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ragd {

// Appends `text` as a JSON string literal, quotes included: '"' and '\\' escaped, \b \f \n \r \t,
// other control characters as \u00xx, everything else (UTF-8 included) verbatim; invalid UTF-8
// becomes U+FFFD exactly where nlohmann's dump (error_handler_t::replace) puts it.
void AppendJsonString(std::string& out, std::string_view text);

// Appends a JSON number. Doubles use the shortest round-trip digits in nlohmann's layout
// ("1.0", "0.25", "1e+20"); NaN and infinities become null, as with nlohmann.
void AppendJsonInt(std::string& out, int64_t value);
void AppendJsonDouble(std::string& out, double value);

// Appends the current UTC time as "2026-11-23T10:00:00.123Z" (no quotes). The date part is cached
// per thread and recomputed once a second.
void AppendUtcMillis(std::string& out);

// True when a field with this name holds a secret: one of its words (split on '_', '-', '.') is
// key, apikey, secret, token, password, authorization, signature, credential(s) or cookie, and
// the last word is not "id" ("api_key" and "session-token" are secret; "key_id" and
// "max_tokens" are not). Case-insensitive; does not allocate.
bool IsSecretFieldName(std::string_view name);

// False when `text` cannot contain anything Redact() would mask (the common case; no allocation).
bool MayHoldSecret(std::string_view text);

}  // namespace ragd
