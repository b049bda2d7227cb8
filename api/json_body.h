// Parsing request bodies at the edge: JSON only, with errors a client can act on.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api/http.h"
#include "core/status.h"

namespace ragd {

// 415 unless Content-Type is application/json; 400 with the parse position if malformed;
// 400 unless the top level is an object.
StatusOr<nlohmann::json> ParseJsonObject(const Request& request);

// Typed field access; absent -> `fallback`, wrong type -> 422 naming the field.
StatusOr<std::string> StringField(const nlohmann::json& body, const std::string& field,
                                  const std::string& fallback);
// Integer query parameter `name` in [lo, hi]; absent -> `fallback`; otherwise 422 naming it.
StatusOr<int> IntQueryParam(const Request& request, const char* name, int fallback, int lo, int hi);

// Required string field: absent or empty -> 422.
StatusOr<std::string> RequiredString(const nlohmann::json& body, const std::string& field);

}  // namespace ragd
