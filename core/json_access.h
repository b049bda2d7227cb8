// Reading fields of JSON from other systems (Bedrock, OpenAI-compatible servers, S3 events)
// without exceptions: a missing member or one of the wrong type reads as absent.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace ragd {

// The string member `key` of `object`; nullopt when `object` is not an object, the member is
// missing or not a string.
std::optional<std::string> JsonStringMember(const nlohmann::json& object, std::string_view key);
// The integer member `key`, or 0 under the same conditions.
int64_t JsonIntMember(const nlohmann::json& object, std::string_view key);
// The member `key` (any type), or a null value.
const nlohmann::json& JsonMember(const nlohmann::json& object, std::string_view key);

}  // namespace ragd
