#include "core/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <sstream>

extern char** environ;

namespace ragd {
namespace {

Status ParseInt64(const std::string& text, int64_t* out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, *out);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return InvalidArgumentError("'" + text + "' is not an integer");
  }
  return OkStatus();
}

template <typename T>
OptionSpec IntOption(std::string key, std::string help, T Config::*member, int64_t min,
                     int64_t max) {
  OptionSpec spec;
  spec.key = std::move(key);
  spec.type = OptionType::kInt;
  spec.help = std::move(help);
  spec.set = [member, min, max](Config& c, const std::string& v) -> Status {
    int64_t parsed = 0;
    RAGD_RETURN_IF_ERROR(ParseInt64(v, &parsed));
    if (parsed < min || parsed > max) {
      return InvalidArgumentError(v + " is out of range [" + std::to_string(min) + ", " +
                                  std::to_string(max) + "]");
    }
    c.*member = static_cast<T>(parsed);
    return OkStatus();
  };
  spec.get = [member](const Config& c) { return std::to_string(c.*member); };
  return spec;
}

OptionSpec StringOption(std::string key, std::string help, std::string Config::*member,
                        std::function<Status(const std::string&)> validate = nullptr,
                        bool secret = false) {
  OptionSpec spec;
  spec.key = std::move(key);
  spec.type = OptionType::kString;
  spec.help = std::move(help);
  spec.secret = secret;
  spec.set = [member, validate](Config& c, const std::string& v) -> Status {
    if (validate) RAGD_RETURN_IF_ERROR(validate(v));
    c.*member = v;
    return OkStatus();
  };
  spec.get = [member](const Config& c) { return c.*member; };
  return spec;
}

// S3 bucket naming: 3..63 of [a-z0-9.-], a letter or digit at both ends; and not a first path
// segment ragd's own routes use (the upload route is "/<bucket>/{key+}").
Status ValidateBucket(const std::string& v) {
  const bool chars_ok = std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  });
  if (v.size() < 3 || v.size() > 63 || !chars_ok ||
      !std::isalnum(static_cast<unsigned char>(v[0])) ||
      !std::isalnum(static_cast<unsigned char>(v.back()))) {
    return InvalidArgumentError("'" + v +
                                "' is not a valid bucket name (3-63 of a-z 0-9 . -, starting and "
                                "ending with a letter or digit)");
  }
  for (const char* reserved : {"v1", "health", "ready", "metrics", "web", "static", "assets"}) {
    if (v == reserved) return InvalidArgumentError("'" + v + "' is reserved for ragd's own routes");
  }
  return OkStatus();
}

// Characters allowed in a SigV4 credential scope component or access key id.
Status ValidateScopeText(const std::string& v, size_t min, size_t max, const char* what) {
  const bool chars_ok = std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  if (v.empty() && min == 0) return OkStatus();
  if (v.size() < std::max<size_t>(min, 1) || v.size() > max || !chars_ok) {
    return InvalidArgumentError(std::string(what) + " must be " + std::to_string(min) + "-" +
                                std::to_string(max) + " of A-Z a-z 0-9 - _");
  }
  return OkStatus();
}

void AddObjectOptions(std::vector<OptionSpec>& o) {
  o.push_back(StringOption(
      "objects.store",
      "Where uploads go: local (ragd is its own S3-compatible endpoint) | s3 (Amazon S3 via the "
      "AWS credential chain)",
      &Config::objects_store, [](const std::string& v) -> Status {
        if (v == "local" || v == "s3") return OkStatus();
        return InvalidArgumentError("'" + v + "' is not one of local|s3");
      }));
  o.push_back(StringOption("objects.s3_endpoint",
                           "With objects.store = s3: an S3-compatible endpoint "
                           "(scheme://host[:port]); empty for AWS",
                           &Config::objects_s3_endpoint));
  o.push_back(StringOption("objects.bucket",
                           "Bucket name for uploaded documents (also the first path segment of "
                           "the local upload endpoint)",
                           &Config::objects_bucket, ValidateBucket));
  o.push_back(StringOption(
      "objects.region", "Region that upload URLs are signed for", &Config::objects_region,
      [](const std::string& v) { return ValidateScopeText(v, 1, 64, "the region"); }));
  o.push_back(StringOption(
      "objects.access_key_id",
      "Access key id of the local upload endpoint (empty: generated once and kept in ragd.db)",
      &Config::objects_access_key_id,
      [](const std::string& v) { return ValidateScopeText(v, 0, 128, "the access key id"); },
      /*secret=*/true));
  o.push_back(StringOption(
      "objects.secret_access_key",
      "Secret key of the local upload endpoint (empty: generated once and kept in ragd.db)",
      &Config::objects_secret_access_key,
      [](const std::string& v) -> Status {
        if (!v.empty() && (v.size() < 16 || v.size() > 256)) {
          return InvalidArgumentError("must be 16-256 characters");
        }
        return OkStatus();
      },
      /*secret=*/true));
  o.push_back(IntOption("objects.max_upload_bytes", "Largest accepted upload (S3 EntityTooLarge)",
                        &Config::objects_max_upload_bytes, 1, int64_t{5} << 30));
  o.push_back(IntOption("objects.url_expiry_seconds", "Validity of presigned upload URLs",
                        &Config::objects_url_expiry_seconds, 1, 604800));
}

