#include "api/server.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <deque>
#include <limits>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "core/log.h"
#include "core/log_output.h"

namespace ragd {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;

// Streamed body queue between producers (any thread) and the connection coroutine (its io thread).
class StreamSinkImpl final : public StreamSink,
                             public std::enable_shared_from_this<StreamSinkImpl> {
 public:
  explicit StreamSinkImpl(net::any_io_executor executor)
      : executor_(executor), timer_(executor, std::chrono::steady_clock::time_point::max()) {}

  bool Write(std::string data) override {
    if (cancelled_.load()) return false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return false;
      queued_bytes_ += data.size();
      queue_.push_back(std::move(data));
    }
    Notify();
    return true;
  }

  void Close() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      closed_ = true;
    }
    Notify();
  }

  bool Cancelled() const override { return cancelled_.load(); }

  void Cancel() {
    cancelled_ = true;
    Notify();
  }

  // Moves queued chunks into `out`; returns true when the producer has closed the stream.
  bool Take(std::deque<std::string>* out) {
    std::lock_guard<std::mutex> lock(mu_);
    out->swap(queue_);
    queue_.clear();
    queued_bytes_ = 0;
    return closed_;
  }

  // Only on the connection's io thread.
  net::steady_timer& timer() { return timer_; }

 private:
  void Notify() {
    net::post(executor_, [self = shared_from_this()] { self->timer_.cancel(); });
  }

  net::any_io_executor executor_;
  net::steady_timer timer_;  // cancelled to wake the writer coroutine
  std::mutex mu_;
  std::deque<std::string> queue_;  // guarded by mu_
  size_t queued_bytes_ = 0;        // guarded by mu_
  bool closed_ = false;            // guarded by mu_
  std::atomic<bool> cancelled_{false};
};

struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  std::string remote_addr;               // the peer's address, read once (getpeername)
  bool idle = false;                     // waiting for the next request head; io thread only
  std::shared_ptr<StreamSinkImpl> sink;  // the active stream, if any; io thread only
};

