#include <malloc.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "api/api_keys.h"
#include "api/server.h"
#include "api/service.h"
#include "app/commands.h"
#include "app/engine_setup.h"
#include "app/objects.h"
#include "app/storage.h"
#include "core/log.h"
#include "core/metrics.h"

namespace ragd {
namespace {

// Idle keep-alive clients each hold a descriptor; use all the process may have.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int Cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

// glibc gives threads up to 8 malloc arenas per core; with a thread per chat stream each arena
// keeps its own free lists and high-water mark, which shows up as RSS. Two per core is plenty for
// the allocation rate here. MALLOC_ARENA_MAX in the environment still wins.
void LimitMallocArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;
  mallopt(M_ARENA_MAX, 2 * Cores());
}

int Fail(const Logger& log, const std::string& what, const Status& status) {
  log.Error(what, {{"error", status.message()}});
  std::fprintf(stderr, "ragd: %s: %s\n", what.c_str(), status.message().c_str());
  return 1;
}

// Where clients reach this server: server.public_url, else http://<host>:<port>.
std::string PublicUrl(const Config& config, int port) {
  if (!config.server_public_url.empty()) return config.server_public_url;
  const std::string& host = config.server_host;
  const bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

int RunServe(const Config& config, const ServeFlags& flags) {
  LogLevel level = LogLevel::kInfo;
  ParseLogLevel(config.log_level, &level);
  SetLogLevel(level);
  std::signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit();
  LimitMallocArenas();
  Logger log;

  // Lock first: nothing, not even a migration, touches a directory another process uses.
  if (Status s = LockDataDir(config); !s.ok()) return Fail(log, "cannot use the data directory", s);
  auto db = OpenMainDatabase(config);
  if (!db.ok()) {
    log.Error("cannot open storage", {{"error", db.status().message()}});
    std::fprintf(stderr, "ragd: %s\n", db.status().message().c_str());
    return 1;
  }
  ApiKeyStore keys(**db, Clock::Real());
  if (!config.auth_admin_key.empty()) {
    Status s = keys.Ensure(config.auth_admin_key, "configured-admin", Role::kAdmin);
    if (!s.ok()) {
      std::fprintf(stderr, "ragd: auth.admin_key: %s\n", s.message().c_str());
      return 1;
    }
  }

  StatusOr<ObjectBackend> objects =
      OpenObjectBackend(config, **db, PublicUrl(config, config.server_port), log);
  if (!objects.ok()) return Fail(log, "cannot open the object store", objects.status());

  StatusOr<EngineBundle> engine = OpenEngine(config, **db, *objects);
  if (!engine.ok()) return Fail(log, "cannot start the engine", engine.status());
  if (Status s = engine->engine->Start(); !s.ok()) return Fail(log, "cannot start the engine", s);

  MetricsRegistry metrics;
  Gauge& open_connections =
      metrics.GaugeMetric("ragd_http_open_connections", "Open client connections");
  std::atomic<bool> accepting{true};
  Server* server_ptr = nullptr;

  ApiContext ctx;
  ctx.config = &config;
  ctx.db = db->get();
  ctx.keys = &keys;
  ctx.metrics = &metrics;
  ctx.clock = &Clock::Real();
  ctx.ready = [&accepting] { return accepting.load(); };
  ctx.refresh_gauges = [&] {
    if (server_ptr) open_connections.Set(server_ptr->open_connections());
  };
  ctx.objects = objects->store.get();  // null with objects.store = s3: no local endpoint
  ctx.object_credentials = objects->credentials;
  ctx.upload_urls = objects->issuer.get();
  ctx.engine = engine->engine.get();
  ctx.chat = engine->chat.get();
  ApiService service(ctx);

  ServerOptions options;
  options.host = config.server_host;
  options.port = config.server_port;
  options.io_threads = config.server_io_threads > 0 ? config.server_io_threads : Cores();
  options.worker_threads =
      config.server_worker_threads > 0 ? config.server_worker_threads : 2 * Cores();
  options.max_header_bytes = static_cast<size_t>(config.server_max_header_bytes);
  options.read_timeout = std::chrono::milliseconds(config.server_read_timeout_ms);
  options.idle_timeout = std::chrono::milliseconds(config.server_idle_timeout_ms);
  options.shutdown_grace = std::chrono::milliseconds(config.server_shutdown_grace_ms);
  options.max_connections = config.server_max_connections;
  Server server(options, service);
  server_ptr = &server;
  if (Status s = server.Listen(); !s.ok()) {
    log.Error("cannot listen", {{"error", s.message()}});
    std::fprintf(stderr, "ragd: %s\n", s.message().c_str());
    return 1;
  }
  const std::string url = PublicUrl(config, server.port());
  if (objects->local_issuer != nullptr) {
    if (Status s = objects->local_issuer->SetEndpoint(url); !s.ok()) {
      return Fail(log, "server.public_url", s);
    }
  }
  log.Info("listening", {{"url", url},
                         {"data_dir", config.data_dir},
                         {"io_threads", options.io_threads},
                         {"worker_threads", options.worker_threads}});
  if (flags.demo) {
    auto demo_key = keys.Rotate("demo-admin", Role::kAdmin);
    if (!demo_key.ok()) {
      std::fprintf(stderr, "ragd: %s\n", demo_key.status().message().c_str());
      return 1;
    }
    const std::filesystem::path demo_dir =
        flags.demo_dir.empty() ? DefaultDemoDir() : std::filesystem::path(flags.demo_dir);
    StatusOr<Bot> demo_bot =
        EnsureDemoBot(*engine->engine, Caller{demo_key->info.id, true}, demo_dir);
    if (!demo_bot.ok()) return Fail(log, "cannot set up the demo bot", demo_bot.status());
    // Printed to stdout for the person at the terminal only; logs never contain it.
    std::printf(
        "\nragd is running at %s\nAdmin API key (demo, replaced on every --demo start): %s\n"
        "Demo bot: '%s' over %s\n\nAsk it something:\n"
        "  curl -s -X POST -H 'Authorization: Bearer %s' %s/v1/bots/demo/conversations\n"
        "  curl -N -H 'Authorization: Bearer %s' -H 'Accept: text/event-stream' "
        "-H 'Content-Type: application/json' \\\n"
        "       -d '{\"content\":\"How long is the frame warranty?\"}' "
        "%s/v1/conversations/<conversation_id>/messages\n\n",
        url.c_str(), demo_key->key.c_str(), demo_bot->config.title.c_str(), demo_dir.c_str(),
        demo_key->key.c_str(), url.c_str(), demo_key->key.c_str(), url.c_str());
    std::fflush(stdout);
  }
  server.ShutdownOnSignals();
  server.Run();
  accepting = false;
  engine->engine->Stop();
  // Streaming turns end once their client is gone (at the model's next delta); one still waiting
  // on a silent upstream after the grace period is abandoned like a blocked handler.
  if (!engine->chat->streams().WaitIdle(std::chrono::seconds(2))) {
    log.Warn("exiting with chat streams still running after the grace period",
             {{"streams", engine->chat->streams().active()}});
    std::_Exit(1);
  }
  if (server.in_flight() > 0) {
    // Handlers still blocked after the grace period: exit without waiting for them. Storage
    // is SQLite in WAL mode, so an interrupted write is rolled back on the next start.
    log.Warn("exiting with requests still running after the grace period",
             {{"in_flight", server.in_flight()}});
    std::_Exit(1);
  }
  log.Info("stopped");
  return 0;
}

}  // namespace ragd
