// The HTTP links of the credentials chain: the container endpoint and EC2 IMDSv2.
#include <cctype>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "aws/credentials.h"
#include "aws/credentials_internal.h"

namespace ragd {
namespace credentials_internal {
namespace {

constexpr std::string_view kContainerHost = "http://169.254.170.2";
constexpr std::string_view kImdsIpv4 = "http://169.254.169.254";
constexpr std::string_view kImdsIpv6 = "http://[fd00:ec2::254]";
constexpr std::string_view kImdsCredentialsPath = "/latest/meta-data/iam/security-credentials/";

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsDecimalOctet(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  int value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && end == s.data() + s.size() && value <= 255;
}

// 127.0.0.0/8 written as four decimal octets.
bool IsLoopbackIpv4(std::string_view host) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t dot; (dot = host.find('.', start)) != std::string_view::npos; start = dot + 1) {
    parts.push_back(host.substr(start, dot - start));
  }
  parts.push_back(host.substr(start));
  if (parts.size() != 4 || parts[0] != "127") return false;
  for (std::string_view p : parts) {
    if (!IsDecimalOctet(p)) return false;
  }
  return true;
}

struct ParsedUrl {
  std::string scheme;  // lower-case
  std::string host;    // lower-case; IPv6 literals keep their brackets
};

StatusOr<ParsedUrl> ParseUrl(std::string_view url) {
  size_t colon = url.find("://");
  if (colon == std::string_view::npos) return InvalidArgumentError("not an absolute URL");
  ParsedUrl parsed{Lower(url.substr(0, colon)), ""};
  std::string_view authority = url.substr(colon + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  // URL parsers disagree about backslashes, spaces and control characters in the authority; the
  // allow-list must judge the host curl will connect to, so refuse them.
  for (char c : authority) {
    if (c == '\\' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return InvalidArgumentError("URL authority has invalid characters");
    }
  }
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgumentError("malformed IPv6 host");
    parsed.host = Lower(authority.substr(0, close + 1));
  } else {
    parsed.host = Lower(authority.substr(0, authority.find(':')));
  }
  if (parsed.host.empty()) return InvalidArgumentError("URL has no host");
  for (char c : parsed.host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("-._[]:").find(c) == std::string_view::npos) {
      return InvalidArgumentError("URL host has invalid characters");
    }
  }
  if (parsed.scheme != "http" && parsed.scheme != "https") {
    return InvalidArgumentError("scheme must be http or https");
  }
  return parsed;
}

// The SDK rule (@aws-sdk/credential-provider-http checkUrl).
bool IsAllowedContainerHost(const ParsedUrl& url) {
  if (url.scheme == "https") return true;
  const std::string& h = url.host;
  return h == "169.254.170.2" || h == "169.254.170.23" || h == "[fd00:ec2::23]" || h == "[::1]" ||
         h == "[0000:0000:0000:0000:0000:0000:0000:0001]" || h == "localhost" || IsLoopbackIpv4(h);
}

// The Authorization value for the container endpoint: the token file (re-read on every fetch,
// since the agent rotates it) wins over the token variable.
StatusOr<std::optional<std::string>> ContainerAuthorization(const EnvLookup& env) {
  std::optional<std::string> token;
  if (auto path = GetNonEmpty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    std::ifstream in(*path, std::ios::binary);
    if (!in) {
      return FailedPreconditionError("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (" +
                                     *path + ")");
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    token = contents.str();
    // A trailing newline from `echo` is not part of the token.
    while (!token->empty() && (token->back() == '\n' || token->back() == '\r')) token->pop_back();
  } else {
    token = GetNonEmpty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (token && token->find_first_of("\r\n") != std::string::npos) {
    return InvalidArgumentError("container authorization token contains a line break");
  }
  return token;
}

// Sends with retries on transport errors and 5xx. Returns the last outcome.
StatusOr<HttpResponse> SendWithRetries(HttpTransport& transport, Clock& clock,
                                       const HttpRequest& request, const HttpFetchOptions& fetch) {
  const int attempts = fetch.attempts < 1 ? 1 : fetch.attempts;
  StatusOr<HttpResponse> response = UnavailableError("not sent");
  for (int i = 0; i < attempts; ++i) {
    if (i > 0 && fetch.retry_delay.count() > 0) clock.SleepFor(fetch.retry_delay);
    response = transport.Send(request);
    if (response.ok() && response->status < 500) break;
  }
  return response;
}

HttpRequest MakeRequest(std::string method, std::string url, const HttpFetchOptions& fetch) {
  HttpRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.connect_timeout = fetch.timeout;
  request.timeout = fetch.timeout;
  request.idle_timeout = std::chrono::milliseconds(0);
  return request;
}

// A non-2xx answer as a Status. Only the "Code" of a JSON error body is quoted: a body may echo
// anything, and error messages must never carry a secret.
Status HttpError(std::string_view what, const HttpResponse& response) {
  std::string message = std::string(what) + " returned HTTP " + std::to_string(response.status);
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    auto code = body.find("Code");
    if (code != body.end() && code->is_string() && code->get<std::string>().size() < 64) {
      message += " (" + code->get<std::string>() + ")";
    }
  }
  if (response.status == 401 || response.status == 403) return PermissionDeniedError(message);
  if (response.status >= 500 || response.status == 429) return UnavailableError(message);
  return FailedPreconditionError(message);
}

Status TransportError(std::string_view what, const Status& status) {
  return Status(status.code(), std::string(what) + ": " + status.message());
}

ProviderOutcome Failed(Status error) {
  ProviderOutcome out;
  out.kind = ProviderOutcome::kFailed;
  out.error = std::move(error);
  return out;
}

ProviderOutcome NotConfigured(std::string note) {
  ProviderOutcome out;
  out.note = std::move(note);
  return out;
}

}  // namespace