void AddEngineOptions(std::vector<OptionSpec>& o) {
  o.push_back(StringOption("models.dir",
                           "Directory with the USE-lite embedding model (empty: models/use-lite-en "
                           "of the source tree; the hashing embedder is used when absent)",
                           &Config::models_dir));
  o.push_back(IntOption("ingest.workers", "Ingestion worker threads (0: one per core)",
                        &Config::ingest_workers, 0, 256));
  o.push_back(IntOption("ingest.max_pages", "Pages a document may have", &Config::ingest_max_pages,
                        1, 1'000'000));
  o.push_back(IntOption("ingest.max_text_bytes", "Text a document may yield",
                        &Config::ingest_max_text_bytes, 1024, int64_t{1} << 34));
  o.push_back(IntOption("ingest.time_limit_seconds", "Time one document may take to parse",
                        &Config::ingest_time_limit_seconds, 1, 86400));
  o.push_back(IntOption("index.memory_budget_mb",
                        "Memory for loaded vector indexes; least recently used bots are unloaded",
                        &Config::index_memory_budget_mb, 16, int64_t{1} << 24));
  o.push_back(IntOption("index.lexical_memory_mb",
                        "Memory for in-memory BM25 indexes of large bots (0: search SQLite FTS5 "
                        "only)",
                        &Config::index_lexical_memory_mb, 0, int64_t{1} << 24));
  o.push_back(IntOption("index.lexical_memory_min_chunks",
                        "Bots with at least this many chunks get an in-memory BM25 index",
                        &Config::index_lexical_memory_min_chunks, 1, int64_t{1} << 40));
  o.push_back(
      StringOption("aws.region", "AWS region for Bedrock", &Config::aws_region,
                   [](const std::string& v) { return ValidateScopeText(v, 1, 64, "the region"); }));
  o.push_back(StringOption("bedrock.endpoint",
                           "Bedrock Runtime endpoint override, scheme://host[:port] (empty: AWS)",
                           &Config::bedrock_endpoint));
  o.push_back(StringOption("openai.base_url", "Base URL of an OpenAI-compatible server",
                           &Config::openai_base_url));
  o.push_back(StringOption("pricing.file",
                           "JSON file of model prices overriding the built-in table: "
                           "{\"model-id\": {\"input_per_1k\": x, \"output_per_1k\": y}}",
                           &Config::pricing_file));
  o.push_back(StringOption("openai.api_key", "API key for the OpenAI-compatible server",
                           &Config::openai_api_key, nullptr, /*secret=*/true));
}

