// Many streaming chats at once: one epoll loop, one non-blocking socket per chat.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bench/chat/chat_bench.h"

namespace ragd::bench {
namespace {

struct Stream {
  int fd = -1;
  std::string request;
  size_t sent = 0;
  SteadyClock::time_point start;
  double headers_ms = -1;
  double first_delta_ms = -1;
  int deltas = 0;        // mock tokens received (" tokN"), however the server grouped them
  int delta_events = 0;  // SSE delta events (ragd coalesces deltas that arrive together)
  std::string end_event;
  std::string end_data;  // the done or error event's data
  std::string notice;
  bool finished = false;
  std::unique_ptr<SseScanner> sse;
  std::unique_ptr<ResponseParser> parser;
};

}  // namespace

StatusOr<ConcurrencyResult> RunConcurrency(const Url& server, const std::string& key,
                                           const std::vector<std::string>& conversations,
                                           const std::vector<std::string>& questions,
                                           const ConcurrencyOptions& options) {
  ConcurrencyResult result;
  const size_t n = static_cast<size_t>(options.streams);
  if (conversations.size() < n) return InvalidArgumentError("not enough conversations");
  std::vector<Stream> streams(n);
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return UnavailableError("epoll_create1 failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port));
  ::inet_pton(AF_INET, server.host.c_str(), &addr.sin_addr);

  auto fail = [&](Stream& s, int& counter, const std::string& why) {
    ++counter;
    if (result.first_error.empty()) result.first_error = why;
    s.finished = true;
    if (s.fd >= 0) ::close(s.fd);
    s.fd = -1;
  };

  result.rss_before_kb = ProcStatusField(options.ragd_pid, "VmRSS");
  const double cpu0 = ProcessCpuSeconds(options.ragd_pid);
  const double mock0 = options.mock_pid > 0 ? ProcessCpuSeconds(options.mock_pid) : 0;
  const auto t0 = SteadyClock::now();
  for (size_t i = 0; i < n; ++i) {
    Stream& s = streams[i];
    Stream* sp = &s;
    s.sse = std::make_unique<SseScanner>([sp](std::string_view event, std::string_view data) {
      if (event == "delta") {
        if (sp->delta_events++ == 0) {
          sp->first_delta_ms = MillisBetween(sp->start, SteadyClock::now());
        }
        // The mock's tokens are " tok0", " tok1", ...: count them, not events.
        for (size_t at = data.find(" tok"); at != std::string_view::npos;
             at = data.find(" tok", at + 4)) {
          ++sp->deltas;
        }
      } else if (event == "done" || event == "error") {
        sp->end_event = std::string(event);
        sp->end_data = std::string(data);
      } else if (event == "notice") {
        sp->notice = std::string(data);
      }
    });
    s.parser = std::make_unique<ResponseParser>(
        [sp](std::string_view chunk) { sp->sse->Feed(chunk); }, /*keep_body=*/false);
    const std::string body = nlohmann::json{{"content", questions[i % questions.size()]}}.dump();
    s.request = BuildRequest(
        "POST",
        Url{server.host, server.port, "/v1/conversations/" + conversations[i] + "/messages"},
        {{"Authorization", "Bearer " + key},
         {"Content-Type", "application/json"},
         {"Accept", "text/event-stream"},
         {"Connection", "close"}},
        body);
    s.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) {
      fail(s, result.connect_errors, std::string("socket: ") + std::strerror(errno));
      continue;
    }
    const int one = 1;
    ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    s.start = SteadyClock::now();
    if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 &&
        errno != EINPROGRESS) {
      fail(s, result.connect_errors, std::string("connect: ") + std::strerror(errno));
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev);
  }

