// One error model for every ragd module: ragd::Status and ragd::StatusOr<T>.
//
// Expected failures are values, never exceptions. Third-party exceptions (Faiss, JSON, poppler) are
// caught at the wrapper that calls the library and turned into a Status there.
//
// The codes are absl's/gRPC's canonical codes. (Debian's absl is built with its own string_view,
// which does not interoperate with std::string_view, so ragd keeps this small type of its own.) A
// few HTTP-visible distinctions the canonical codes lack (payload too large, unsupported media
// type, unprocessable entity) are carried as an ErrorKind so the API layer can pick the exact HTTP
// status.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ragd {

enum class StatusCode {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// Refinements of the canonical codes.
enum class ErrorKind {
  kNone,
  kTooLarge,              // HTTP 413; code kResourceExhausted
  kUnsupportedMediaType,  // HTTP 415; code kInvalidArgument
  kUnprocessable,         // HTTP 422; code kInvalidArgument (well-formed request, bad values)
};

std::string_view StatusCodeName(StatusCode code);  // "INVALID_ARGUMENT", ...

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string_view message, ErrorKind kind = ErrorKind::kNone)
      : code_(code), kind_(kind), message_(message) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  // "NOT_FOUND: no such bot" (or "OK").
  std::string ToString() const;
  // Returns a copy whose message is "<prefix>: <message>"; OK stays OK.
  Status WithContext(std::string_view prefix) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.kind_ == b.kind_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  ErrorKind kind_ = ErrorKind::kNone;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
Status CancelledError(std::string_view message);
Status UnknownError(std::string_view message);
Status InvalidArgumentError(std::string_view message);
Status DeadlineExceededError(std::string_view message);
Status NotFoundError(std::string_view message);
Status AlreadyExistsError(std::string_view message);
Status PermissionDeniedError(std::string_view message);
Status ResourceExhaustedError(std::string_view message);
Status FailedPreconditionError(std::string_view message);
Status AbortedError(std::string_view message);
Status OutOfRangeError(std::string_view message);
Status UnimplementedError(std::string_view message);
Status InternalError(std::string_view message);
Status UnavailableError(std::string_view message);
Status DataLossError(std::string_view message);
Status UnauthenticatedError(std::string_view message);
Status TooLargeError(std::string_view message);
Status UnsupportedMediaTypeError(std::string_view message);
// `field` names the offending field (e.g. "generation.temperature"); the message becomes
// "<field>: <message>".
Status UnprocessableError(std::string_view field, std::string_view message);

// A value or the reason there is none. Accessing value() of a non-OK StatusOr aborts.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const T& value) : rep_(value) {}                            // NOLINT: implicit by design
  StatusOr(T&& value) : rep_(std::move(value)) {}                      // NOLINT
  StatusOr(Status status) : rep_(std::move(status)) { CheckNotOk(); }  // NOLINT
  template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, StatusOr>>>
  StatusOr(U&& value) : rep_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return rep_.index() == 1; }
  Status status() const& { return ok() ? Status() : std::get<0>(rep_); }
  Status status() && { return ok() ? Status() : std::move(std::get<0>(rep_)); }

  const T& value() const& {
    CheckOk();
    return std::get<1>(rep_);
  }
  T& value() & {
    CheckOk();
    return std::get<1>(rep_);
  }
  T&& value() && {
    CheckOk();
    return std::move(std::get<1>(rep_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  void CheckOk() const {
    if (!ok()) std::abort();
  }
  void CheckNotOk() {
    if (std::get<0>(rep_).ok()) rep_ = Status(StatusCode::kInternal, "OK status in StatusOr");
  }
  std::variant<Status, T> rep_;
};

}  // namespace ragd

#define RAGD_STATUS_CONCAT_INNER_(a, b) a##b
#define RAGD_STATUS_CONCAT_(a, b) RAGD_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define RAGD_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::ragd::Status ragd_status_ = (expr);        \
    if (!ragd_status_.ok()) return ragd_status_; \
  } while (0)

// `lhs` = value of `rexpr` (a StatusOr<T>), or returns its status from the enclosing function.
#define RAGD_ASSIGN_OR_RETURN(lhs, rexpr) \
  RAGD_ASSIGN_OR_RETURN_IMPL_(RAGD_STATUS_CONCAT_(ragd_statusor_, __LINE__), lhs, rexpr)
#define RAGD_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()
