// Chat benchmarks against the real `ragd serve` binary.
//
//   chat_bench [--ragd PATH] [--mock tests/js/openai_mock.js] [--work-dir DIR] [--keep-data 1]
//              [--chunks 100000] [--turns 500] [--streams 1000] [--tokens 200]
//              [--token-delay-ms 25] [--demo-streams 64] [--demo-tokens 40]
//              [--worker-threads 1024] [--phases latency,concurrency] [--log-level info]
//              [--concurrency-runs demo,big,small] [--ragd-args "--flag value ..."]
//
// 1. Engine overhead per turn. A shared bot whose knowledge base holds --chunks chunks of ~100
//    words (generated text uploaded through the API; hashing embedder) answers --turns
//    sequential chat turns over one keep-alive connection, each a fresh conversation, the SSE
//    stream read to its end. Interleaved in blocks with the same number of GET /v1/me (auth +
//    HTTP: the baseline) and GET /v1/bots/{bot}/search (retrieval alone) with the same question.
//    Once with the in-process extractive model, once with an `openai` bot on
//    tests/js/openai_mock.js answering 5 tokens without delay (the whole remote-provider path).
// 2. Concurrent streaming chats. The mock streams --tokens tokens --token-delay-ms apart; the
//    client opens --streams SSE chats at once (each its own conversation) and reads each to
//    `done`, sampling ragd's RSS. First --demo-streams shorter chats on the default worker pool
//    (streaming producers hold a worker thread for the whole answer), then the same and the full
//    run on a server started with --server-worker-threads --worker-threads, against the 100k-chunk
//    bot and against a one-document bot (the streaming path without retrieval at scale).
//    --concurrency-runs picks among demo, big and small.
// --ragd-args adds space-separated flags to every `ragd serve` (e.g. "--index-lexical-memory-mb 0"
// to measure keyword search on SQLite FTS5 alone).
// Results: a markdown report on stdout; progress on stderr.
#include "bench/chat/chat_bench.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>
#include <tuple>

#ifndef RAGD_BINARY_DEFAULT
#define RAGD_BINARY_DEFAULT "ragd"
#endif

