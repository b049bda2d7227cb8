// Authentication of uploads to the local object endpoint: SigV4 presigned query or Authorization
// header, with S3's error codes. Part of PlanUpload (api/object_upload.h).
#include <algorithm>

#include "api/object_upload.h"
#include "aws/sigv4_verify.h"
#include "aws/sigv4_verify_headers.h"
#include "core/clock.h"

namespace ragd {
namespace {

constexpr std::chrono::seconds kMaxSkew{900};  // S3's 15 minutes

const char* const kQueryAuthParams[] = {"X-Amz-Algorithm",     "X-Amz-Credential",
                                        "X-Amz-Date",          "X-Amz-Expires",
                                        "X-Amz-SignedHeaders", "X-Amz-Signature"};

S3Error AccessDenied(std::string message) { return {403, "AccessDenied", std::move(message), {}}; }

S3Error SignatureMismatch(const std::string& access_key_id, const StatusOr<SigV4Details>& details) {
  S3Error e{403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            {{"AWSAccessKeyId", access_key_id}}};
  // What ragd signed (no secret in it), so a client can diff it against its own.
  if (details.ok()) {
    e.details.emplace_back("StringToSign", details->string_to_sign);
    e.details.emplace_back("CanonicalRequest", details->canonical_request);
  }
  return e;
}

S3Error InvalidAccessKey(const std::string& access_key_id) {
  return {403,
          "InvalidAccessKeyId",
          "The AWS Access Key Id you provided does not exist in our records.",
          {{"AWSAccessKeyId", access_key_id}}};
}

std::optional<S3Error> CheckUnsignedAmzHeaders(const Request& head,
                                               const std::vector<std::string>& signed_headers) {
  const std::vector<std::string> unsigned_headers =
      UnsignedAmzHeaders(head.headers, signed_headers);
  if (unsigned_headers.empty()) return std::nullopt;
  std::string list;
  for (const std::string& name : unsigned_headers) list += (list.empty() ? "" : ",") + name;
  S3Error e = AccessDenied("There were headers present in the request which were not signed");
  e.details.emplace_back("HeadersNotSigned", list);
  return e;
}

std::optional<S3Error> VerifyPresigned(const ApiContext& ctx, const Request& head,
                                       const QueryParams& query) {
  StatusOr<PresignedAuth> auth = ParsePresignedAuth(query);
  if (!auth.ok()) {
    return S3Error{400, "AuthorizationQueryParametersError", auth.status().message(), {}};
  }
  const std::string& region = ctx.config->objects_region;
  if (auth->region != region) {
    return S3Error{400,
                   "AuthorizationQueryParametersError",
                   "Error parsing the X-Amz-Credential parameter; the region '" + auth->region +
                       "' is wrong; expecting '" + region + "'",
                   {{"Region", region}}};
  }
  if (auth->service != "s3") {
    return S3Error{400,
                   "AuthorizationQueryParametersError",
                   "Error parsing the X-Amz-Credential parameter; incorrect service '" +
                       auth->service + "'. This endpoint belongs to 's3'.",
                   {}};
  }
  const auto now = ctx.clock->Now();
  if (now < auth->signed_at - kMaxSkew) return AccessDenied("Request is not valid yet");
  if (now > auth->signed_at + auth->expires) {
    S3Error e = AccessDenied("Request has expired");
    e.details.emplace_back("X-Amz-Expires", std::to_string(auth->expires.count()));
    e.details.emplace_back("Expires", FormatRfc3339(auth->signed_at + auth->expires));
    e.details.emplace_back("ServerTime", FormatRfc3339(now));
    return e;
  }
  const AwsCredentials& credentials = ctx.object_credentials;
  if (auth->access_key_id != credentials.access_key_id) {
    return InvalidAccessKey(auth->access_key_id);
  }
  if (auto e = CheckUnsignedAmzHeaders(head, auth->signed_headers)) return e;

  SignableRequest request;
  request.method = head.method;
  request.path = head.path;
  request.query = query;
  request.headers = head.headers;
  request.payload_hash = std::string(kUnsignedPayload);
  PresignVerifyOptions options;
  options.region = region;
  options.max_clock_skew = kMaxSkew;
  const Status verified = VerifyPresignedRequest(
      request, options,
      [&credentials](std::string_view id) -> StatusOr<AwsCredentials> {
        if (id != credentials.access_key_id) return NotFoundError("unknown access key");
        return credentials;
      },
      now);
  if (verified.ok()) return std::nullopt;
  return SignatureMismatch(
      auth->access_key_id,
      ComputePresignedSignature(request, *auth, credentials.secret_access_key,
                                options.uri_encode_path, options.normalize_path));
}

std::optional<S3Error> VerifyHeaderSigned(const ApiContext& ctx, const Request& head,
                                          const QueryParams& query) {
  if (!head.Header("x-amz-date")) {
    return AccessDenied("AWS authentication requires a valid Date or x-amz-date header");
  }
  StatusOr<HeaderAuth> auth = ParseHeaderAuth(head.headers);
  if (!auth.ok()) {
    return S3Error{400,
                   "AuthorizationHeaderMalformed",
                   "The authorization header is malformed; " + auth.status().message(),
                   {}};
  }
  const std::string& region = ctx.config->objects_region;
  if (auth->region != region) {
    return S3Error{400,
                   "AuthorizationHeaderMalformed",
                   "The authorization header is malformed; the region '" + auth->region +
                       "' is wrong; expecting '" + region + "'",
                   {{"Region", region}}};
  }
  if (auth->service != "s3") {
    return S3Error{400,
                   "AuthorizationHeaderMalformed",
                   "The authorization header is malformed; incorrect service '" + auth->service +
                       "'. This endpoint belongs to 's3'.",
                   {}};
  }
  const auto now = ctx.clock->Now();
  if (now < auth->signed_at - kMaxSkew || now > auth->signed_at + kMaxSkew) {
    return S3Error{403,
                   "RequestTimeTooSkewed",
                   "The difference between the request time and the current time is too large.",
                   {{"RequestTime", auth->amz_date},
                    {"ServerTime", FormatRfc3339(now)},
                    {"MaxAllowedSkewMilliseconds", std::to_string(kMaxSkew.count() * 1000)}}};
  }
  const AwsCredentials& credentials = ctx.object_credentials;
  if (auth->access_key_id != credentials.access_key_id) {
    return InvalidAccessKey(auth->access_key_id);
  }
  if (auth->content_sha256.empty()) {
    return S3Error{400,
                   "InvalidRequest",
                   "Missing required header for this request: x-amz-content-sha256",
                   {}};
  }
  if (!IsValidContentSha256(auth->content_sha256)) {
    return S3Error{
        400,
        "InvalidArgument",
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value or a "
        "valid sha256 value.",
        {{"ArgumentName", "x-amz-content-sha256"}, {"ArgumentValue", auth->content_sha256}}};
  }
  if (auto e = CheckUnsignedAmzHeaders(head, auth->signed_headers)) return e;

  SignableRequest request;
  request.method = head.method;
  request.path = head.path;
  request.query = query;
  request.headers = head.headers;
  HeaderVerifyOptions options;
  options.region = region;
  options.max_clock_skew = kMaxSkew;
  const Status verified = VerifyHeaderSignedRequest(
      request, options,
      [&credentials](std::string_view id) -> StatusOr<AwsCredentials> {
        if (id != credentials.access_key_id) return NotFoundError("unknown access key");
        return credentials;
      },
      now);
  if (verified.ok()) return std::nullopt;
  return SignatureMismatch(auth->access_key_id,
                           ComputeHeaderSignature(request, *auth, credentials.secret_access_key,
                                                  options.uri_encode_path, options.normalize_path));
}

}  // namespace

bool IsValidContentSha256(std::string_view value) {
  if (value == kUnsignedPayload || value.starts_with("STREAMING-")) return true;
  return value.size() == 64 && std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::optional<S3Error> AuthenticateUpload(const ApiContext& ctx, const Request& head,
                                          const QueryParams& query) {
  const bool query_auth = std::any_of(query.begin(), query.end(), [](const auto& param) {
    return std::find(std::begin(kQueryAuthParams), std::end(kQueryAuthParams), param.first) !=
           std::end(kQueryAuthParams);
  });
  const bool header_auth = head.Header("authorization").has_value();
  if (query_auth && header_auth) {
    return S3Error{400,
                   "InvalidArgument",
                   "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                   "Signature query string parameter or the Authorization header should be "
                   "specified",
                   {{"ArgumentName", "Authorization"}}};
  }
  if (query_auth) return VerifyPresigned(ctx, head, query);
  if (header_auth) return VerifyHeaderSigned(ctx, head, query);
  return AccessDenied("Access Denied");
}

}  // namespace ragd
