// S3Client construction, request targets, signing and the retry loop.
#include "aws/s3_client.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "aws/s3_client_internal.h"
#include "aws/sigv4.h"
#include "core/crypto.h"
#include "core/log.h"

namespace ragd {
namespace {

// Error responses are short XML documents; a streamed body keeps this much for reading them.
constexpr size_t kErrorCaptureLimit = size_t{64} * 1024;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsValidRegion(std::string_view region) {
  return !region.empty() && region.size() <= 64 &&
         std::all_of(region.begin(), region.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

// "1.2.3.4", "[::1]" (ports already removed).
bool IsIpLiteral(std::string_view host) {
  if (!host.empty() && host.front() == '[') return true;
  return !host.empty() && std::all_of(host.begin(), host.end(),
                                      [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::string_view HostWithoutPort(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(0, close + 1);
  }
  return authority.substr(0, authority.find(':'));
}

// A bucket usable as a DNS label (RFC 1123 rules S3 applies); dots allowed only when
// `allow_dots` (over HTTPS they break the *.s3 wildcard certificate).
bool IsVirtualHostableBucket(std::string_view bucket, bool allow_dots) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  if (!IsLowerAlnum(bucket.front()) || !IsLowerAlnum(bucket.back())) return false;
  if (bucket.find("..") != std::string_view::npos) return false;
  if (IsIpLiteral(bucket)) return false;
  return std::all_of(bucket.begin(), bucket.end(), [allow_dots](char c) {
    return IsLowerAlnum(c) || c == '-' || (c == '.' && allow_dots);
  });
}

struct ParsedEndpoint {
  std::string scheme, host, path;
};

StatusOr<ParsedEndpoint> ParseEndpoint(const S3ClientOptions& options) {
  ParsedEndpoint out;
  if (options.endpoint.empty()) {
    const bool china = options.region.starts_with("cn-");
    out.scheme = "https";
    out.host = "s3." + options.region + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
    return out;
  }
  std::string_view rest = options.endpoint;
  const size_t sep = rest.find("://");
  if (sep == std::string_view::npos) {
    return InvalidArgumentError("S3 endpoint must look like scheme://host[:port][/path]");
  }
  out.scheme = std::string(rest.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") {
    return InvalidArgumentError("S3 endpoint scheme must be http or https");
  }
  rest.remove_prefix(sep + 3);
  const size_t slash = rest.find('/');
  out.host = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) out.path = std::string(rest.substr(slash));
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  if (out.host.empty() || options.endpoint.find_first_of("?#@ \t\r\n") != std::string::npos) {
    return InvalidArgumentError("S3 endpoint must look like scheme://host[:port][/path]");
  }
  return out;
}

}  // namespace

AwsCredentialsSource FixedAwsCredentials(AwsCredentials credentials) {
  return
      [credentials = std::move(credentials)]() -> StatusOr<AwsCredentials> { return credentials; };
}

StatusOr<std::unique_ptr<S3Client>> S3Client::Create(S3ClientOptions options,
                                                     HttpTransport& transport, Clock& clock,
                                                     AwsCredentialsSource credentials) {
  if (!IsValidRegion(options.region)) {
    return InvalidArgumentError("S3 region must be non-empty lower-case letters, digits and '-'");
  }
  if (!credentials) return InvalidArgumentError("S3 client needs a credentials source");
  if (options.part_size < kS3MinPartSize) {
    return InvalidArgumentError("S3 part_size must be at least 5 MiB");
  }
  if (options.max_retries < 0) return InvalidArgumentError("S3 max_retries must be >= 0");
  RAGD_ASSIGN_OR_RETURN(ParsedEndpoint endpoint, ParseEndpoint(options));
  return std::unique_ptr<S3Client>(
      new S3Client(std::move(options), transport, clock, std::move(credentials),
                   std::move(endpoint.scheme), std::move(endpoint.host), std::move(endpoint.path)));
}

S3Client::S3Client(S3ClientOptions options, HttpTransport& transport, Clock& clock,
                   AwsCredentialsSource credentials, std::string endpoint_scheme,
                   std::string endpoint_host, std::string endpoint_path)
    : options_(std::move(options)),
      transport_(transport),
      clock_(clock),
      credentials_(std::move(credentials)),
      endpoint_scheme_(std::move(endpoint_scheme)),
      endpoint_host_(std::move(endpoint_host)),
      endpoint_path_(std::move(endpoint_path)) {}

StatusOr<S3Target> S3Client::Target(std::string_view bucket, std::string_view key) const {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, key, /*key_required=*/false));
  const bool https = endpoint_scheme_ == "https";
  bool virtual_hosted = false;
  switch (options_.addressing_style) {
    case S3AddressingStyle::kPath:
      break;
    case S3AddressingStyle::kVirtualHosted:
      if (!IsVirtualHostableBucket(bucket, /*allow_dots=*/true)) {
        return InvalidArgumentError("S3 bucket '" + std::string(bucket) +
                                    "' cannot be addressed virtual-hosted style");
      }
      virtual_hosted = true;
      break;
    case S3AddressingStyle::kAuto: {
      const std::string_view host = HostWithoutPort(endpoint_host_);
      virtual_hosted = IsVirtualHostableBucket(bucket, /*allow_dots=*/!https) &&
                       !IsIpLiteral(host) && host != "localhost";
      break;
    }
  }
  S3Target target;
  target.scheme = endpoint_scheme_;
  if (virtual_hosted) {
    target.host = std::string(bucket) + "." + endpoint_host_;
    target.path = endpoint_path_ + "/" + UriEncodePath(key);
  } else {
    target.host = endpoint_host_;
    target.path = endpoint_path_ + "/" + UriEncode(bucket);
    if (!key.empty()) target.path += "/" + UriEncodePath(key);
  }
  return target;
}

std::chrono::milliseconds S3Client::BackoffDelay(int retry) const {
  // Exponential, capped, with "equal jitter": half the step fixed, half random, so retries from
  // many clients spread out but never collapse to zero.
  const int64_t base = std::max<int64_t>(options_.retry_base_delay.count(), 1);
  const int64_t cap = std::max<int64_t>(options_.retry_max_delay.count(), base);
  const int64_t step = std::min(cap, base << std::min(retry, 20));
  uint32_t random = 0;
  const std::string bytes = RandomBytes(sizeof(random));
  std::memcpy(&random, bytes.data(), sizeof(random));
  const int64_t half = step / 2;
  return std::chrono::milliseconds(half + static_cast<int64_t>(random % (step - half + 1)));
}

StatusOr<HttpResponse> S3Client::Attempt(const Call& call, const S3Target& target,
                                         bool* transport_error) {
  *transport_error = false;
  StatusOr<AwsCredentials> credentials = credentials_();
  if (!credentials.ok()) return credentials.status().WithContext("credentials");

  SignableRequest to_sign;
  to_sign.method = call.method;
  to_sign.scheme = target.scheme;
  to_sign.path = target.path;
  to_sign.query = call.query;
  to_sign.headers.reserve(call.headers.size() + 1);
  to_sign.headers.emplace_back("Host", target.host);
  to_sign.headers.insert(to_sign.headers.end(), call.headers.begin(), call.headers.end());
  to_sign.body = call.body;
  to_sign.payload_hash = call.payload_hash;
  RAGD_ASSIGN_OR_RETURN(
      HeaderSigningResult signed_headers,
      SignHeaders(to_sign, *credentials, S3SigningOptions(options_.region, clock_.Now())));

  HttpRequest request;
  request.method = call.method;
  request.url = target.Url();
  if (!call.query.empty()) request.url += "?" + S3WireQuery(call.query);
  request.headers = std::move(to_sign.headers);
  request.headers.insert(request.headers.end(), signed_headers.headers_to_add.begin(),
                         signed_headers.headers_to_add.end());
  request.body = std::string(call.body);
  request.body_file = call.body_file;
  request.connect_timeout = options_.connect_timeout;
  request.timeout = call.transfer ? std::chrono::milliseconds(0) : options_.request_timeout;
  request.idle_timeout = options_.idle_timeout;

  if (call.reset_sink) RAGD_RETURN_IF_ERROR(call.reset_sink());
  *transport_error = true;
  if (!call.on_body) return transport_.Send(request);
  std::string captured;
  StatusOr<HttpResponse> response = transport_.SendStreaming(request, [&](std::string_view chunk) {
    if (captured.size() < kErrorCaptureLimit) {
      captured.append(chunk.substr(0, kErrorCaptureLimit - captured.size()));
    }
    return call.on_body(chunk);
  });
  if (response.ok() && (response->status < 200 || response->status > 299)) {
    response->body = std::move(captured);
  }
  return response;
}

StatusOr<HttpResponse> S3Client::Execute(const Call& call) {
  const std::string resource = S3Resource(call.bucket, call.key);
  const std::string context = "S3 " + std::string(call.op) + " " + resource;
  RAGD_ASSIGN_OR_RETURN(S3Target target, Target(call.bucket, call.key));
  for (int attempt = 0;; ++attempt) {
    bool transport_error = false;
    StatusOr<HttpResponse> response = Attempt(call, target, &transport_error);
    Status error;
    bool retryable = false;
    std::string code;
    if (!response.ok()) {
      error = response.status().WithContext(context);
      // Only the transport's "could not connect / connection dropped" is transient; signing,
      // credential and local file errors are not (the credentials chain retries on its own).
      retryable = transport_error && response.status().code() == StatusCode::kUnavailable;
      code = std::string(StatusCodeName(response.status().code()));
    } else {
      const HttpResponse& r = *response;
      const bool success = r.status >= 200 && r.status <= 299;
      if (success && !(call.error_may_hide_in_200 && IsS3ErrorXml(r.body))) return response;
      code = ParseS3ErrorXml(r.body).code;
      error = S3ErrorStatus(call.op, resource, r.status, r.headers, r.body);
      retryable = IsRetryableS3Error(r.status, code);
    }
    if (!retryable || attempt >= options_.max_retries) return error;
    const std::chrono::milliseconds delay = BackoffDelay(attempt);
    Log(LogLevel::kWarn, "-", "s3 request failed; retrying",
        {{"op", std::string(call.op)},
         {"attempt", attempt + 1},
         {"code", code},
         {"http_status", response.ok() ? response->status : 0},
         {"delay_ms", delay.count()}});
    clock_.SleepFor(delay);
  }
}

}  // namespace ragd
