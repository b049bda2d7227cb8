// The HTTP baseline for issue 2: a minimal cpp-httplib server answering the two routes that the
// ragd server benchmark drives, with comparable work per request minus SQLite and logging:
//
//   GET /health -> 200 {"status":"ok"}
//   GET /v1/me  -> 200 {"key_id":..,"name":..,"role":"admin"} when "Authorization: Bearer <key>"
//                  hashes (SHA-256, hex) to the one configured key's hash (constant-time compare);
//                  401 {"error":{"code":"unauthenticated",...}} otherwise.
//
// Usage: httplib_baseline --key rgd_... [--port N] [--host 127.0.0.1] [--threads N]
//                         [--keep-alive-max N]
// --port 0 (the default) binds any free port. --threads 0 and --keep-alive-max 0 keep the library
// defaults (a pool of max(8, cores - 1) threads; 5 requests per keep-alive connection, 5 s
// keep-alive timeout), i.e. what a plain httplib::Server gives you.
// TCP_NODELAY is on, as in ragd. Prints "listening <port>" on stdout once bound.
#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace {

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * SHA256_DIGEST_LENGTH, '0');
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Same id rule as ragd's ApiKeyId for keys it issued: rgd_<12-char id>_<32-char secret>.
std::string KeyId(std::string_view key) {
  if (key.size() == 4 + 12 + 1 + 32 && key.substr(0, 4) == "rgd_" && key[16] == '_') {
    return std::string(key.substr(4, 12));
  }
  return "ext" + Sha256Hex(key).substr(0, 12);
}

void Unauthenticated(httplib::Response& res, const std::string& message) {
  const nlohmann::json body = {
      {"error", {{"code", "unauthenticated"}, {"message", message}, {"request_id", "-"}}}};
  res.status = 401;
  res.set_header("WWW-Authenticate", "Bearer realm=\"ragd\"");
  res.set_content(body.dump(), "application/json");
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 0;
  int keep_alive_max = 0;
  std::string key;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--host") {
      host = argv[i + 1];
    } else if (flag == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (flag == "--key") {
      key = argv[i + 1];
    } else if (flag == "--threads") {
      threads = std::atoi(argv[i + 1]);
    } else if (flag == "--keep-alive-max") {
      keep_alive_max = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (key.empty()) {
    std::fprintf(stderr,
                 "usage: httplib_baseline --port N --key KEY [--host H] [--threads N] "
                 "[--keep-alive-max N]\n");
    return 2;
  }
  // Only the hash is kept, as ragd keeps only the hash (in SQLite).
  const std::string key_hash = Sha256Hex(key);
  const std::string key_id = KeyId(key);
  key.clear();

  httplib::Server server;
  // ragd sets TCP_NODELAY too; without it httplib's separate head/body writes meet delayed ACKs
  // (about 40 ms per response on loopback), which would measure Nagle, not the server.
  server.set_tcp_nodelay(true);
  if (threads > 0) {
    server.new_task_queue = [threads] {
      return new httplib::ThreadPool(static_cast<size_t>(threads));
    };
  }
  if (keep_alive_max > 0) server.set_keep_alive_max_count(static_cast<size_t>(keep_alive_max));

  server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(nlohmann::json{{"status", "ok"}}.dump(), "application/json");
  });
  server.Get("/v1/me", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string auth = req.get_header_value("Authorization");
    if (auth.empty()) {
      Unauthenticated(res, "missing API key");
      return;
    }
    constexpr std::string_view kBearer = "bearer ";
    std::string presented;
    if (auth.size() > kBearer.size()) {
      std::string scheme = auth.substr(0, kBearer.size());
      for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (scheme == kBearer) presented = auth.substr(kBearer.size());
    }
    if (presented.empty() || presented.size() > 256 || KeyId(presented) != key_id ||
        !ConstantTimeEquals(Sha256Hex(presented), key_hash)) {
      Unauthenticated(res, "invalid or revoked API key");
      return;
    }
    const nlohmann::json body = {{"key_id", key_id}, {"name", "demo-admin"}, {"role", "admin"}};
    res.set_content(body.dump(), "application/json");
  });

  if (port == 0) {
    port = server.bind_to_any_port(host.c_str());
  } else if (!server.bind_to_port(host.c_str(), port)) {
    port = -1;
  }
  if (port <= 0) {
    std::fprintf(stderr, "cannot listen on %s\n", host.c_str());
    return 1;
  }
  std::printf("listening %d\n", port);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
