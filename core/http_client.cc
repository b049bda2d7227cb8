#include "core/http_client.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "core/curl_handle.h"

namespace ragd {
namespace {

// A unique_ptr owns the FILE; gsl::owner annotations would add nothing.
struct StdioFileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }  // NOLINT(*-owning-memory)
};
using UploadFilePtr = std::unique_ptr<std::FILE, StdioFileCloser>;

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string_view TrimWhitespace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

// RFC 9110 token characters, for methods and header names.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
    if (!ok || c == '\0') return false;
  }
  return true;
}

bool HasLineBreakOrNul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// What the error paths may say about a URL: scheme, host, port and path only. Query strings
// (presigned signatures) and userinfo never appear in a message.
struct ParsedUrl {
  std::string origin;    // "http://host:port", the connection pool key
  std::string redacted;  // origin + path
  // Query parameter values and the password, kept only to scrub them from libcurl's error text.
  std::vector<std::string> secrets;
};

std::string UrlPart(CURLU* url, CURLUPart part, unsigned int flags = 0) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, flags) != CURLUE_OK) return {};
  CurlStringPtr owned(raw);
  return owned ? std::string(owned.get()) : std::string();
}

StatusOr<ParsedUrl> ParseUrl(const std::string& method, const std::string& url) {
  CurlUrlPtr handle(curl_url());
  if (!handle) return ResourceExhaustedError("out of memory parsing URL");
  CURLUcode rc = curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0);
  if (rc != CURLUE_OK) {
    return InvalidArgumentError("HTTP " + method + ": malformed URL (" +
                                std::string(curl_url_strerror(rc)) + ")");
  }
  std::string scheme = UrlPart(handle.get(), CURLUPART_SCHEME);
  std::string host = UrlPart(handle.get(), CURLUPART_HOST);
  std::string port = UrlPart(handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (scheme != "http" && scheme != "https") {
    return InvalidArgumentError("HTTP " + method + ": unsupported URL scheme '" + scheme + "'");
  }
  if (host.empty()) return InvalidArgumentError("HTTP " + method + ": URL has no host");
  ParsedUrl parsed;
  parsed.origin = scheme + "://" + host + ":" + port;
  parsed.redacted = parsed.origin + UrlPart(handle.get(), CURLUPART_PATH);
  const std::string raw_query = UrlPart(handle.get(), CURLUPART_QUERY);
  std::string_view query = raw_query;
  while (!query.empty()) {
    std::string_view param = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), param.size() + 1));
    if (size_t eq = param.find('='); eq != std::string_view::npos) param.remove_prefix(eq + 1);
    parsed.secrets.emplace_back(param);
  }
  parsed.secrets.push_back(UrlPart(handle.get(), CURLUPART_PASSWORD));
  return parsed;
}

// Per-transfer state shared with the libcurl callbacks. Lives on the calling thread's stack.
struct Transfer {
  // Response side.
  std::string* body = nullptr;                // buffered mode
  const HttpBodyCallback* on_body = nullptr;  // streaming mode
  const HttpHeadCallback* on_head = nullptr;  // streaming mode, optional
  bool head_delivered = false;
  CURL* handle = nullptr;  // for the response code when on_head is called
  HttpHeaders headers;
  bool cancelled = false;
  const HttpCancelPredicate* cancel_requested = nullptr;  // optional
  bool cancel_seen = false;  // cancel_requested returned true: the transfer stops as kCancelled
  std::string callback_error;
  // Request side: either an in-memory body or an open file.
  std::string_view upload;
  std::FILE* upload_file = nullptr;
  curl_off_t upload_offset = 0;
  bool upload_read_failed = false;
};

