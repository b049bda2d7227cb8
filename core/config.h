// ragd's configuration: one typed struct filled from, in increasing order of precedence,
//   built-in defaults < TOML file (ragd.toml) < environment (RAGD_*) < command-line flags.
//
// Every option has one dotted key ("server.port") from which the other spellings derive:
//   TOML   [server] port = 8080
//   env    RAGD_SERVER_PORT=8080
//   flag   --server-port 8080
// Unknown TOML keys and unknown RAGD_* variables are errors (a typo must not silently fall back to
// a default). RAGD_CONFIG names the TOML file; without it ./ragd.toml is read when present.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace ragd {

struct Config {
  // [server]
  std::string server_host = "127.0.0.1";
  int server_port = 8080;
  int server_io_threads = 0;      // 0: one per core
  int server_worker_threads = 0;  // 0: 2 per core (blocking handlers)
  int64_t server_max_header_bytes = 16 * 1024;
  int64_t server_max_body_bytes = 1024 * 1024;
  int server_read_timeout_ms = 30'000;
  int server_idle_timeout_ms = 75'000;
  int server_shutdown_grace_ms = 20'000;
  int server_max_connections = 20'000;
  int server_max_streams = 2048;  // streaming chat turns at once; 503 + Retry-After beyond
  std::string server_public_url;  // empty: http://<host>:<port>
  // [data]
  std::string data_dir = "ragd-data";
  // [log]
  std::string log_level = "info";
  // [auth]
  std::string auth_admin_key;  // secret: ensures this key exists as an admin key (for deployments)
  // [objects]: uploaded documents. With the embedded store, ragd is its own S3-compatible upload
  // endpoint (PUT <public url>/<bucket>/<key>, presigned with the key pair below).
  std::string objects_store = "local";  // "local" (embedded) | "s3"
  std::string objects_s3_endpoint;      // objects.store = s3: empty for AWS, else S3-compatible
  std::string objects_bucket = "ragd-uploads";
  std::string objects_region = "us-east-1";
  // Secret pair that signs upload URLs; both empty: generated at first start and kept in ragd.db.
  std::string objects_access_key_id;
  std::string objects_secret_access_key;
  int64_t objects_max_upload_bytes = 100 * 1024 * 1024;
  int objects_url_expiry_seconds = 900;

  // Ingestion and retrieval.
  std::string models_dir;  // empty: the USE-lite files next to the binary's source tree
  int ingest_workers = 0;  // 0: one per core
  int64_t ingest_max_pages = 5000;
  int64_t ingest_max_text_bytes = 64LL << 20;
  int ingest_time_limit_seconds = 600;
  int64_t index_memory_budget_mb = 2048;
  int64_t index_lexical_memory_mb = 512;  // 0: no in-memory BM25
  int64_t index_lexical_memory_min_chunks = 20000;

  // Remote model providers (used by bots whose model or embedder names them).
  std::string aws_region = "us-east-1";  // Bedrock; credentials come from the AWS chain
  std::string bedrock_endpoint;          // empty: https://bedrock-runtime.<region>.amazonaws.com
  std::string openai_base_url = "http://127.0.0.1:11434";  // OpenAI-compatible (Ollama default)
  std::string openai_api_key;
  std::string pricing_file;  // JSON {"model-id": {"input_per_1k": x, "output_per_1k": y}} overrides
};

enum class OptionType { kString, kInt, kBool };

struct OptionSpec {
  std::string key;  // dotted, e.g. "server.port"
  OptionType type;
  std::string help;
  bool secret = false;  // never printed (help shows "(secret)" instead of the value)
  std::function<Status(Config&, const std::string&)> set;
  std::function<std::string(const Config&)> get;
};

// All options, in the order `--help` lists them.
const std::vector<OptionSpec>& ConfigOptions();

std::string EnvNameFor(const std::string& key);   // "server.port" -> "RAGD_SERVER_PORT"
std::string FlagNameFor(const std::string& key);  // "server.port" -> "server-port"

struct ConfigSources {
  std::optional<std::string> toml_path;      // file to read, if any
  bool toml_required = false;                // true when named explicitly (missing = error)
  std::map<std::string, std::string> env;    // the process environment (only RAGD_* matter)
  std::map<std::string, std::string> flags;  // dotted key -> value, from the command line
};

// Builds the config; errors name the source and the key ("RAGD_SERVER_PORT: not an integer").
StatusOr<Config> LoadConfig(const ConfigSources& sources);

// Reads RAGD_* variables from the process environment.
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace ragd
