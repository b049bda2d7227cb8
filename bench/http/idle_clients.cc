// Holds N idle HTTP/1.1 keep-alive connections open against a server, for the "10k idle
// connections" measurement of issue 2.
//
// Usage: idle_clients --port P [--host 127.0.0.1] [--count 10000] [--path /health]
//
// Opens `count` TCP connections one after another; on each sends one "GET <path>" with
// "Connection: keep-alive" and reads the complete response, then leaves the connection idle.
// Prints "ready <opened> <failed>" on stdout once done, then waits for SIGTERM/SIGINT; on that it
// prints "still_open <n>" (connections the server had not closed meanwhile) and exits.
// Raises RLIMIT_NOFILE to the hard limit first.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

// Reads one full response (head + Content-Length body). False on error/EOF/timeout.
bool ReadResponse(int fd) {
  std::string buf;
  char chunk[4096];
  size_t body_start = std::string::npos;
  size_t content_length = 0;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10'000) <= 0) return false;
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<size_t>(n));
    if (body_start == std::string::npos) {
      const size_t end = buf.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      body_start = end + 4;
      std::string head = buf.substr(0, end);
      for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const size_t cl = head.find("content-length:");
      if (cl != std::string::npos) {
        content_length = std::strtoul(head.c_str() + cl + 15, nullptr, 10);
      }
      if (head.compare(0, 12, "http/1.1 200") != 0) return false;
    }
    if (buf.size() >= body_start + content_length) return true;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  std::string path = "/health";
  int port = 0;
  int count = 10'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--host") {
      host = argv[i + 1];
    } else if (flag == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (flag == "--count") {
      count = std::atoi(argv[i + 1]);
    } else if (flag == "--path") {
      path = argv[i + 1];
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (port <= 0) {
    std::fprintf(stderr, "usage: idle_clients --port P [--host H] [--count N] [--path P]\n");
    return 2;
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    std::fprintf(stderr, "bad host %s\n", host.c_str());
    return 2;
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" +
                              std::to_string(port) + "\r\nConnection: keep-alive\r\n\r\n";

  std::vector<int> fds;
  fds.reserve(static_cast<size_t>(count));
  int failed = 0;
  for (int i = 0; i < count && !g_stop; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
      if (++failed == 1) std::perror("socket");
      continue;
    }
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        send(fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size()) ||
        !ReadResponse(fd)) {
      if (++failed == 1) std::perror("connection");
      close(fd);
      continue;
    }
    fds.push_back(fd);
  }
  std::printf("ready %zu %d\n", fds.size(), failed);
  std::fflush(stdout);

  while (!g_stop) pause();

  // A connection the server closed is readable (EOF) now.
  int still_open = 0;
  for (int fd : fds) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) == 0) ++still_open;
    close(fd);
  }
  std::printf("still_open %d\n", still_open);
  std::fflush(stdout);
  return 0;
}
