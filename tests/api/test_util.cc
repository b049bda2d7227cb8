#include "tests/api/test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace ragd::testing {

RunningServer::RunningServer(ServerOptions options, RequestHandler& handler) {
  options.host = "127.0.0.1";
  options.port = 0;
  server_ = std::make_unique<Server>(options, handler);
  if (!server_->Listen().ok()) std::abort();
  thread_ = std::thread([this] { server_->Run(); });
}

RunningServer::~RunningServer() {
  server_->Shutdown();
  Join();
}

void RunningServer::Join() {
  if (thread_.joinable()) thread_.join();
}

std::string RunningServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + path;
}

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string ReadUntilClose(int fd, int timeout_ms) {
  std::string out;
  char buf[8192];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string ReadOneResponse(int fd, int timeout_ms) {
  std::string out;
  char c;
  while (out.find("\r\n\r\n") == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return out;
    if (::recv(fd, &c, 1, 0) != 1) return out;
    out.push_back(c);
  }
  size_t length = 0;
  const size_t cl = out.find("Content-Length: ");
  if (cl != std::string::npos) length = std::strtoul(out.c_str() + cl + 16, nullptr, 10);
  std::string body(length, '\0');
  size_t got = 0;
  while (got < length) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) break;
    const ssize_t n = ::recv(fd, body.data() + got, length - got, 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  body.resize(got);
  return out + body;
}

std::string RawExchange(int port, const std::string& bytes, int timeout_ms) {
  const int fd = Connect(port);
  if (fd < 0) return "";
  SendAll(fd, bytes);
  std::string out = ReadUntilClose(fd, timeout_ms);
  ::close(fd);
  return out;
}

}  // namespace ragd::testing
