// The benchmarks' HTTP/1.1 client: response parsing, SSE splitting, blocking connections.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bench/chat/bench_util.h"

namespace ragd::bench {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

double MillisBetween(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

StatusOr<Url> ParseUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return InvalidArgumentError("not an http:// URL: " + url);
  const size_t host_start = kScheme.size();
  const size_t slash = url.find('/', host_start);
  const std::string authority = url.substr(host_start, slash - host_start);
  const size_t colon = authority.rfind(':');
  Url out;
  out.host = authority.substr(0, colon);
  out.port = colon == std::string::npos ? 80 : std::atoi(authority.c_str() + colon + 1);
  out.target = slash == std::string::npos ? "/" : url.substr(slash);
  if (out.port <= 0) return InvalidArgumentError("bad port in " + url);
  return out;
}

std::optional<std::string> ResponseParser::Header(std::string_view name) const {
  auto it = headers_.find(std::string(name));
  if (it == headers_.end()) return std::nullopt;
  return it->second;
}

bool ResponseParser::ParseHead(std::string_view head) {
  size_t eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
    error_ = "bad status line";
    return false;
  }
  status_ = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  keep_alive_ = status_line.substr(0, 8) == "HTTP/1.1";
  while (eol != std::string_view::npos) {
    const size_t start = eol + 2;
    eol = head.find("\r\n", start);
    const std::string_view line = head.substr(start, eol - start);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    headers_[Lower(Trim(line.substr(0, colon)))] = std::string(Trim(line.substr(colon + 1)));
  }
  if (auto c = Header("connection")) keep_alive_ = Lower(*c) != "close";
  if (auto te = Header("transfer-encoding");
      te && Lower(*te).find("chunked") != std::string::npos) {
    phase_ = Phase::kChunkSize;
  } else if (auto cl = Header("content-length")) {
    remaining_ = std::strtoull(cl->c_str(), nullptr, 10);
    phase_ = remaining_ == 0 ? Phase::kDone : Phase::kLength;
  } else if (status_ == 204 || status_ == 304) {
    phase_ = Phase::kDone;
  } else {
    phase_ = Phase::kUntilClose;
    keep_alive_ = false;
  }
  return true;
}

void ResponseParser::Body(std::string_view data) {
  if (data.empty()) return;
  if (keep_body_) body_.append(data);
  if (on_body_) on_body_(data);
}

bool ResponseParser::Feed(std::string_view data) {
  pending_.append(data);
  size_t pos = 0;
  while (phase_ != Phase::kDone) {
    std::string_view rest(pending_.data() + pos, pending_.size() - pos);
    if (phase_ == Phase::kHead) {
      const size_t end = rest.find("\r\n\r\n");
      if (end == std::string_view::npos) break;
      if (!ParseHead(rest.substr(0, end + 2))) return false;
      pos += end + 4;
    } else if (phase_ == Phase::kLength) {
      const size_t n = std::min<uint64_t>(remaining_, rest.size());
      Body(rest.substr(0, n));
      pos += n;
      remaining_ -= n;
      if (remaining_ == 0) phase_ = Phase::kDone;
      if (n == 0) break;
    } else if (phase_ == Phase::kUntilClose) {
      Body(rest);
      pos += rest.size();
      break;
    } else if (phase_ == Phase::kChunkSize) {
      const size_t eol = rest.find("\r\n");
      if (eol == std::string_view::npos) break;
      remaining_ = std::strtoull(std::string(rest.substr(0, eol)).c_str(), nullptr, 16);
      pos += eol + 2;
      phase_ = remaining_ == 0 ? Phase::kTrailer : Phase::kChunkData;
    } else if (phase_ == Phase::kChunkData) {
      const size_t n = std::min<uint64_t>(remaining_, rest.size());
      Body(rest.substr(0, n));
      pos += n;
      remaining_ -= n;
      if (remaining_ == 0) phase_ = Phase::kChunkCrlf;
      if (n == 0) break;
    } else if (phase_ == Phase::kChunkCrlf) {
      if (rest.size() < 2) break;
      if (rest.substr(0, 2) != "\r\n") {
        error_ = "chunk not followed by CRLF";
        return false;
      }
      pos += 2;
      phase_ = Phase::kChunkSize;
    } else if (phase_ == Phase::kTrailer) {
      const size_t eol = rest.find("\r\n");
      if (eol == std::string_view::npos) break;
      pos += eol + 2;
      if (eol == 0) phase_ = Phase::kDone;
    }
  }
  pending_.erase(0, pos);
  return true;
}

void ResponseParser::FeedEof() {
  if (phase_ == Phase::kUntilClose) phase_ = Phase::kDone;
}

void SseScanner::Feed(std::string_view data) {
  for (char c : data) {
    if (c != '\n') {
      line_.push_back(c);
      continue;
    }
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_.empty()) {
      if (!event_.empty() || !data_.empty()) on_event_(event_.empty() ? "message" : event_, data_);
      event_.clear();
      data_.clear();
    } else if (line_.rfind("event:", 0) == 0) {
      event_ = std::string(Trim(std::string_view(line_).substr(6)));
    } else if (line_.rfind("data:", 0) == 0) {
      if (!data_.empty()) data_.push_back('\n');
      std::string_view d = std::string_view(line_).substr(5);
      if (!d.empty() && d.front() == ' ') d.remove_prefix(1);
      data_.append(d);
    }
    line_.clear();
  }
}

