#include "app/engine_setup.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "aws/credentials.h"
#include "core/http_client.h"

#ifndef RAGD_DEFAULT_MODEL_DIR
#define RAGD_DEFAULT_MODEL_DIR "models/use-lite-en"
#endif
#ifndef RAGD_DEFAULT_DEMO_DIR
#define RAGD_DEFAULT_DEMO_DIR "data/demo"
#endif

namespace ragd {

StatusOr<EngineBundle> OpenEngine(const Config& config, Database& db, ObjectBackend& objects) {
  EngineBundle out;
  out.http = NewCurlTransport();
  out.aws = std::make_unique<AwsCredentialChain>(ProcessEnvLookup(), *out.http, Clock::Real());
  EngineOptions options;
  options.data_dir = config.data_dir;
  options.model_dir = config.models_dir.empty() ? RAGD_DEFAULT_MODEL_DIR : config.models_dir;
  options.bucket = config.objects_bucket;
  options.ingest_workers = config.ingest_workers;
  options.max_document_bytes = config.objects_max_upload_bytes;
  options.max_pages = config.ingest_max_pages;
  options.max_text_bytes = config.ingest_max_text_bytes;
  options.document_time_limit_s = config.ingest_time_limit_seconds;
  options.index_memory_budget = static_cast<uint64_t>(config.index_memory_budget_mb) << 20;
  options.lexical_memory_budget = static_cast<uint64_t>(config.index_lexical_memory_mb) << 20;
  options.lexical_memory_min_chunks = config.index_lexical_memory_min_chunks;
  options.remote.aws_region = config.aws_region;
  options.remote.bedrock_endpoint = config.bedrock_endpoint;
  options.remote.openai_base_url = config.openai_base_url;
  options.remote.openai_api_key = config.openai_api_key;
  options.transport = out.http.get();
  options.credentials = out.aws.get();
  RAGD_ASSIGN_OR_RETURN(out.engine, Engine::Create(options, db, Clock::Real(), objects.reader(),
                                                   objects.issuer.get()));
  PriceTable prices = DefaultPriceTable();
  if (!config.pricing_file.empty()) {
    std::ifstream in(config.pricing_file);
    if (!in) return FailedPreconditionError("pricing.file: cannot read " + config.pricing_file);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) return InvalidArgumentError("pricing.file: not valid JSON");
    RAGD_ASSIGN_OR_RETURN(PriceTable overrides, ParsePriceTable(j, "pricing.file"));
    prices = WithOverrides(std::move(prices), overrides);
  }
  out.conversations = std::make_unique<ConversationStore>(db, Clock::Real());
  RAGD_ASSIGN_OR_RETURN(int64_t abandoned,
                        out.conversations->FailPendingMessages("interrupted by a restart"));
  (void)abandoned;
  out.providers = std::make_unique<ProviderRegistry>(options.remote, out.http.get(), out.aws.get(),
                                                     Clock::Real());
  StreamExecutorOptions streams;
  streams.max_streams = config.server_max_streams;
  out.chat = std::make_unique<ChatService>(*out.engine, *out.conversations, *out.providers,
                                           std::move(prices), Clock::Real(), streams);
  return out;
}

Status LockDataDir(const Config& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return FailedPreconditionError("cannot create data directory " + config.data_dir);
  const std::string path = (std::filesystem::path(config.data_dir) / "LOCK").string();
  // Deliberately never closed: the lock lasts as long as the process.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return FailedPreconditionError("cannot open " + path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return FailedPreconditionError("the data directory " + config.data_dir +
                                   " is in use by another ragd process (a running server?). Stop "
                                   "it, or upload through the server's API instead");
  }
  return OkStatus();
}

std::string ContentTypeForPath(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  static const std::pair<const char*, const char*> kTypes[] = {
      {".pdf", "application/pdf"},
      {".html", "text/html"},
      {".htm", "text/html"},
      {".md", "text/markdown"},
      {".markdown", "text/markdown"},
      {".txt", "text/plain"},
      {".text", "text/plain"},
      {".csv", "text/csv"},
      {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
  };
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return type;
  }
  return "";
}

std::vector<std::filesystem::path> CollectFiles(const std::vector<std::string>& paths,
                                                std::vector<std::string>& skipped) {
  std::vector<std::filesystem::path> files;
  auto consider = [&](const std::filesystem::path& p) {
    if (ContentTypeForPath(p).empty()) {
      skipped.push_back(p.string());
    } else {
      files.push_back(p);
    }
  };
  for (const std::string& arg : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      for (auto it = std::filesystem::recursive_directory_iterator(arg, ec);
           it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        if (it->is_regular_file(ec)) consider(it->path());
      }
    } else if (std::filesystem::is_regular_file(arg, ec)) {
      consider(arg);
    } else {
      skipped.push_back(arg + " (not found)");
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::filesystem::path DefaultDemoDir() { return RAGD_DEFAULT_DEMO_DIR; }

StatusOr<Bot> EnsureDemoBot(Engine& engine, const Caller& owner, const std::filesystem::path& dir) {
  StatusOr<Bot> existing = engine.bots().Get("demo");
  Bot bot;
  if (existing.ok()) {
    bot = *existing;
  } else {
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    BotConfig config;
    config.title = "Northwind Cycles help desk";
    config.description =
        "Answers questions about Northwind Cycles' returns, warranty and servicing "
        "from the sample documents in data/demo.";
    config.instruction =
        "You are the help desk of Northwind Cycles, a bicycle shop. Be brief and "
        "friendly.";
    config.visibility = "shared";
    config.quick_starters = {
        {"Returns", "How many days do I have to return a bike?"},
        {"Warranty", "What does the frame warranty cover?"},
        {"Servicing", "How often should I get my bike serviced?"},
    };
    RAGD_ASSIGN_OR_RETURN(bot, engine.CreateBot("demo", owner, config));
  }
  RAGD_ASSIGN_OR_RETURN(std::vector<Document> docs, engine.documents().List(bot.id, 1, ""));
  if (!docs.empty()) return bot;
  std::vector<std::string> skipped;
  for (const std::filesystem::path& file : CollectFiles({dir.string()}, skipped)) {
    RAGD_RETURN_IF_ERROR(engine.AddLocalFile(bot, file, ContentTypeForPath(file)).status());
  }
  return bot;
}

}  // namespace ragd
