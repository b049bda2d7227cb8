#include "api/json_body.h"

namespace ragd {

StatusOr<nlohmann::json> ParseJsonObject(const Request& request) {
  const std::string type = request.Header("content-type").value_or("");
  const std::string media = type.substr(0, type.find(';'));
  if (media != "application/json") {
    return UnsupportedMediaTypeError("expected Content-Type: application/json");
  }
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    // Re-parse for the position; exceptions stay inside this function.
    try {
      nlohmann::json ignored = nlohmann::json::parse(request.body);
      (void)ignored;
    } catch (const nlohmann::json::parse_error& e) {
      return InvalidArgumentError("malformed JSON body at byte " + std::to_string(e.byte));
    }
    return InvalidArgumentError("malformed JSON body");
  }
  if (!body.is_object()) return InvalidArgumentError("the JSON body must be an object");
  return body;
}

StatusOr<std::string> StringField(const nlohmann::json& body, const std::string& field,
                                  const std::string& fallback) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_string()) return UnprocessableError(field, "must be a string");
  return it->get<std::string>();
}

StatusOr<std::string> RequiredString(const nlohmann::json& body, const std::string& field) {
  RAGD_ASSIGN_OR_RETURN(std::string value, StringField(body, field, ""));
  if (value.empty()) return UnprocessableError(field, "is required");
  return value;
}

StatusOr<int> IntQueryParam(const Request& request, const char* name, int fallback, int lo,
                            int hi) {
  std::optional<std::string> v = request.QueryParam(name);
  if (!v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || x < lo || x > hi) {
    return UnprocessableError(
        name, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return static_cast<int>(x);
}

}  // namespace ragd