// True if libcurl's error text could leak a secret of the request (query, password, header
// values). Short values are compared too: a false alarm only costs detail in the message.
bool MayLeakSecret(std::string_view text, const HttpRequest& request, const ParsedUrl& url) {
  auto contains = [text](std::string_view secret) {
    secret = TrimWhitespace(secret);
    return secret.size() >= 3 && text.find(secret) != std::string_view::npos;
  };
  if (text.find('?') != std::string_view::npos) return true;
  for (const std::string& secret : url.secrets) {
    if (contains(secret)) return true;
  }
  for (const auto& header : request.headers) {
    if (contains(header.second)) return true;
  }
  return false;
}

// Calls the head callback once, if there is one; false if it asked to abort. Body bytes only
// flow for the final response, so its status is known by the time the first one arrives.
bool DeliverHead(Transfer* t) {
  if (t->on_head == nullptr || t->head_delivered) return true;
  t->head_delivered = true;
  long status = 0;
  curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
  return (*t->on_head)(static_cast<int>(status), t->headers);
}

// Polls the request's cancel predicate; true once it asked to stop (the answer is then latched).
bool CancelRequested(Transfer* t) {
  if (t->cancel_seen) return true;
  if (t->cancel_requested == nullptr || !*t->cancel_requested) return false;
  try {
    t->cancel_seen = (*t->cancel_requested)();
  } catch (const std::exception& e) {
    t->callback_error = e.what();
    t->cancel_seen = true;
  } catch (...) {
    t->callback_error = "unknown exception";
    t->cancel_seen = true;
  }
  return t->cancel_seen;
}

// libcurl's progress callback: also called while nothing arrives (about once per second when
// idle), which is what lets a cancel reach a silent transfer. Non-zero aborts it.
int OnProgress(void* userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return CancelRequested(static_cast<Transfer*>(userdata)) ? 1 : 0;
}

size_t OnResponseBody(char* data, size_t size, size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t n = size * nmemb;
  if (CancelRequested(t)) return 0;  // CURLE_WRITE_ERROR, reported as kCancelled
  if (t->on_body == nullptr) {
    t->body->append(data, n);
    return n;
  }
  try {
    if (!DeliverHead(t)) {
      t->cancelled = true;
      return 0;
    }
    if ((*t->on_body)(std::string_view(data, n))) return n;
    t->cancelled = true;
  } catch (const std::exception& e) {
    t->callback_error = e.what();
  } catch (...) {
    t->callback_error = "unknown exception";
  }
  return 0;  // any short count makes libcurl stop with CURLE_WRITE_ERROR
}

// libcurl calls this once per header line, including status lines of interim (1xx) and proxy
// responses; a status line therefore starts the header set afresh so only the final one remains.
size_t OnResponseHeader(char* data, size_t size, size_t nitems, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t n = size * nitems;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    t->headers.clear();
  } else if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    if (!t->headers.empty()) {  // obsolete line folding: continues the previous value
      std::string& value = t->headers.back().second;
      value.append(" ").append(TrimWhitespace(line));
    }
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(TrimWhitespace(line.substr(0, colon)));
    for (char& c : name) c = AsciiLower(c);
    t->headers.emplace_back(std::move(name), std::string(TrimWhitespace(line.substr(colon + 1))));
  }
  return n;
}

size_t OnRequestBody(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t want = size * nitems;
  if (t->upload_file != nullptr) {
    size_t got = std::fread(buffer, 1, want, t->upload_file);
    if (got < want && std::ferror(t->upload_file)) {
      t->upload_read_failed = true;
      return CURL_READFUNC_ABORT;
    }
    return got;
  }
  auto offset = static_cast<size_t>(t->upload_offset);
  size_t got = std::min(want, t->upload.size() - std::min(offset, t->upload.size()));
  if (got > 0) std::memcpy(buffer, t->upload.data() + offset, got);
  t->upload_offset += static_cast<curl_off_t>(got);
  return got;
}

