// The one error shape every route returns:
//   {"error": {"code": "not_found", "message": "...", "request_id": "..."}}
// with the HTTP status derived from the Status code (and ErrorKind for 413/415/422).
#pragma once

#include <string>
#include <string_view>

#include "api/http.h"
#include "core/status.h"

namespace ragd {

int HttpStatusFor(const Status& status);
// Snake-case code for the body: "invalid_argument", "unauthenticated", "payload_too_large", ...
std::string ErrorCodeFor(int http_status);

Response ErrorResponse(const Status& status, const std::string& request_id);
Response ErrorResponse(int http_status, std::string_view message, const std::string& request_id);

}  // namespace ragd