std::string NewRequestId() {
  static const std::string prefix = RandomAlnum(6);
  static std::atomic<uint64_t> counter{0};
  char buf[24];
  std::snprintf(buf, sizeof(buf), "-%06llx", static_cast<unsigned long long>(++counter));
  return "r" + prefix + buf;
}

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, RequestHandler& handler)
      : options_(std::move(options)),
        handler_(handler),
        ioc_(1),
        acceptor_(ioc_),
        pool_(static_cast<size_t>(std::max(1, options_.worker_threads))) {
    for (int i = 1; i < options_.io_threads; ++i) {
      extra_iocs_.push_back(std::make_unique<net::io_context>(1));
    }
  }

  // One io_context per network thread (each run by exactly one thread, so handlers on it never
  // race and the scheduler takes its single-threaded fast paths); connections are spread over
  // them round-robin. ioc_ (the first) also owns the acceptor, signals and shutdown.
  net::io_context& NextContext() {
    if (extra_iocs_.empty()) return ioc_;
    const size_t i = next_ioc_++ % (extra_iocs_.size() + 1);
    return i == 0 ? ioc_ : *extra_iocs_[i - 1];
  }

  ~Impl() { pool_.join(); }

  Status Listen() {
    beast::error_code ec;
    const auto address = net::ip::make_address(options_.host, ec);
    if (ec)
      return InvalidArgumentError("server.host: '" + options_.host + "' is not an IP address");
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return UnavailableError("cannot listen on " + options_.host + ":" +
                              std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    return OkStatus();
  }

  void Run() {
    net::co_spawn(ioc_, Accept(), net::detached);
    std::vector<std::thread> threads;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
    for (auto& ioc : extra_iocs_) {
      guards.push_back(net::make_work_guard(*ioc));
      threads.emplace_back([&ioc] { ioc->run(); });
    }
    ioc_.run();
    guards.clear();
    for (auto& ioc : extra_iocs_) ioc->stop();
    for (auto& t : threads) t.join();
    FlushLog();  // the access lines of the last requests, before the caller moves on
  }

  void Shutdown() {
    net::post(ioc_, [this] { BeginShutdown(); });
  }

  void ShutdownOnSignals() {
    signals_ = std::make_unique<net::signal_set>(ioc_, SIGINT, SIGTERM);
    signals_->async_wait([this](const beast::error_code& ec, int signo) {
      if (ec) return;
      Logger().Info("signal received; shutting down gracefully", {{"signal", signo}});
      BeginShutdown();
    });
  }

  int port() const { return port_; }
  int open_connections() const { return open_.load(); }
  int in_flight() const { return in_flight_.load(); }

 private:
  awaitable<void> Accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket =
          co_await acceptor_.async_accept(NextContext(), net::redirect_error(use_awaitable, ec));
      if (draining_) co_return;
      if (ec) {
        if (ec == net::error::operation_aborted) co_return;
        // EMFILE and friends: back off briefly instead of spinning.
        Logger().Warn("accept failed", {{"error", ec.message()}});
        net::steady_timer pause(ioc_, std::chrono::milliseconds(50));
        co_await pause.async_wait(net::redirect_error(use_awaitable, ec));
        continue;
      }
      Adopt(std::move(socket));
      // Drain the backlog now: one accept per pass over the run queue would let a busy server
      // leave new clients waiting for seconds.
      acceptor_.non_blocking(true, ec);
      for (int i = 0; i < 256 && !draining_; ++i) {
        tcp::socket next(NextContext());
        acceptor_.accept(next, ec);
        if (ec) break;  // would_block: the backlog is empty
        Adopt(std::move(next));
      }
    }
  }

  void Adopt(tcp::socket socket) {
    beast::error_code ec;
    if (open_.load() >= options_.max_connections) {
      socket.close(ec);
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    const auto remote = socket.remote_endpoint(ec);
    auto conn = std::make_shared<Connection>(std::move(socket));
    if (!ec) conn->remote_addr = remote.address().to_string();
    {
      std::lock_guard<std::mutex> lock(conns_mu_);
      conns_.insert(conn);
    }
    ++open_;
    auto executor = conn->stream.get_executor();
    net::co_spawn(executor, Session(conn), [this, conn](std::exception_ptr) {
      std::lock_guard<std::mutex> lock(conns_mu_);
      conns_.erase(conn);
      --open_;
    });
  }

  Request HeadOf(const http::request_parser<http::string_body>& parser, Connection& conn) {
    const auto& msg = parser.get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    const size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    req.headers.reserve(static_cast<size_t>(std::distance(msg.begin(), msg.end())));
    const std::string* incoming_id = nullptr;
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(field.value()));
      if (incoming_id == nullptr && req.headers.back().first == "x-request-id") {
        incoming_id = &req.headers.back().second;  // stable: the vector has its final capacity
      }
    }
    req.remote_addr = conn.remote_addr;
    req.request_id =
        incoming_id != nullptr && ValidRequestId(*incoming_id) ? *incoming_id : NewRequestId();
    return req;
  }

  awaitable<void> Session(std::shared_ptr<Connection> conn) {
    beast::tcp_stream& stream = conn->stream;
    beast::flat_buffer buffer(8192);
    beast::error_code ec;
    for (;;) {
      if (draining_) break;
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
      // Beast checks Content-Length against the body limit while parsing the head (default
      // 1 MiB), which would fail large uploads before the route is known; the route's limit is
      // set and checked once the head is in (below). (Not boost::none: Beast 1.74 compares the
      // length with the optional, and any length is "greater" than none.)
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      conn->idle = true;
      stream.expires_after(options_.idle_timeout);
      co_await http::async_read_header(stream, buffer, parser,
                                       net::redirect_error(use_awaitable, ec));
      conn->idle = false;
      if (ec == http::error::header_limit) {
        Request head;
        head.request_id = NewRequestId();
        co_await WriteResponse(
            conn, head,
            handler_.Reject(
                head, 431,
                "request head larger than " + std::to_string(options_.max_header_bytes) + " bytes"),
            false);
        break;
      }
      if (ec) {
        if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
            ec != net::error::operation_aborted && ec != net::error::connection_reset &&
            ec != net::error::eof && buffer.size() > 0) {
          Request head;
          head.request_id = NewRequestId();
          co_await WriteResponse(conn, head, handler_.Reject(head, 400, "malformed HTTP request"),
                                 false);
        }
        break;
      }
      Request req = HeadOf(parser, *conn);
      const RouteTraits traits = handler_.Inspect(req);
      parser.body_limit(traits.body_limit);
      if (traits.reject) {
        co_await WriteResponse(conn, req, std::move(*traits.reject), false);
        break;
      }
      const auto declared = parser.content_length();
      if (declared && *declared > traits.body_limit) {
        co_await WriteResponse(conn, req, TooLarge(req, traits), false);
        break;
      }
      bool keep_alive = parser.get().keep_alive();
      if (!parser.is_done()) {
        if (auto expect = req.Header("expect"); expect && beast::iequals(*expect, "100-continue")) {
          http::response<http::empty_body> cont{http::status::continue_, 11};
          co_await http::async_write(stream, cont, net::redirect_error(use_awaitable, ec));
          if (ec) break;
        }
      }
      if (!traits.body_file.empty()) {
        const BodyOutcome outcome = co_await ReadBodyToFile(conn, buffer, parser, req, traits);
        if (outcome == BodyOutcome::kClosed) break;
        if (outcome == BodyOutcome::kTooLarge) {
          co_await WriteResponse(conn, req, TooLarge(req, traits), false);
          break;
        }
        req.body_file = traits.body_file;
      } else if (!parser.is_done()) {
        stream.expires_after(options_.read_timeout);
        co_await http::async_read(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
        if (ec == http::error::body_limit) {
          co_await WriteResponse(conn, req, TooLarge(req, traits), false);
          break;
        }
        if (ec == beast::error::timeout) {
          // The stream has already closed the socket; count it, nobody can read a 408 now.
          handler_.Reject(req, 408, "request body not received in time");
          break;
        }
        if (ec) break;
      }
      if (req.body_file.empty()) req.body = std::move(parser.get().body());

      ++in_flight_;
      Response response;
      if (traits.run_inline) {
        response = handler_.Handle(req);
      } else {
        response = co_await net::co_spawn(
            pool_.get_executor(),
            [this, &req]() -> awaitable<Response> { co_return handler_.Handle(req); },
            use_awaitable);
      }
      keep_alive = keep_alive && !draining_;
      keep_alive = co_await WriteResponse(conn, req, std::move(response), keep_alive);
      --in_flight_;
      if (!keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.socket().close(ec);
  }

  Response TooLarge(const Request& req, const RouteTraits& traits) {
    return handler_.Reject(
        req, 413, "request body larger than " + std::to_string(traits.body_limit) + " bytes");
  }

  enum class BodyOutcome { kDone, kTooLarge, kClosed };

  // Streams the body of `parser`'s request into traits.body_file (created new, 0600). On any
  // failure the partial file is removed.
  awaitable<BodyOutcome> ReadBodyToFile(std::shared_ptr<Connection> conn,
                                        beast::flat_buffer& buffer,
                                        http::request_parser<http::string_body>& header_parser,
                                        const Request& req, const RouteTraits& traits) {
    beast::error_code ec;
    http::request_parser<http::file_body> parser{std::move(header_parser)};
    parser.body_limit(traits.body_limit);
    parser.get().body().open(traits.body_file.c_str(), beast::file_mode::write_new, ec);
    if (ec) {
      Logger(req.request_id).Error("cannot create upload file", {{"error", ec.message()}});
      co_await WriteResponse(conn, req, handler_.Reject(req, 500, "cannot store the body"), false);
      co_return BodyOutcome::kClosed;
    }
    if (!parser.is_done()) {
      conn->stream.expires_after(options_.read_timeout);
      co_await http::async_read(conn->stream, buffer, parser,
                                net::redirect_error(use_awaitable, ec));
    }
    parser.get().body().close();
    if (!ec) co_return BodyOutcome::kDone;
    std::remove(traits.body_file.c_str());
    co_return ec == http::error::body_limit ? BodyOutcome::kTooLarge : BodyOutcome::kClosed;
  }

  // Writes `response`; returns whether the connection may be kept open.
  awaitable<bool> WriteResponse(std::shared_ptr<Connection> conn, const Request& req,
                                Response response, bool keep_alive) {
    beast::tcp_stream& stream = conn->stream;
    beast::error_code ec;
    stream.expires_after(options_.read_timeout);
    if (!response.stream) {
      http::response<http::string_body> res{static_cast<http::status>(response.status), 11};
      res.set(http::field::server, "ragd");
      if (!req.request_id.empty()) res.set("X-Request-Id", req.request_id);
      for (auto& [k, v] : response.headers) res.set(k, v);
      res.keep_alive(keep_alive);
      if (req.method != "HEAD") res.body() = std::move(response.body);
      res.prepare_payload();
      co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
      co_return !ec && keep_alive;
    }

    http::response<http::empty_body> res{static_cast<http::status>(response.status), 11};
    res.set(http::field::server, "ragd");
    if (!req.request_id.empty()) res.set("X-Request-Id", req.request_id);
    for (auto& [k, v] : response.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.chunked(true);
    http::response_serializer<http::empty_body> serializer{res};
    co_await http::async_write_header(stream, serializer, net::redirect_error(use_awaitable, ec));
    if (ec) co_return false;

    auto sink = std::make_shared<StreamSinkImpl>(stream.get_executor());
    conn->sink = sink;
    // A readable socket with nothing to read means the peer closed: cancel the stream.
    stream.socket().async_wait(tcp::socket::wait_read,
                               [conn, sink](const beast::error_code& wait_ec) {
                                 if (wait_ec) return;
                                 beast::error_code avail_ec;
                                 if (conn->stream.socket().available(avail_ec) == 0 || avail_ec) {
                                   sink->Cancel();
                                 }
                               });
    net::post(pool_, [producer = std::move(response.stream), sink]() mutable { producer(sink); });

    bool failed = false;
    std::deque<std::string> chunks;
    for (;;) {
      // Wait only when a Take on this thread found nothing: a Notify posted while a chunk was
      // being written lands before the next Take, so no wake-up is lost.
      const bool closed = sink->Take(&chunks);
      if (chunks.empty()) {
        if (closed || sink->Cancelled()) break;
        stream.expires_never();
        sink->timer().expires_at(std::chrono::steady_clock::time_point::max());
        co_await sink->timer().async_wait(net::redirect_error(use_awaitable, ec));
        continue;
      }
      for (const std::string& chunk : chunks) {
        if (chunk.empty()) continue;
        stream.expires_after(options_.read_timeout);
        co_await net::async_write(stream, http::make_chunk(net::buffer(chunk)),
                                  net::redirect_error(use_awaitable, ec));
        if (ec) {
          failed = true;
          break;
        }
      }
      chunks.clear();
      if (failed || sink->Cancelled()) break;
    }
    failed = failed || sink->Cancelled();
    sink->Cancel();  // no-op for the producer if it already closed; stops one that has not
    if (!failed) {
      stream.expires_after(options_.read_timeout);
      co_await net::async_write(stream, http::make_chunk_last(),
                                net::redirect_error(use_awaitable, ec));
      failed = static_cast<bool>(ec);
    }
    conn->sink.reset();
    // Stop the disconnect watcher (it must not outlive this response).
    stream.socket().cancel(ec);
    co_return !failed && keep_alive;
  }

  void BeginShutdown() {
    if (draining_.exchange(true)) return;
    beast::error_code ec;
    acceptor_.close(ec);
    if (signals_) signals_->cancel(ec);
    std::vector<std::shared_ptr<Connection>> conns;
    {
      std::lock_guard<std::mutex> lock(conns_mu_);
      conns.assign(conns_.begin(), conns_.end());
    }
    for (auto& conn : conns) {
      net::post(conn->stream.get_executor(), [conn] {
        if (conn->idle) conn->stream.cancel();
      });
    }
    drain_deadline_ = std::chrono::steady_clock::now() + options_.shutdown_grace;
    net::co_spawn(ioc_, Drain(), net::detached);
  }

  awaitable<void> Drain() {
    net::steady_timer tick(ioc_);
    beast::error_code ec;
    bool forced = false;
    while (open_.load() > 0) {
      const auto now = std::chrono::steady_clock::now();
      // Handlers blocked on a worker thread keep their connection counted; once the grace
      // period is over (plus a moment for closes to land) stop anyway. The worker pool is joined
      // when the server is destroyed.
      if (forced && now >= drain_deadline_ + std::chrono::milliseconds(100)) break;
      if (!forced && now >= drain_deadline_) {
        forced = true;
        Logger().Warn("shutdown grace period over; closing remaining connections",
                      {{"connections", open_.load()}});
        std::vector<std::shared_ptr<Connection>> conns;
        {
          std::lock_guard<std::mutex> lock(conns_mu_);
          conns.assign(conns_.begin(), conns_.end());
        }
        for (auto& conn : conns) {
          net::post(conn->stream.get_executor(), [conn] {
            if (conn->sink) conn->sink->Cancel();
            beast::error_code close_ec;
            conn->stream.socket().close(close_ec);
          });
        }
      }
      tick.expires_after(std::chrono::milliseconds(10));
      co_await tick.async_wait(net::redirect_error(use_awaitable, ec));
    }
    ioc_.stop();
  }

  ServerOptions options_;
  RequestHandler& handler_;
  net::io_context ioc_;
  std::vector<std::unique_ptr<net::io_context>> extra_iocs_;  // io_threads - 1 more
  std::atomic<size_t> next_ioc_{0};
  tcp::acceptor acceptor_;
  net::thread_pool pool_;
  std::unique_ptr<net::signal_set> signals_;
  std::atomic<bool> draining_{false};
  std::chrono::steady_clock::time_point drain_deadline_;  // set once, on the io thread
  std::atomic<int> open_{0};
  std::atomic<int> in_flight_{0};
  int port_ = 0;
  std::mutex conns_mu_;
  std::set<std::shared_ptr<Connection>> conns_;  // guarded by conns_mu_
};

Server::Server(ServerOptions options, RequestHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}
Server::~Server() = default;
Status Server::Listen() { return impl_->Listen(); }
int Server::port() const { return impl_->port(); }
void Server::Run() { impl_->Run(); }
void Server::Shutdown() { impl_->Shutdown(); }
void Server::ShutdownOnSignals() { impl_->ShutdownOnSignals(); }
int Server::open_connections() const { return impl_->open_connections(); }
int Server::in_flight() const { return impl_->in_flight(); }

}  // namespace ragd