std::string BuildRequest(const std::string& method, const Url& url, const Headers& headers,
                         const std::string& body) {
  std::string out = method + " " + url.target + " HTTP/1.1\r\nHost: " + url.host + ":" +
                    std::to_string(url.port) + "\r\n";
  bool has_length = false;
  for (const auto& [name, value] : headers) {
    out += name + ": " + value + "\r\n";
    if (Lower(name) == "content-length") has_length = true;
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  out += body;
  return out;
}

namespace {

StatusOr<int> ConnectTcp(const std::string& host, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return UnavailableError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return InvalidArgumentError("not an IPv4 address: " + host);
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return UnavailableError("connect " + host + ":" + std::to_string(port) + ": " + why);
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return UnavailableError(std::string("send: ") + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

}  // namespace

HttpConnection::~HttpConnection() { Close(); }

void HttpConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status HttpConnection::Connect() {
  RAGD_ASSIGN_OR_RETURN(fd_, ConnectTcp(host_, port_));
  return OkStatus();
}

StatusOr<TimedResponse> HttpConnection::Send(const std::string& method, const std::string& target,
                                             const Headers& headers, const std::string& body,
                                             const std::function<void(std::string_view)>& on_body) {
  Url url{host_, port_, target};
  const std::string request = BuildRequest(method, url, headers, body);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = fd_ >= 0;
    if (!reused) RAGD_RETURN_IF_ERROR(Connect());
    const auto start = SteadyClock::now();
    if (Status s = WriteAll(fd_, request); !s.ok()) {
      Close();
      if (reused) continue;  // the server closed an idle keep-alive connection
      return s;
    }
    ResponseParser parser(on_body);
    TimedResponse out;
    bool got_any = false;
    char buf[65536];
    while (!parser.complete()) {
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        parser.FeedEof();
        break;
      }
      if (!got_any) {
        got_any = true;
        out.first_byte_ms = MillisBetween(start, SteadyClock::now());
      }
      if (!parser.Feed(std::string_view(buf, static_cast<size_t>(n)))) {
        Close();
        return DataLossError("malformed response: " + parser.error());
      }
    }
    if (!parser.complete()) {
      Close();
      if (reused && !got_any) continue;
      return UnavailableError("connection closed before the response was complete");
    }
    out.total_ms = MillisBetween(start, SteadyClock::now());
    out.status = parser.status();
    out.body = parser.body();
    if (!parser.keep_alive()) Close();
    return out;
  }
  return UnavailableError("connection closed twice");
}

StatusOr<nlohmann::json> CallApi(HttpConnection& conn, const std::string& method,
                                 const std::string& target, const std::string& key,
                                 const nlohmann::json* body) {
  Headers headers = {{"Authorization", "Bearer " + key}};
  std::string payload;
  if (body != nullptr) {
    headers.emplace_back("Content-Type", "application/json");
    payload = body->dump();
  }
  RAGD_ASSIGN_OR_RETURN(TimedResponse r, conn.Send(method, target, headers, payload));
  if (r.status < 200 || r.status > 299) {
    return UnknownError(method + " " + target + ": HTTP " + std::to_string(r.status) + " " +
                        r.body.substr(0, 500));
  }
  if (r.body.empty()) return nlohmann::json();
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return DataLossError(method + " " + target + ": not JSON");
  return j;
}

StatusOr<std::string> UploadDocument(HttpConnection& conn, const std::string& key,
                                     const std::string& bot, const std::string& filename,
                                     const std::string& content_type, const std::string& content) {
  const nlohmann::json create = {
      {"filename", filename}, {"content_type", content_type}, {"size", content.size()}};
  RAGD_ASSIGN_OR_RETURN(nlohmann::json doc,
                        CallApi(conn, "POST", "/v1/bots/" + bot + "/documents", key, &create));
  Headers headers;
  for (const auto& [name, value] : doc["upload"]["headers"].items()) {
    headers.emplace_back(name, value.get<std::string>());
  }
  RAGD_ASSIGN_OR_RETURN(Url url, ParseUrl(doc["upload"]["url"].get<std::string>()));
  // The presigned URL points at the same server: reuse the connection.
  RAGD_ASSIGN_OR_RETURN(TimedResponse put, conn.Send("PUT", url.target, headers, content));
  if (put.status != 200) {
    return UnknownError("PUT " + filename + ": HTTP " + std::to_string(put.status) + " " +
                        put.body.substr(0, 300));
  }
  return doc["document_id"].get<std::string>();
}

std::string UrlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

StatusOr<TimedResponse> Fetch(const std::string& method, const std::string& url,
                              const Headers& headers, const std::string& body) {
  RAGD_ASSIGN_OR_RETURN(Url u, ParseUrl(url));
  HttpConnection conn(u.host, u.port);
  return conn.Send(method, u.target, headers, body);
}

}  // namespace ragd::bench
