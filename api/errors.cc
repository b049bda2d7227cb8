#include "api/errors.h"

#include "core/log.h"

namespace ragd {

int HttpStatusFor(const Status& status) {
  switch (status.kind()) {
    case ErrorKind::kTooLarge:
      return 413;
    case ErrorKind::kUnsupportedMediaType:
      return 415;
    case ErrorKind::kUnprocessable:
      return 422;
    case ErrorKind::kNone:
      break;
  }
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kCancelled:
      return 499;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kUnknown:
    case StatusCode::kInternal:
    case StatusCode::kDataLoss:
      return 500;
  }
  return 500;
}

std::string ErrorCodeFor(int http_status) {
  switch (http_status) {
    case 400:
      return "invalid_argument";
    case 401:
      return "unauthenticated";
    case 403:
      return "permission_denied";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 408:
      return "request_timeout";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 422:
      return "unprocessable_entity";
    case 429:
      return "rate_limited";
    case 431:
      return "headers_too_large";
    case 499:
      return "cancelled";
    case 501:
      return "not_implemented";
    case 503:
      return "unavailable";
    case 504:
      return "deadline_exceeded";
    default:
      return http_status >= 500 ? "internal" : "error";
  }
}

Response ErrorResponse(int http_status, std::string_view message, const std::string& request_id) {
  nlohmann::json body = {{"error",
                          {{"code", ErrorCodeFor(http_status)},
                           {"message", Redact(message)},
                           {"request_id", request_id}}}};
  Response r = Response::Json(http_status, body);
  if (http_status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"ragd\"");
  return r;
}

Response ErrorResponse(const Status& status, const std::string& request_id) {
  const int http = HttpStatusFor(status);
  // Internal details stay in the logs; the client gets a generic message and the request id.
  if (http == 500) return ErrorResponse(500, "internal error (see server logs)", request_id);
  return ErrorResponse(http, status.message(), request_id);
}

}  // namespace ragd