  size_t open = 0;
  for (const Stream& s : streams) open += s.finished ? 0 : 1;
  const auto deadline = t0 + std::chrono::seconds(options.timeout_s);
  auto next_sample = SteadyClock::now();
  std::vector<epoll_event> events(1024);
  char buf[65536];
  while (open > 0 && SteadyClock::now() < deadline) {
    if (SteadyClock::now() >= next_sample) {
      result.rss_peak_sampled_kb =
          std::max(result.rss_peak_sampled_kb, ProcStatusField(options.ragd_pid, "VmRSS"));
      result.threads_peak = std::max(
          result.threads_peak, static_cast<int>(ProcStatusField(options.ragd_pid, "Threads")));
      next_sample += std::chrono::milliseconds(50);
    }
    const int ready = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 20);
    for (int e = 0; e < ready; ++e) {
      Stream& s = streams[events[static_cast<size_t>(e)].data.u64];
      if (s.finished) continue;
      const uint32_t flags = events[static_cast<size_t>(e)].events;
      if (s.sent < s.request.size() && (flags & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        const ssize_t w =
            ::send(s.fd, s.request.data() + s.sent, s.request.size() - s.sent, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) {
          fail(s, result.connect_errors, std::string("send: ") + std::strerror(errno));
          --open;
          continue;
        }
        if (w > 0) s.sent += static_cast<size_t>(w);
        if (s.sent == s.request.size()) {
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLRDHUP;
          ev.data.u64 = events[static_cast<size_t>(e)].data.u64;
          ::epoll_ctl(ep, EPOLL_CTL_MOD, s.fd, &ev);
        }
      }
      if (!(flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) continue;
      for (;;) {
        const ssize_t r = ::recv(s.fd, buf, sizeof(buf), 0);
        if (r < 0 && errno == EAGAIN) break;
        if (r <= 0) {
          s.parser->FeedEof();
          break;
        }
        if (s.headers_ms < 0) s.headers_ms = MillisBetween(s.start, SteadyClock::now());
        if (!s.parser->Feed(std::string_view(buf, static_cast<size_t>(r)))) break;
        if (s.parser->complete()) break;
      }
      const bool closed = (flags & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
      if (!s.parser->complete() && !closed) continue;
      --open;
      const double total = MillisBetween(s.start, SteadyClock::now());
      if (s.parser->headers_done() && s.parser->status() != 200) {
        fail(s, result.http_errors, "HTTP " + std::to_string(s.parser->status()));
      } else if (s.end_event == "error") {
        fail(s, result.sse_errors, "error event: " + s.end_data.substr(0, 300));
      } else if (s.end_event != "done" || !s.parser->complete()) {
        fail(s, result.incomplete, "closed after " + std::to_string(s.deltas) + " deltas");
      } else {
        ++result.completed;
        if (s.deltas < options.tokens && result.short_streams++ == 0) {
          result.short_example = std::to_string(s.deltas) + " tokens in " +
                                 std::to_string(s.delta_events) + " delta events, notice " +
                                 (s.notice.empty() ? "none" : s.notice) + ", done " + s.end_data;
        }
        if (!s.notice.empty()) ++result.notices;
        result.headers_ms.push_back(s.headers_ms);
        result.first_delta_ms.push_back(s.first_delta_ms);
        result.total_ms.push_back(total);
        s.finished = true;
        ::close(s.fd);
        s.fd = -1;
      }
    }
  }
  result.wall_s = MillisBetween(t0, SteadyClock::now()) / 1000;
  for (Stream& s : streams) {
    if (!s.finished)
      fail(s, result.incomplete, "timed out after " + std::to_string(s.deltas) + " deltas");
  }
  ::close(ep);
  result.ragd_cpu_s = ProcessCpuSeconds(options.ragd_pid) - cpu0;
  if (options.mock_pid > 0) result.mock_cpu_s = ProcessCpuSeconds(options.mock_pid) - mock0;
  result.hwm_after_kb = ProcStatusField(options.ragd_pid, "VmHWM");
  int64_t tokens = 0;
  int64_t delta_events = 0;
  for (const Stream& s : streams) {
    tokens += s.deltas;
    delta_events += s.delta_events;
  }
  std::fprintf(
      stderr, "[chat-bench] %lld tokens arrived in %lld delta events (%.2f per event)\n",
      static_cast<long long>(tokens), static_cast<long long>(delta_events),
      delta_events > 0 ? static_cast<double>(tokens) / static_cast<double>(delta_events) : 0.0);
  return result;
}

}  // namespace ragd::bench