StatusOr<std::optional<std::string>> ContainerCredentialsUrl(const EnvLookup& env) {
  if (auto relative = GetNonEmpty(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    if (relative->front() != '/') {
      return InvalidArgumentError("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'");
    }
    return std::optional<std::string>(std::string(kContainerHost) + *relative);
  }
  auto full = GetNonEmpty(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!full) return std::optional<std::string>();
  StatusOr<ParsedUrl> url = ParseUrl(*full);
  if (!url.ok()) {
    return InvalidArgumentError("AWS_CONTAINER_CREDENTIALS_FULL_URI: " + url.status().message());
  }
  if (!IsAllowedContainerHost(*url)) {
    return InvalidArgumentError("AWS_CONTAINER_CREDENTIALS_FULL_URI: host " + url->host +
                                " is not allowed over http (use https, a loopback address, "
                                "169.254.170.2, 169.254.170.23 or [fd00:ec2::23])");
  }
  return std::optional<std::string>(*full);
}

std::string ImdsEndpoint(const EnvLookup& env) {
  std::string endpoint;
  if (auto configured = GetNonEmpty(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
    endpoint = *configured;
  } else if (Lower(GetNonEmpty(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE").value_or("")) ==
             "ipv6") {
    endpoint = kImdsIpv6;
  } else {
    endpoint = kImdsIpv4;
  }
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

StatusOr<std::chrono::system_clock::time_point> ParseAwsTimestamp(std::string_view text) {
  // yyyy-mm-ddThh:mm:ss[.fff][Z|+hh:mm|-hh:mm]
  auto digits = [&](size_t pos, size_t n, int* out) {
    if (pos + n > text.size()) return false;
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + n, *out);
    return ec == std::errc() && end == text.data() + pos + n;
  };
  int y, mo, d, h, mi, s;
  if (text.size() < 20 || !digits(0, 4, &y) || text[4] != '-' || !digits(5, 2, &mo) ||
      text[7] != '-' || !digits(8, 2, &d) || (text[10] != 'T' && text[10] != 't') ||
      !digits(11, 2, &h) || text[13] != ':' || !digits(14, 2, &mi) || text[16] != ':' ||
      !digits(17, 2, &s)) {
    return InvalidArgumentError("not an ISO 8601 timestamp");
  }
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  }
  int offset_minutes = 0;
  std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone == "z") {
    // UTC
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh, om;
    if (!digits(pos + 1, 2, &oh) || !digits(pos + 4, 2, &om)) {
      return InvalidArgumentError("bad timestamp offset");
    }
    offset_minutes = (zone[0] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return InvalidArgumentError("timestamp needs a Z or +hh:mm zone");
  }
  const std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(mo),
                                         std::chrono::day(d)};
  if (!date.ok() || h > 23 || mi > 59 || s > 60) return InvalidArgumentError("bad timestamp");
  return std::chrono::sys_days(date) + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(s) - std::chrono::minutes(offset_minutes);
}

StatusOr<ResolvedAwsCredentials> ParseCredentialJson(std::string_view body, std::string source) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object()) return DataLossError(source + ": response is not a JSON object");
  auto text = [&](const char* name) -> std::optional<std::string> {
    auto it = json.find(name);
    if (it == json.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return std::nullopt;
    }
    return it->get<std::string>();
  };
  if (auto code = text("Code"); code && *code != "Success") {
    return UnavailableError(source + ": response Code is not Success");
  }
  std::optional<std::string> id = text("AccessKeyId");
  std::optional<std::string> secret = text("SecretAccessKey");
  std::optional<std::string> token = text("Token");
  std::optional<std::string> expiration = text("Expiration");
  if (!id || !secret || !token || !expiration) {
    return DataLossError(source +
                         ": response lacks AccessKeyId, SecretAccessKey, Token or Expiration");
  }
  StatusOr<std::chrono::system_clock::time_point> expires = ParseAwsTimestamp(*expiration);
  if (!expires.ok()) return DataLossError(source + ": Expiration: " + expires.status().message());
  ResolvedAwsCredentials resolved;
  resolved.credentials = {std::move(*id), std::move(*secret), std::move(*token)};
  resolved.expiration = *expires;
  resolved.source = std::move(source);
  return resolved;
}