// libcurl rewinds the body when it must resend it (e.g. a reused connection turned out dead).
int OnRequestSeek(void* userdata, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(userdata);
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  if (t->upload_file != nullptr) {
    return fseeko(t->upload_file, static_cast<off_t>(offset), SEEK_SET) == 0 ? CURL_SEEKFUNC_OK
                                                                             : CURL_SEEKFUNC_FAIL;
  }
  if (static_cast<size_t>(offset) > t->upload.size()) return CURL_SEEKFUNC_FAIL;
  t->upload_offset = offset;
  return CURL_SEEKFUNC_OK;
}

// Builds the request header list. Caller-given Content-Length is dropped (libcurl computes it
// from the actual body) and "Expect: 100-continue" is suppressed unless the caller asked for it.
StatusOr<CurlSlistPtr> BuildHeaderList(const HttpRequest& request, bool has_body_via_post) {
  CurlSlistPtr list;
  auto append = [&list](const std::string& line) {
    curl_slist* head = curl_slist_append(list.get(), line.c_str());
    if (head == nullptr) return false;
    (void)list.release();  // curl_slist_append returned the same head, or a new one if empty
    list.reset(head);
    return true;
  };
  bool has_expect = false;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name) || HasLineBreakOrNul(value)) {
      return InvalidArgumentError("HTTP " + request.method +
                                  ": request header name or value contains invalid characters");
    }
    if (EqualsIgnoreCase(name, "content-length")) continue;
    has_expect |= EqualsIgnoreCase(name, "expect");
    has_content_type |= EqualsIgnoreCase(name, "content-type");
    std::string_view trimmed = TrimWhitespace(value);
    // "Name:" would make libcurl remove the header; "Name;" sends it with an empty value.
    std::string line = trimmed.empty() ? name + ";" : name + ": " + std::string(trimmed);
    if (!append(line)) return ResourceExhaustedError("out of memory building request headers");
  }
  bool ok = true;
  if (!has_expect) ok &= append("Expect:");
  // CURLOPT_POST would otherwise invent "Content-Type: application/x-www-form-urlencoded".
  if (has_body_via_post && !has_content_type) ok &= append("Content-Type:");
  if (!ok) return ResourceExhaustedError("out of memory building request headers");
  return list;
}

// PUT uploads with CURLOPT_UPLOAD; any other method carrying a body (and POST always) goes through
// CURLOPT_POST, renamed with CURLOPT_CUSTOMREQUEST. HEAD never sends a body.
bool SendsBodyViaPost(const HttpRequest& request) {
  if (request.method == "HEAD" || request.method == "PUT") return false;
  return request.method == "POST" || request.body_file.has_value() || !request.body.empty();
}

void SetMethodAndBody(CURL* h, const HttpRequest& request, curl_off_t body_size,
                      Transfer* transfer) {
  const bool via_post = SendsBodyViaPost(request);
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, body_size);
  } else if (via_post) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, body_size);
  }
  const std::string& m = request.method;
  if (m != "GET" && m != "HEAD" && m != "PUT" && m != "POST") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str());
  }
  if (request.method == "PUT" || via_post) {
    if (!request.body_file) {
      // libcurl copies the body through a 64 KiB upload buffer by default, allocated per handle;
      // a small in-memory body (a chat prompt) needs no more than libcurl's 16 KiB minimum.
      constexpr curl_off_t kMinUploadBuffer = 16 * 1024;
      constexpr curl_off_t kMaxUploadBuffer = 64 * 1024;
      curl_easy_setopt(
          h, CURLOPT_UPLOAD_BUFFERSIZE,
          static_cast<long>(std::clamp(body_size, kMinUploadBuffer, kMaxUploadBuffer)));
    }
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRequestBody);
    curl_easy_setopt(h, CURLOPT_READDATA, transfer);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &OnRequestSeek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, transfer);
  }
}

void SetTimeouts(CURL* h, const HttpRequest& request) {
  if (request.connect_timeout.count() > 0) {
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(request.connect_timeout.count()));
  }
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(request.timeout.count(), 0)));
  if (request.idle_timeout.count() > 0) {
    // Aborts when under 1 byte/s for LOW_SPEED_TIME seconds; round up so it is never shorter.
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>((request.idle_timeout.count() + 999) / 1000));
  }
}

