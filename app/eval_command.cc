// `ragd eval`: retrieval quality on a BEIR-format dataset (issue 5). The corpus is indexed through
// the normal ingestion path (one Markdown file per corpus entry -> parse -> chunk -> embed ->
// index) into a throwaway data directory, every judged query is searched in each requested mode,
// and nDCG@10, Recall@100 and MRR@10 are printed the way BEIR computes them
// (retrieval/eval_metrics.h, the query's own id dropped from its results).
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/commands.h"
#include "app/engine_setup.h"
#include "app/eval_documents.h"
#include "app/eval_progress.h"
#include "app/objects.h"
#include "app/storage.h"
#include "core/log.h"
#include "retrieval/eval_metrics.h"

namespace ragd {
namespace {

int Fail(const std::string& what, const Status& status) {
  std::fprintf(stderr, "ragd eval: %s: %s\n", what.c_str(), status.message().c_str());
  return 1;
}

// Wall-clock and process CPU time since construction. The CPU time says what a stage costs on
// a shared machine, where wall-clock time depends on the other load.
class StageTimer {
 public:
  StageTimer() : wall_(std::chrono::steady_clock::now()), cpu_(CpuNow()) {}
  double WallSeconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
  }
  double CpuSeconds() const { return CpuNow() - cpu_; }

