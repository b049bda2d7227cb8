#include "core/json_access.h"

namespace ragd {

std::optional<std::string> JsonStringMember(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& member = JsonMember(object, key);
  if (!member.is_string()) return std::nullopt;
  return member.get<std::string>();
}

int64_t JsonIntMember(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& member = JsonMember(object, key);
  return member.is_number_integer() ? member.get<int64_t>() : 0;
}

const nlohmann::json& JsonMember(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

}  // namespace ragd