// Precondition for destruction: no Send/SendStreaming call is in flight.
class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(const CurlTransportOptions& options)
      : options_(options), pool_(options.max_idle_connections) {}

  StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    return Perform(request, nullptr);
  }
  StatusOr<HttpResponse> SendStreaming(const HttpRequest& request,
                                       const HttpBodyCallback& on_body) override {
    return Perform(request, &on_body);
  }
  StatusOr<HttpResponse> SendStreamingWithHead(const HttpRequest& request,
                                               const HttpHeadCallback& on_head,
                                               const HttpBodyCallback& on_body) override {
    return Perform(request, &on_body, &on_head);
  }

 private:
  StatusOr<HttpResponse> Perform(const HttpRequest& request, const HttpBodyCallback* on_body,
                                 const HttpHeadCallback* on_head = nullptr);
  Status MapError(CURLcode code, const HttpRequest& request, const ParsedUrl& url,
                  const Transfer& transfer, const char* error_buffer) const;

  const CurlTransportOptions options_;
  CurlHandlePool pool_;
};

StatusOr<HttpResponse> CurlTransport::Perform(const HttpRequest& request,
                                              const HttpBodyCallback* on_body,
                                              const HttpHeadCallback* on_head) {
  if (!IsToken(request.method)) return InvalidArgumentError("HTTP: invalid request method");
  RAGD_ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(request.method, request.url));

  HttpResponse response;
  Transfer transfer;
  transfer.body = &response.body;
  transfer.on_body = on_body;
  transfer.on_head = on_head;
  transfer.upload = request.body;
  if (request.cancelled) transfer.cancel_requested = &request.cancelled;
  if (CancelRequested(&transfer)) {
    return CancelledError(request.method + " " + url.redacted + ": cancelled before sending");
  }

  UploadFilePtr file;
  curl_off_t body_size = static_cast<curl_off_t>(request.body.size());
  if (request.body_file) {
    file.reset(std::fopen(request.body_file->c_str(), "rb"));  // NOLINT(*-owning-memory)
    if (!file) {
      const int error_number = errno;
      std::string why = std::strerror(error_number);
      Status error = error_number == ENOENT ? NotFoundError(why)
                     : (error_number == EACCES || error_number == EPERM)
                         ? PermissionDeniedError(why)
                         : InternalError(why);
      return error.WithContext("HTTP " + request.method + ": cannot open body file " +
                               *request.body_file);
    }
    struct stat info {};
    if (fstat(fileno(file.get()), &info) != 0 || !S_ISREG(info.st_mode)) {
      return InvalidArgumentError("HTTP " + request.method + ": body file " + *request.body_file +
                                  " is not a regular file");
    }
    transfer.upload_file = file.get();
    body_size = static_cast<curl_off_t>(info.st_size);
  }

  RAGD_ASSIGN_OR_RETURN(CurlSlistPtr headers, BuildHeaderList(request, SendsBodyViaPost(request)));

  CurlEasyPtr handle = pool_.Acquire(url.origin);
  if (!handle) return ResourceExhaustedError("HTTP: cannot allocate a curl handle");
  CURL* h = handle.get();
  transfer.handle = h;
  char error_buffer[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // the URL is already exactly as on the wire
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 1L);  // one live connection per pooled handle
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  if (!options_.user_agent.empty()) {
    curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

  SetTimeouts(h, request);
  SetMethodAndBody(h, request, body_size, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnResponseHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnResponseBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  if (transfer.cancel_requested != nullptr) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  if (request.receive_buffer_bytes > 0) {
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE,
                     static_cast<long>(std::clamp<size_t>(request.receive_buffer_bytes, 1024,
                                                          CURL_MAX_READ_SIZE)));
  }

  CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    // The handle is discarded: its connection may be half-used.
    return MapError(code, request, url, transfer, error_buffer);
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  bool head_accepted = true;  // an empty body: the head callback has not run yet
  try {
    head_accepted = DeliverHead(&transfer);
  } catch (const std::exception& e) {
    head_accepted = false;
    transfer.callback_error = e.what();
  } catch (...) {
    head_accepted = false;
    transfer.callback_error = "unknown exception";
  }
  response.headers = std::move(transfer.headers);
  // Forget every pointer into this stack frame; the live connection, DNS cache and share stay.
  curl_easy_reset(h);
  pool_.Release(std::move(url.origin), std::move(handle));
  if (!head_accepted) {
    if (!transfer.callback_error.empty()) {
      return InternalError(request.method + " " + url.redacted +
                           ": head callback threw: " + transfer.callback_error);
    }
    return CancelledError(request.method + " " + url.redacted +
                          ": head callback cancelled the transfer");
  }
  return response;
}