 private:
  static double CpuNow() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

// The throwaway data directory, removed on destruction unless kept.
class ScratchDir {
 public:
  ~ScratchDir() {
    if (path_.empty()) return;
    if (keep_) {
      std::fprintf(stderr, "kept the evaluation data directory %s\n", path_.c_str());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  Status Create(const std::filesystem::path& parent, bool keep) {
    keep_ = keep;
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    std::string tmpl = (parent / "ragd-eval-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return FailedPreconditionError("cannot create a directory under " + parent.string());
    }
    path_ = tmpl;
    return OkStatus();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

struct Dataset {
  std::vector<BeirDocument> corpus;
  std::vector<BeirQuery> queries;  // only judged ones
  Qrels qrels;                     // only queries with text
};

StatusOr<Dataset> LoadDataset(const EvalFlags& flags) {
  Dataset d;
  RAGD_ASSIGN_OR_RETURN(d.corpus, ReadBeirCorpus(flags.corpus));
  RAGD_ASSIGN_OR_RETURN(std::vector<BeirQuery> queries, ReadBeirQueries(flags.queries));
  RAGD_ASSIGN_OR_RETURN(Qrels qrels, ReadBeirQrels(flags.qrels));
  for (BeirQuery& q : queries) {
    auto it = qrels.find(q.id);
    if (it == qrels.end()) continue;
    d.qrels.insert(*it);
    d.queries.push_back(std::move(q));
  }
  if (d.qrels.size() < qrels.size()) {
    std::fprintf(stderr, "warning: %zu judged queries have no text in %s; they are not evaluated\n",
                 qrels.size() - d.qrels.size(), flags.queries.c_str());
  }
  if (d.corpus.empty()) return InvalidArgumentError(flags.corpus + " holds no documents");
  if (d.queries.empty()) return InvalidArgumentError("no query of the qrels has a text");
  return d;
}

std::vector<std::string> ResolveModes(const std::vector<std::string>& given) {
  std::vector<std::string> modes;
  for (const char* m : {"lexical", "semantic", "hybrid"}) {
    for (const std::string& g : given) {
      if (g == m || g == "all") {
        modes.push_back(m);
        break;
      }
    }
  }
  return modes;
}

struct IndexOutcome {
  EvalIdMap ids;
  size_t duplicates = 0;
  size_t failed = 0;
  double seconds = 0;
  double cpu_seconds = 0;
};

// Writes each corpus entry as a file, adds it like `ragd ingest` does and waits for the queue.
StatusOr<IndexOutcome> IndexCorpus(Engine& engine, const Bot& bot,
                                   const std::vector<BeirDocument>& corpus,
                                   const std::filesystem::path& scratch, bool quiet) {
  IndexOutcome out;
  const StageTimer timer;
  EvalProgress progress("indexing", corpus.size(), "documents", quiet);
  auto draw = [&](size_t added) {
    if (!progress.Due()) return;
    StatusOr<BotStats> stats = engine.Stats(bot);
    const size_t done = stats.ok() ? static_cast<size_t>(stats->indexed_documents) : 0;
    progress.Update(done, added < corpus.size() ? "added " + std::to_string(added) : "");
  };
  const std::filesystem::path file_dir = scratch / "files";
  std::error_code ec;
  std::filesystem::create_directories(file_dir, ec);
  if (ec) return FailedPreconditionError("cannot create " + file_dir.string());
  for (size_t i = 0; i < corpus.size(); ++i) {
    const std::filesystem::path file = file_dir / EvalFileName(i);
    {
      std::ofstream f(file, std::ios::binary | std::ios::trunc);
      f << EvalMarkdownFor(corpus[i]);
      if (!f.flush()) return UnavailableError("cannot write " + file.string());
    }
    StatusOr<Document> doc = engine.AddLocalFile(bot, file, "text/markdown");
    std::filesystem::remove(file, ec);
    if (!doc.ok()) return doc.status().WithContext("document " + corpus[i].id);
    if (!doc->duplicate_of.empty()) ++out.duplicates;
    out.ids.Add(doc->duplicate_of.empty() ? doc->id : doc->duplicate_of, corpus[i].id);
    draw(i + 1);
  }
  while (!engine.WaitIdle(std::chrono::milliseconds(250))) draw(corpus.size());
  // Idle: every document is finished, indexed or failed (failures are listed below).
  progress.Update(corpus.size(), "");
  progress.Finish();
  out.seconds = timer.WallSeconds();
  out.cpu_seconds = timer.CpuSeconds();

  // Failures (say, an entry without any text) are reported; such entries are never retrieved.
  std::string after;
  while (true) {
    RAGD_ASSIGN_OR_RETURN(std::vector<Document> page, engine.documents().List(bot.id, 500, after));
    if (page.empty()) break;
    for (const Document& d : page) {
      if (d.status == "indexed") continue;
      if (++out.failed <= 5) {
        std::fprintf(stderr, "not indexed: %s (%s, %s): %s\n", out.ids.BeirIdsOf(d.id).c_str(),
                     d.filename.c_str(), d.status.c_str(), d.error.c_str());
      }
    }
    after = page.back().id;
  }
  return out;
}

struct ModeResult {
  std::string mode;
  RetrievalMetrics metrics;
  RetrievalRun run;
  double seconds = 0;
  double cpu_seconds = 0;
};

// Searches every query in `mode` on `threads` threads and scores the run.
StatusOr<ModeResult> EvaluateMode(Engine& engine, const Bot& bot, const Dataset& data,
                                  const EvalIdMap& ids, const std::string& mode,
                                  int results_per_query, int threads, bool quiet) {
  ModeResult result;
  result.mode = mode;
  const StageTimer timer;
  std::vector<std::vector<ScoredDoc>> ranked(data.queries.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex error_mu;
  Status error;
  auto worker = [&] {
    while (true) {
      const size_t i = next.fetch_add(1);
      if (i >= data.queries.size()) return;
      SearchRequest request;
      request.query = data.queries[i].text;
      request.search_type = mode;
      request.max_results = results_per_query;
      // BEIR ranks the top 100 whatever their scores; the bot's min_score must not cut them.
      request.min_score = -std::numeric_limits<double>::infinity();
      StatusOr<std::vector<SearchHit>> hits = engine.Search(bot, request);
      if (!hits.ok()) {
        std::lock_guard lock(error_mu);
        if (error.ok()) error = hits.status().WithContext("query " + data.queries[i].id);
        next = data.queries.size();
        return;
      }
      ranked[i] = ids.ToRun(*hits);
      done.fetch_add(1);
    }
  };
  EvalProgress progress("queries (" + mode + ")", data.queries.size(), "queries", quiet);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  while (true) {
    {
      std::lock_guard lock(error_mu);
      if (!error.ok()) break;
    }
    const size_t finished = done.load();
    if (finished >= data.queries.size()) break;
    if (progress.Due()) progress.Update(finished, "");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (std::thread& t : pool) t.join();
  if (!error.ok()) return error;
  progress.Update(done.load(), "");
  progress.Finish();
  result.seconds = timer.WallSeconds();
  result.cpu_seconds = timer.CpuSeconds();
  for (size_t i = 0; i < data.queries.size(); ++i) {
    result.run[data.queries[i].id] = std::move(ranked[i]);
  }
  result.metrics = Evaluate(data.qrels, result.run);
  return result;
}

void PrintTable(const std::vector<ModeResult>& results, size_t queries) {
  std::printf("%-9s %8s %10s %8s %8s %8s %13s\n", "mode", "nDCG@10", "Recall@100", "MRR@10",
              "wall_s", "cpu_s", "cpu_ms/query");
  for (const ModeResult& r : results) {
    std::printf("%-9s %8.4f %10.4f %8.4f %8.1f %8.1f %13.1f\n", r.mode.c_str(),
                r.metrics.ndcg_at_10, r.metrics.recall_at_100, r.metrics.mrr_at_10, r.seconds,
                r.cpu_seconds,
                queries == 0 ? 0.0 : 1000.0 * r.cpu_seconds / static_cast<double>(queries));
  }
}

Status WriteJson(const std::string& path, const EvalFlags& flags, const Bot& bot,
                 const Dataset& data, const IndexOutcome& index,
                 const std::vector<ModeResult>& results) {
  nlohmann::json j;
  j["corpus"] = flags.corpus;
  j["queries_file"] = flags.queries;
  j["qrels"] = flags.qrels;
  j["embedder"] = bot.embedder_id;
  j["chunking"] = "none";
  j["documents"] = data.corpus.size();
  j["duplicate_documents"] = index.duplicates;
  j["failed_documents"] = index.failed;
  j["queries"] = data.queries.size();
  j["index_seconds"] = index.seconds;
  j["index_cpu_seconds"] = index.cpu_seconds;
  j["results_per_query"] = flags.results;
  nlohmann::json modes = nlohmann::json::object();
  for (const ModeResult& r : results) {
    modes[r.mode] = {{"ndcg@10", r.metrics.ndcg_at_10},
                     {"recall@100", r.metrics.recall_at_100},
                     {"mrr@10", r.metrics.mrr_at_10},
                     {"search_seconds", r.seconds},
                     {"search_cpu_seconds", r.cpu_seconds}};
  }
  j["modes"] = modes;
  const std::string text = j.dump(2) + "\n";
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return OkStatus();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) return UnavailableError("cannot write " + path);
  return OkStatus();
}

}  // namespace

int RunEval(const Config& config, const EvalFlags& flags) {
  SetLogLevel(LogLevel::kWarn);
  const std::vector<std::string> modes = ResolveModes(flags.modes);
  if (modes.empty()) {
    return Fail("--mode", InvalidArgumentError("give lexical, semantic, hybrid or all"));
  }
  StatusOr<Dataset> data = LoadDataset(flags);
  if (!data.ok()) return Fail("cannot read the dataset", data.status());

  // Declared before everything that lives in it, so it is removed last.
  ScratchDir scratch;
  const std::filesystem::path parent = flags.work_dir.empty()
                                           ? std::filesystem::temp_directory_path()
                                           : std::filesystem::path(flags.work_dir);
  if (Status s = scratch.Create(parent, flags.keep); !s.ok()) return Fail("scratch directory", s);
  Config eval_config = config;
  eval_config.data_dir = scratch.path().string();
  eval_config.objects_store = "local";
  if (flags.workers > 0) eval_config.ingest_workers = flags.workers;
  if (!flags.models_dir.empty()) eval_config.models_dir = flags.models_dir;

  // Lock first: nothing, not even a migration, touches a directory another process uses.
  if (Status s = LockDataDir(eval_config); !s.ok()) return Fail("data directory", s);
  auto db = OpenMainDatabase(eval_config);
  if (!db.ok()) return Fail("cannot open storage", db.status());
  Logger log;
  StatusOr<ObjectBackend> objects = OpenObjectBackend(eval_config, **db, "http://127.0.0.1", log);
  if (!objects.ok()) return Fail("cannot open the object store", objects.status());
  StatusOr<EngineBundle> bundle = OpenEngine(eval_config, **db, *objects);
  if (!bundle.ok()) return Fail("cannot start the engine", bundle.status());
  Engine& engine = *bundle->engine;

  BotConfig bot_config;
  bot_config.title = "ragd eval";
  // One corpus entry, one chunk: BEIR ranks whole documents.
  bot_config.knowledge.chunking.strategy = ChunkingConfig::Strategy::kNone;
  bot_config.knowledge.embedder.provider = flags.embedder;
  StatusOr<Bot> bot = engine.CreateBot("eval", Caller{"cli", true}, bot_config);
  if (!bot.ok()) return Fail("cannot create the evaluation bot", bot.status());
  const int workers = eval_config.ingest_workers > 0
                          ? eval_config.ingest_workers
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::fprintf(stderr, "%zu documents, %zu queries; embedder %s, %d ingest workers, in %s\n",
               data->corpus.size(), data->queries.size(), bot->embedder_id.c_str(), workers,
               scratch.path().c_str());

  if (Status s = engine.Start(); !s.ok()) return Fail("cannot start the engine", s);
  StatusOr<IndexOutcome> index =
      IndexCorpus(engine, *bot, data->corpus, scratch.path(), flags.quiet);
  if (!index.ok()) return Fail("indexing", index.status());

  const int threads = flags.query_threads > 0
                          ? flags.query_threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<ModeResult> results;
  for (const std::string& mode : modes) {
    StatusOr<ModeResult> r =
        EvaluateMode(engine, *bot, *data, index->ids, mode, flags.results, threads, flags.quiet);
    if (!r.ok()) return Fail("searching (" + mode + ")", r.status());
    results.push_back(std::move(*r));
  }
  engine.Stop();

  std::printf("corpus %s: %zu documents (%zu duplicates, %zu not indexed), %zu queries\n",
              flags.corpus.c_str(), data->corpus.size(), index->duplicates, index->failed,
              data->queries.size());
  std::printf(
      "embedder %s, chunking none, %d results per query; indexing %.1f s wall, %.1f s CPU "
      "(%.1f documents/s, %d workers)\n",
      bot->embedder_id.c_str(), flags.results, index->seconds, index->cpu_seconds,
      index->seconds > 0 ? static_cast<double>(data->corpus.size()) / index->seconds : 0.0,
      workers);
  PrintTable(results, data->queries.size());
  std::fflush(stdout);
  if (!flags.trec_run_dir.empty()) {
    for (const ModeResult& r : results) {
      const std::string path =
          (std::filesystem::path(flags.trec_run_dir) / (r.mode + ".run")).string();
      if (Status s = WriteTrecRun(path, data->queries, r.run, 100, "ragd-" + r.mode); !s.ok()) {
        return Fail("--trec-run", s);
      }
    }
  }
  if (!flags.json_path.empty()) {
    if (Status s = WriteJson(flags.json_path, flags, *bot, *data, *index, results); !s.ok()) {
      return Fail("--json", s);
    }
  }
  return 0;
}

}  // namespace ragd