ProviderOutcome CredentialsFromContainer(const EnvLookup& env, HttpTransport& transport,
                                         Clock& clock, const HttpFetchOptions& fetch) {
  StatusOr<std::optional<std::string>> url = ContainerCredentialsUrl(env);
  if (!url.ok()) return Failed(url.status());
  if (!url->has_value()) {
    return NotConfigured(
        "container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
        "AWS_CONTAINER_CREDENTIALS_FULL_URI not set)");
  }
  StatusOr<std::optional<std::string>> authorization = ContainerAuthorization(env);
  if (!authorization.ok()) return Failed(authorization.status());
  HttpRequest request = MakeRequest("GET", **url, fetch);
  if (authorization->has_value()) request.headers.emplace_back("Authorization", **authorization);

  StatusOr<ParsedUrl> parsed_url = ParseUrl(**url);
  const std::string what = "container credentials endpoint (host " +
                           (parsed_url.ok() ? parsed_url->host : std::string("?")) + ")";
  StatusOr<HttpResponse> response = SendWithRetries(transport, clock, request, fetch);
  if (!response.ok()) return Failed(TransportError(what, response.status()));
  if (response->status < 200 || response->status > 299) return Failed(HttpError(what, *response));
  StatusOr<ResolvedAwsCredentials> parsed = ParseCredentialJson(response->body, "container");
  if (!parsed.ok()) return Failed(parsed.status());
  ProviderOutcome out;
  out.kind = ProviderOutcome::kFound;
  out.credentials = std::move(parsed).value();
  return out;
}

ProviderOutcome CredentialsFromImds(const EnvLookup& env, HttpTransport& transport, Clock& clock,
                                    const HttpFetchOptions& fetch) {
  if (EnvIsTrue(env, "AWS_EC2_METADATA_DISABLED")) {
    return NotConfigured("EC2 IMDS (disabled by AWS_EC2_METADATA_DISABLED)");
  }
  const std::string endpoint = ImdsEndpoint(env);
  auto unavailable = [&](const std::string& why) {
    return NotConfigured("EC2 IMDS at " + endpoint + " (" + why + ")");
  };

  // IMDSv2 session token. 403/404/405 mean IMDSv2 is off or unsupported; the SDKs then fall
  // back to IMDSv1 unless AWS_EC2_METADATA_V1_DISABLED forbids it.
  HttpRequest token_request = MakeRequest("PUT", endpoint + "/latest/api/token", fetch);
  token_request.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
  StatusOr<HttpResponse> token = SendWithRetries(transport, clock, token_request, fetch);
  if (!token.ok()) return unavailable(token.status().ToString());
  std::optional<std::string> session;
  if (token->status == 200) {
    session = token->body;
  } else if ((token->status == 403 || token->status == 404 || token->status == 405) &&
             !EnvIsTrue(env, "AWS_EC2_METADATA_V1_DISABLED")) {
    // IMDSv1: no token header.
  } else {
    return unavailable("token request returned HTTP " + std::to_string(token->status));
  }
  auto get = [&](const std::string& path) {
    HttpRequest request = MakeRequest("GET", endpoint + path, fetch);
    if (session) request.headers.emplace_back("X-aws-ec2-metadata-token", *session);
    return SendWithRetries(transport, clock, request, fetch);
  };

  StatusOr<HttpResponse> roles = get(std::string(kImdsCredentialsPath));
  if (!roles.ok()) return unavailable(roles.status().ToString());
  if (roles->status == 404) return unavailable("no IAM role attached to the instance");
  if (roles->status != 200) {
    return unavailable("role request returned HTTP " + std::to_string(roles->status));
  }
  std::string_view role = roles->body;
  role = role.substr(0, role.find_first_of("\r\n"));
  while (!role.empty() && std::isspace(static_cast<unsigned char>(role.back()))) {
    role.remove_suffix(1);
  }
  if (role.empty()) return unavailable("no IAM role attached to the instance");

  StatusOr<HttpResponse> creds = get(std::string(kImdsCredentialsPath) + std::string(role));
  if (!creds.ok()) return unavailable(creds.status().ToString());
  if (creds->status != 200) {
    return unavailable("credentials request returned HTTP " + std::to_string(creds->status));
  }
  StatusOr<ResolvedAwsCredentials> parsed = ParseCredentialJson(creds->body, "imds");
  if (!parsed.ok()) return unavailable(parsed.status().ToString());
  ProviderOutcome out;
  out.kind = ProviderOutcome::kFound;
  out.credentials = std::move(parsed).value();
  return out;
}

}  // namespace credentials_internal
}  // namespace ragd
