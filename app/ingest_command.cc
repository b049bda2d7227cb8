// `ragd ingest --bot NAME PATH...`: ingests files and folders without a server, with a progress
// bar. Uses the same engine, queue and indexes as the server (which must not run meanwhile).
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "app/commands.h"
#include "app/engine_setup.h"
#include "app/objects.h"
#include "app/storage.h"
#include "core/log.h"

namespace ragd {
namespace {

int Fail(const std::string& what, const Status& status) {
  std::fprintf(stderr, "ragd ingest: %s: %s\n", what.c_str(), status.message().c_str());
  return 1;
}

void DrawBar(size_t finished, size_t total, const std::string& current) {
  constexpr int kWidth = 30;
  const int filled = total == 0 ? kWidth : static_cast<int>(kWidth * finished / total);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, ' ');
  std::string line = "[" + bar + "] " + std::to_string(finished) + "/" + std::to_string(total) +
                     " documents  " + current;
  if (line.size() > 100) line.resize(100);
  std::fprintf(stderr, "\r%-100s", line.c_str());
  std::fflush(stderr);
}

}  // namespace

int RunIngest(const Config& config, const IngestFlags& flags) {
  SetLogLevel(LogLevel::kWarn);  // the progress bar is the output; warnings still show
  if (config.objects_store != "local") {
    return Fail("configuration",
                InvalidArgumentError("ragd ingest stores files locally; with objects.store = s3 "
                                     "upload through the API"));
  }
  // Lock first: nothing, not even a migration, touches a directory another process uses.
  if (Status s = LockDataDir(config); !s.ok()) return Fail("cannot use the data directory", s);
  auto db = OpenMainDatabase(config);
  if (!db.ok()) return Fail("cannot open storage", db.status());
  Logger log;
  StatusOr<ObjectBackend> objects = OpenObjectBackend(config, **db, "http://127.0.0.1", log);
  if (!objects.ok()) return Fail("cannot open the object store", objects.status());
  StatusOr<EngineBundle> bundle = OpenEngine(config, **db, *objects);
  if (!bundle.ok()) return Fail("cannot start the engine", bundle.status());
  Engine& engine = *bundle->engine;

  const Caller cli{"cli", true};
  StatusOr<Bot> bot = engine.bots().Get(flags.bot);
  if (!bot.ok() && bot.status().code() == StatusCode::kNotFound) {
    BotConfig config_defaults;
    config_defaults.title = flags.bot;
    bot = engine.CreateBot(flags.bot, cli, config_defaults);
    if (bot.ok()) std::fprintf(stderr, "created bot '%s'\n", flags.bot.c_str());
  }
  if (!bot.ok()) return Fail("bot " + flags.bot, bot.status());

  std::vector<std::string> skipped;
  const std::vector<std::filesystem::path> files = CollectFiles(flags.paths, skipped);
  for (const std::string& s : skipped)
    std::fprintf(stderr, "skipped %s (unsupported type)\n", s.c_str());
  if (files.empty()) return Fail("nothing to ingest", InvalidArgumentError("no supported files"));

  if (Status s = engine.Start(); !s.ok()) return Fail("cannot start the engine", s);
  std::vector<std::string> ids;
  for (const std::filesystem::path& file : files) {
    StatusOr<Document> doc =
        engine.AddLocalFile(*bot, file, ContentTypeForPath(file), flags.password);
    if (!doc.ok()) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), doc.status().message().c_str());
      continue;
    }
    ids.push_back(doc->id);
  }
  const bool tty = !flags.quiet && isatty(STDERR_FILENO);
  std::vector<Document> final_docs;
  while (true) {
    size_t finished = 0;
    std::string current;
    final_docs.clear();
    for (const std::string& id : ids) {
      StatusOr<Document> doc = engine.documents().Get(id);
      if (!doc.ok()) continue;
      if (doc->status == "indexed" || doc->status == "failed") {
        ++finished;
      } else if (doc->status == "parsing" || doc->status == "embedding") {
        current = doc->status + " " + doc->filename + " " + std::to_string(doc->progress_done) +
                  "/" + std::to_string(doc->progress_total) + " " + doc->progress_unit;
      }
      final_docs.push_back(*doc);
    }
    if (tty) DrawBar(finished, ids.size(), current);
    if (finished == ids.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (tty) std::fprintf(stderr, "\n");
  engine.Stop();
  int failed = 0;
  int64_t chunks = 0;
  for (const Document& d : final_docs) {
    if (d.status == "failed") {
      ++failed;
      std::printf("failed   %s: %s\n", d.filename.c_str(), d.error.c_str());
    } else {
      chunks += d.chunk_count;
      std::printf("indexed  %s (%lld chunks%s)\n", d.filename.c_str(),
                  static_cast<long long>(d.chunk_count),
                  d.duplicate_of.empty() ? "" : ", same content as an earlier document");
    }
  }
  std::printf("%zu indexed, %d failed, %lld chunks in bot '%s'\n", final_docs.size() - failed,
              failed, static_cast<long long>(chunks), flags.bot.c_str());
  return failed == 0 ? 0 : 1;
}

}  // namespace ragd