std::vector<OptionSpec> BuildOptions() {
  constexpr int64_t kMaxInt = 2'147'483'647;
  std::vector<OptionSpec> o;
  o.push_back(StringOption("server.host", "Address to listen on", &Config::server_host));
  o.push_back(IntOption("server.port", "TCP port to listen on (0: pick a free port)",
                        &Config::server_port, 0, 65535));
  o.push_back(IntOption("server.io_threads", "Network threads (0: one per core)",
                        &Config::server_io_threads, 0, 256));
  o.push_back(IntOption("server.worker_threads",
                        "Threads for blocking request handlers (0: two per core)",
                        &Config::server_worker_threads, 0, 1024));
  o.push_back(IntOption("server.max_header_bytes", "Largest accepted request head (431 beyond)",
                        &Config::server_max_header_bytes, 1024, 1 << 20));
  o.push_back(IntOption("server.max_body_bytes", "Largest accepted JSON request body (413 beyond)",
                        &Config::server_max_body_bytes, 1024, int64_t{1} << 32));
  o.push_back(IntOption("server.read_timeout_ms", "Time allowed to receive one request",
                        &Config::server_read_timeout_ms, 100, kMaxInt));
  o.push_back(IntOption("server.idle_timeout_ms", "Keep-alive connections idle longer are closed",
                        &Config::server_idle_timeout_ms, 100, kMaxInt));
  o.push_back(IntOption("server.shutdown_grace_ms",
                        "On SIGTERM, how long in-flight requests may take to finish",
                        &Config::server_shutdown_grace_ms, 0, kMaxInt));
  o.push_back(IntOption("server.max_connections", "Concurrent connections accepted",
                        &Config::server_max_connections, 1, 10'000'000));
  o.push_back(IntOption("server.max_streams",
                        "Streaming chat answers in progress at once, each on its own small-stack "
                        "thread outside the worker pool (503 with Retry-After beyond)",
                        &Config::server_max_streams, 1, 100'000));
  o.push_back(StringOption("server.public_url",
                           "Base URL clients use to reach this server (default http://host:port)",
                           &Config::server_public_url));
  o.push_back(StringOption("data.dir", "Directory for SQLite files, indexes and uploaded objects",
                           &Config::data_dir, [](const std::string& v) -> Status {
                             if (v.empty()) return InvalidArgumentError("must not be empty");
                             return OkStatus();
                           }));
  o.push_back(StringOption("log.level", "debug | info | warn | error", &Config::log_level,
                           [](const std::string& v) -> Status {
                             if (v == "debug" || v == "info" || v == "warn" || v == "error") {
                               return OkStatus();
                             }
                             return InvalidArgumentError("'" + v +
                                                         "' is not one of debug|info|warn|error");
                           }));
  o.push_back(StringOption(
      "auth.admin_key",
      "An admin API key to accept (stored hashed); for deployments that "
      "inject the key as a secret",
      &Config::auth_admin_key,
      [](const std::string& v) -> Status {
        if (!v.empty() && v.size() < 24) {
          return InvalidArgumentError("must be at least 24 characters");
        }
        return OkStatus();
      },
      /*secret=*/true));
  AddObjectOptions(o);
  AddEngineOptions(o);
  return o;
}

const OptionSpec* FindOption(const std::string& key) {
  for (const OptionSpec& spec : ConfigOptions()) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

// Flattens a TOML table into dotted key -> textual value; nested tables recurse.
Status FlattenToml(const toml::table& table, const std::string& prefix,
                   std::map<std::string, std::string>* out) {
  for (const auto& [k, node] : table) {
    const std::string key =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const toml::table* sub = node.as_table()) {
      RAGD_RETURN_IF_ERROR(FlattenToml(*sub, key, out));
    } else if (auto s = node.value<std::string>(); s && node.is_string()) {
      (*out)[key] = *s;
    } else if (node.is_integer()) {
      (*out)[key] = std::to_string(*node.value<int64_t>());
    } else if (node.is_boolean()) {
      (*out)[key] = *node.value<bool>() ? "true" : "false";
    } else {
      return InvalidArgumentError(key + ": unsupported value type");
    }
  }
  return OkStatus();
}

Status Apply(Config& config, const std::string& source, const std::string& key,
             const std::string& value) {
  const OptionSpec* spec = FindOption(key);
  if (spec == nullptr) return InvalidArgumentError(source + ": unknown option '" + key + "'");
  Status s = spec->set(config, value);
  if (!s.ok()) return InvalidArgumentError(source + ": " + key + ": " + s.message());
  return OkStatus();
}

}  // namespace

const std::vector<OptionSpec>& ConfigOptions() {
  static const std::vector<OptionSpec> options = BuildOptions();
  return options;
}

std::string EnvNameFor(const std::string& key) {
  std::string out = "RAGD_";
  for (char c : key) {
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

std::string FlagNameFor(const std::string& key) {
  std::string out;
  for (char c : key) out.push_back(c == '.' || c == '_' ? '-' : c);
  return out;
}

StatusOr<Config> LoadConfig(const ConfigSources& sources) {
  Config config;
  if (sources.toml_path) {
    const std::string& path = *sources.toml_path;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      if (sources.toml_required) return NotFoundError("config file " + path + " does not exist");
    } else {
      toml::table table;
      try {
        table = toml::parse_file(path);
      } catch (const toml::parse_error& e) {
        std::ostringstream where;
        where << path << ":" << e.source().begin.line << ":" << e.source().begin.column;
        return InvalidArgumentError(where.str() + ": " + std::string(e.description()));
      }
      std::map<std::string, std::string> values;
      RAGD_RETURN_IF_ERROR(FlattenToml(table, "", &values));
      for (const auto& [key, value] : values) {
        RAGD_RETURN_IF_ERROR(Apply(config, path, key, value));
      }
    }
  }
  for (const auto& [name, value] : sources.env) {
    if (name.rfind("RAGD_", 0) != 0 || name == "RAGD_CONFIG") continue;
    const OptionSpec* match = nullptr;
    for (const OptionSpec& spec : ConfigOptions()) {
      if (EnvNameFor(spec.key) == name) match = &spec;
    }
    if (match == nullptr) {
      return InvalidArgumentError("environment: unknown variable " + name +
                                  " (see `ragd serve --help` for the RAGD_* variables)");
    }
    RAGD_RETURN_IF_ERROR(Apply(config, name, match->key, value));
  }
  for (const auto& [key, value] : sources.flags) {
    RAGD_RETURN_IF_ERROR(Apply(config, "--" + FlagNameFor(key), key, value));
  }
  return config;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.rfind("RAGD_", 0) != 0) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

}  // namespace ragd