Status CurlTransport::MapError(CURLcode code, const HttpRequest& request, const ParsedUrl& url,
                               const Transfer& transfer, const char* error_buffer) const {
  // libcurl's detail text helps ("Failed to connect to host port 443 after 3 ms"), but it is
  // only used when it cannot leak the query string or a request header value.
  std::string detail = curl_easy_strerror(code);
  std::string_view extra(error_buffer);
  if (!extra.empty() && extra != detail && !MayLeakSecret(extra, request, url)) {
    detail += " (" + std::string(extra) + ")";
  }
  std::string message = request.method + " " + url.redacted + ": " + detail;

  if (transfer.cancel_seen && transfer.callback_error.empty()) {
    return CancelledError(request.method + " " + url.redacted + ": the caller cancelled");
  }
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return DeadlineExceededError(message);
    case CURLE_WRITE_ERROR:
      if (transfer.cancelled) {
        return CancelledError(request.method + " " + url.redacted +
                              ": body callback cancelled the transfer");
      }
      if (!transfer.callback_error.empty()) {
        return InternalError(request.method + " " + url.redacted +
                             ": body callback threw: " + transfer.callback_error);
      }
      return InternalError(message);
    case CURLE_URL_MALFORMAT:
      return InvalidArgumentError(message);
    case CURLE_READ_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
      if (transfer.upload_read_failed) {
        return InternalError(message + " (reading the body file failed)");
      }
      if (!transfer.callback_error.empty()) {
        return InternalError(request.method + " " + url.redacted +
                             ": cancel predicate threw: " + transfer.callback_error);
      }
      return InternalError(message);
    case CURLE_OUT_OF_MEMORY:
      return ResourceExhaustedError(message);
    case CURLE_FAILED_INIT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_SETOPT_OPTION_SYNTAX:
      return InternalError(message);
    default:
      // Everything else is the network or the peer failing: refused, reset, torn or garbled
      // responses (an HTTP/0.9 reply is CURLE_UNSUPPORTED_PROTOCOL; the scheme was checked up
      // front), DNS, TLS handshakes and certificates.
      return UnavailableError(message);
  }
}

}  // namespace

std::optional<std::string> FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

StatusOr<HttpResponse> HttpTransport::SendStreamingWithHead(const HttpRequest& request,
                                                            const HttpHeadCallback& on_head,
                                                            const HttpBodyCallback& on_body) {
  std::string body;
  RAGD_ASSIGN_OR_RETURN(HttpResponse response, SendStreaming(request, [&](std::string_view chunk) {
                          body.append(chunk);
                          return true;
                        }));
  if (!on_head(response.status, response.headers) || (!body.empty() && !on_body(body))) {
    return CancelledError("HTTP " + request.method + ": callback cancelled the transfer");
  }
  return response;
}

std::unique_ptr<HttpTransport> NewCurlTransport(const CurlTransportOptions& options) {
  EnsureCurlGlobalInit();
  return std::make_unique<CurlTransport>(options);
}

}  // namespace ragd