namespace ragd::bench {
namespace {

constexpr const char* kAdminKey = "chat-bench-admin-key-0123456789";
constexpr const char* kBot = "chatbench";
// One document (~100 chunks): concurrency without the cost of retrieval at 100k chunks.
constexpr const char* kSmallBot = "chatbench-small";

void Log(const std::string& line) { std::fprintf(stderr, "[chat-bench] %s\n", line.c_str()); }

std::string Ms(const std::vector<double>& v, double p) { return Fixed(Percentile(v, p), 2); }
std::string Mb(int64_t kb) { return Fixed(static_cast<double>(kb) / 1024.0, 1); }

void PrintLatencyTable(const std::string& model, const std::vector<KindStats>& kinds,
                       const std::string& load) {
  const double base_p50 = Percentile(kinds[0].total_ms, 50);
  std::cout
      << "\nModel: " << model << " (load average at the end: " << load << ")\n\n"
      << "| request | n | p50 ms | p90 ms | p99 ms | max ms | mean ms | first delta/byte p50 ms"
         " | p50 / me p50 | ragd CPU µs/req | mock CPU µs/req | errors |\n"
      << "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const KindStats& k : kinds) {
    const double n = std::max<double>(1, static_cast<double>(k.total_ms.size() + k.errors));
    std::cout << "| " << k.name << " | " << k.total_ms.size() << " | " << Ms(k.total_ms, 50)
              << " | " << Ms(k.total_ms, 90) << " | " << Ms(k.total_ms, 99) << " | "
              << Ms(k.total_ms, 100) << " | " << Fixed(Mean(k.total_ms), 2) << " | "
              << Ms(k.first_event_ms, 50) << " | "
              << Fixed(base_p50 > 0 ? Percentile(k.total_ms, 50) / base_p50 : 0, 1) << " | "
              << Fixed(static_cast<double>(k.server_cpu_ns) / 1000 / n, 0) << " | "
              << (k.mock_cpu_ns > 0 ? Fixed(static_cast<double>(k.mock_cpu_ns) / 1000 / n, 0) : "-")
              << " | " << k.errors << (k.errors ? " (" + k.first_error + ")" : "") << " |\n";
  }
  const KindStats& chat = kinds.back();
  const KindStats& search = kinds[1];
  std::cout << "\nChat turn p50 " << Ms(chat.total_ms, 50) << " ms (goal < 5), p99 "
            << Ms(chat.total_ms, 99) << " ms (goal < 20); minus the /v1/me baseline p50: "
            << Fixed(Percentile(chat.total_ms, 50) - base_p50, 2)
            << " ms; minus retrieval (hybrid search p50): "
            << Fixed(Percentile(chat.total_ms, 50) - Percentile(search.total_ms, 50), 2)
            << " ms; ragd CPU per turn minus per search: "
            << Fixed(static_cast<double>(chat.server_cpu_ns) /
                             std::max<size_t>(1, chat.total_ms.size()) / 1000 -
                         static_cast<double>(search.server_cpu_ns) /
                             std::max<size_t>(1, search.total_ms.size()) / 1000,
                     0)
            << " µs.\n";
}

struct ConcurrencyRow {
  std::string server;
  ConcurrencyOptions options;
  ConcurrencyResult r;
  std::string load;
};

void PrintConcurrencyTable(const std::vector<ConcurrencyRow>& rows) {
  std::cout
      << "\n| ragd workers | streams | tokens x delay | ideal s | completed | errors "
         "conn/http/sse/incomplete/short | head p50/p99 ms | first delta p50/p99 ms | "
         "stream p50/p99/max s | wall s | RSS before / peak sampled / VmHWM MB | threads "
         "peak | ragd CPU s | mock CPU s | load avg after |\n"
         "| --- | ---: | --- | ---: | ---: | --- | --- | --- | --- | ---: | --- | ---: | ---: "
         "| ---: | --- |\n";
  for (const ConcurrencyRow& row : rows) {
    const ConcurrencyResult& r = row.r;
    const ConcurrencyOptions& o = row.options;
    std::vector<double> total_s;
    for (double ms : r.total_ms) total_s.push_back(ms / 1000);
    std::cout << "| " << row.server << " | " << o.streams << " | " << o.tokens << " x "
              << o.token_delay_ms << " ms | "
              << Fixed((o.tokens - 1) * o.token_delay_ms / 1000.0, 2) << " | " << r.completed
              << " | " << r.connect_errors << "/" << r.http_errors << "/" << r.sse_errors << "/"
              << r.incomplete << "/" << r.short_streams << " | " << Ms(r.headers_ms, 50) << " / "
              << Ms(r.headers_ms, 99) << " | " << Ms(r.first_delta_ms, 50) << " / "
              << Ms(r.first_delta_ms, 99) << " | " << Fixed(Percentile(total_s, 50), 2) << " / "
              << Fixed(Percentile(total_s, 99), 2) << " / " << Fixed(Percentile(total_s, 100), 2)
              << " | " << Fixed(r.wall_s, 2) << " | " << Mb(r.rss_before_kb) << " / "
              << Mb(r.rss_peak_sampled_kb) << " / " << Mb(r.hwm_after_kb) << " | " << r.threads_peak
              << " | " << Fixed(r.ragd_cpu_s, 1) << " | " << Fixed(r.mock_cpu_s, 1) << " | "
              << row.load << " |\n";
  }
  for (const ConcurrencyRow& row : rows) {
    if (row.r.short_streams > 0 || row.r.notices > 0) {
      std::cout << "\n"
                << row.server << ", " << row.options.streams << " streams: " << row.r.short_streams
                << " short, " << row.r.notices
                << " with a notice; first short: " << row.r.short_example << "\n";
    }
    if (!row.r.first_error.empty()) {
      std::cout << "\nFirst error (" << row.server << ", " << row.options.streams
                << " streams): " << row.r.first_error << "\n";
    }
  }
}

// Queues one scenario per stream on the mock: `tokens` deltas `delay_ms` apart.
Status ScriptMock(int port, int streams, int tokens, int delay_ms) {
  HttpConnection mock("127.0.0.1", port);
  RAGD_ASSIGN_OR_RETURN(TimedResponse cleared, mock.Send("DELETE", "/__mock/log", {}));
  (void)cleared;
  nlohmann::json scenario = {{"tokens", nlohmann::json::array()}, {"delay_ms", delay_ms}};
  for (int i = 0; i < tokens; ++i) scenario["tokens"].push_back(" tok" + std::to_string(i));
  nlohmann::json all = nlohmann::json::array();
  for (int i = 0; i < streams; ++i) all.push_back(scenario);
  RAGD_ASSIGN_OR_RETURN(
      TimedResponse r,
      mock.Send("POST", "/__mock/script", {{"Content-Type", "application/json"}}, all.dump()));
  if (r.status != 200) return UnknownError("mock script: HTTP " + std::to_string(r.status));
  return OkStatus();
}

StatusOr<ConcurrencyRow> Concurrency(const RagdServer& ragd, const NodeMock& mock,
                                     const std::string& user_key, const std::string& bot,
                                     const std::string& label,
                                     const std::vector<std::string>& questions,
                                     ConcurrencyOptions options) {
  Log(label + ": " + std::to_string(options.streams) + " streams of " +
      std::to_string(options.tokens) + " tokens");
  RAGD_RETURN_IF_ERROR(
      ScriptMock(mock.port, options.streams, options.tokens, options.token_delay_ms));
  HttpConnection conn(ragd.url.host, ragd.url.port);
  RAGD_ASSIGN_OR_RETURN(std::vector<std::string> conversations,
                        CreateConversations(conn, user_key, bot, options.streams));
  options.ragd_pid = ragd.process->pid();
  options.mock_pid = mock.process->pid();
  ConcurrencyRow row{label + ", bot " + bot, options, {}, ""};
  RAGD_ASSIGN_OR_RETURN(row.r,
                        RunConcurrency(ragd.url, user_key, conversations, questions, options));
  row.load = LoadAverage();
  return row;
}

int Run(Flags& flags) {
  const std::string binary = flags.Get("ragd", RAGD_BINARY_DEFAULT);
  const std::string mock_script =
      flags.Get("mock", std::string(RAGD_SOURCE_DIR) + "/tests/js/openai_mock.js");
  std::string work = flags.Get("work-dir", "");
  if (work.empty()) {
    std::string tmpl = "/tmp/ragd-chat-bench.XXXXXX";
    work = ::mkdtemp(tmpl.data());
  }
  const bool keep = flags.Get("keep-data", "0") == "1";
  const int64_t chunks = flags.GetInt("chunks", 100000);
  const std::string phases = flags.Get("phases", "latency,concurrency");
  const std::string log_level = flags.Get("log-level", "info");
  LatencyOptions latency;
  latency.turns = flags.GetInt("turns", 500);
  ConcurrencyOptions big;
  big.streams = flags.GetInt("streams", 1000);
  big.tokens = flags.GetInt("tokens", 200);
  big.token_delay_ms = flags.GetInt("token-delay-ms", 25);
  ConcurrencyOptions demo = big;
  demo.streams = flags.GetInt("demo-streams", 64);
  demo.tokens = flags.GetInt("demo-tokens", 40);
  demo.timeout_s = 600;
  const std::string workers = flags.Get("worker-threads", "1024");
  // Which concurrency runs: demo (default pool, then the large pool), big (100k-chunk bot),
  // small (one-document bot).
  const std::string runs_flag = flags.Get("concurrency-runs", "demo,big,small");
  std::vector<std::string> ragd_args;
  {
    std::istringstream in(flags.Get("ragd-args", ""));
    for (std::string a; in >> a;) ragd_args.push_back(a);
  }
  if (!flags.Unused().empty()) {
    std::cerr << "unknown flag --" << flags.Unused().front() << "\n";
    return 2;
  }
  RaiseFileLimit();
  std::filesystem::create_directories(work);
  Log("work dir " + work + ", ragd " + binary);

  StatusOr<NodeMock> mock = StartNodeMock(mock_script, work, "openai-mock");
  if (!mock.ok()) return Log("mock: " + mock.status().message()), 1;
  const std::string mock_url = "http://127.0.0.1:" + std::to_string(mock->port);
  RagdOptions ragd_options{binary,
                           work + "/data",
                           kAdminKey,
                           work + "/ragd-default.log",
                           {"--openai-base-url", mock_url, "--log-level", log_level}};
  ragd_options.extra_args.insert(ragd_options.extra_args.end(), ragd_args.begin(), ragd_args.end());
  StatusOr<RagdServer> ragd = StartRagd(ragd_options);
  if (!ragd.ok()) return Log("ragd: " + ragd.status().message()), 1;
  HttpConnection admin(ragd->url.host, ragd->url.port);
  const std::string load_before = LoadAverage();
  StatusOr<CorpusStats> corpus = EnsureCorpus(admin, kAdminKey, kBot, chunks);
  if (!corpus.ok()) return Log("corpus: " + corpus.status().message()), 1;
  StatusOr<CorpusStats> small = EnsureCorpus(admin, kAdminKey, kSmallBot, 1);
  if (!small.ok()) return Log("small corpus: " + small.status().message()), 1;
  StatusOr<double> optimized = WaitOptimized(admin, kAdminKey, kBot);
  if (!optimized.ok()) return Log("index builds: " + optimized.status().message()), 1;
  const nlohmann::json key_body = {{"name", "chat-bench-user"}, {"role", "user"}};
  StatusOr<nlohmann::json> user = CallApi(admin, "POST", "/v1/keys", kAdminKey, &key_body);
  if (!user.ok()) return Log("user key: " + user.status().message()), 1;
  const std::string user_key = (*user)["key"];
  CorpusGenerator gen(7);
  std::vector<std::string> questions;
  for (int i = 0; i < 2000; ++i) questions.push_back(gen.Question());

  std::cout << "Machine: " << MachineDescription() << "; load average before: " << load_before
            << "\nragd: " << binary << (ragd_args.empty() ? "" : " " + flags.Get("ragd-args", ""))
            << " (log level " << log_level << ", stderr to a file)\n"
            << "Knowledge base: bot '" << kBot << "', " << corpus->documents << " documents, "
            << corpus->chunks << " chunks, " << corpus->vectors << " vectors, embedder "
            << corpus->embedder_id
            << (corpus->reused
                    ? " (reused)"
                    : ", ingested in " + Fixed(corpus->ingest_seconds, 0) + " s through the API")
            << "; background index builds finished " << Fixed(*optimized, 1)
            << " s later\nSmall bot '" << kSmallBot << "': " << small->documents << " document, "
            << small->chunks << " chunks (concurrency without retrieval at scale)\n";

  Status status;
  if (phases.find("latency") != std::string::npos) {
    std::cout << "\n## Per-turn latency (sequential, one keep-alive connection, " << latency.turns
              << " of each request)\n";
    latency.ragd_pid = ragd->process->pid();
    for (const std::string model : {"extractive", "openai"}) {
      status = model == "extractive" ? SetModel(admin, kAdminKey, kBot, "extractive", "")
                                     : SetModel(admin, kAdminKey, kBot, "openai", "bench-model");
      if (status.ok() && model == "openai") status = ScriptMock(mock->port, 0, 0, 0);
      if (!status.ok()) return Log(status.message()), 1;
      latency.mock_pid = model == "openai" ? mock->process->pid() : 0;
      Log("latency, model " + model);
      StatusOr<std::vector<KindStats>> kinds =
          RunLatency(ragd->url, user_key, kBot, questions, latency);
      if (!kinds.ok()) return Log("latency: " + kinds.status().message()), 1;
      PrintLatencyTable(model == "extractive"
                            ? "extractive (in process)"
                            : "openai on tests/js/openai_mock.js (5 tokens, no delay)",
                        *kinds, LoadAverage());
    }
  }
  if (phases.find("concurrency") != std::string::npos) {
    for (const char* bot : {kBot, kSmallBot}) {
      status = SetModel(admin, kAdminKey, bot, "openai", "bench-model");
      if (!status.ok()) return Log(status.message()), 1;
    }
    std::vector<ConcurrencyRow> rows;
    const std::string default_workers =
        std::to_string(2 * std::thread::hardware_concurrency()) + " (default)";
    StatusOr<ConcurrencyRow> row = InvalidArgumentError("no run");
    if (runs_flag.find("demo") != std::string::npos) {
      row = Concurrency(*ragd, *mock, user_key, kBot, default_workers, questions, demo);
      if (!row.ok()) return Log(row.status().message()), 1;
      rows.push_back(*row);
    }
    ragd->process->Stop(SIGTERM);
    ragd_options.log_path = work + "/ragd-workers.log";
    ragd_options.extra_args.insert(ragd_options.extra_args.end(),
                                   {"--server-worker-threads", workers});
    ragd = StartRagd(ragd_options);
    if (!ragd.ok()) return Log("ragd: " + ragd.status().message()), 1;
    const std::tuple<const char*, const char*, ConcurrencyOptions> runs[] = {
        {"demo", kBot, demo}, {"big", kBot, big}, {"small", kSmallBot, big}};
    for (const auto& [name, bot, o] : runs) {
      if (runs_flag.find(name) == std::string::npos) continue;
      row = Concurrency(*ragd, *mock, user_key, bot, workers, questions, o);
      if (!row.ok()) return Log(row.status().message()), 1;
      rows.push_back(*row);
    }
    std::cout << "\n## Concurrent streaming chats (model: openai on tests/js/openai_mock.js)\n";
    PrintConcurrencyTable(rows);
  }
  ragd->process->Stop(SIGTERM);
  if (!keep && flags.Get("work-dir", "").empty()) std::filesystem::remove_all(work);
  return 0;
}

}  // namespace
}  // namespace ragd::bench

int main(int argc, char** argv) {
  ragd::bench::Flags flags(argc, argv);
  return ragd::bench::Run(flags);
}
