// End-to-end ingestion throughput through the real server: pages/s from the first upload to the
// last document `indexed`, next to poppler's `pdftotext` on the same files in the same run.
//
//   ingest_e2e_bench [--ragd PATH] [--pdf-dir ../shared/testdata/pdf] [--pages 300]
//                    [--embedders local,hashing] [--work-dir DIR] [--pdftotext-runs 2]
//                    [--rounds 1]
//
// 1. Probe: every PDF under --pdf-dir is uploaded once to a scratch bot; those that end
//    `indexed` (no password, parseable) make up the corpus, with ragd's own page counts.
// 2. Corpus: the indexable PDFs repeated in fixture rounds until --pages pages; every copy gets a
//    unique trailing PDF comment after %%EOF, so ragd's duplicate detection (by SHA-256) never
//    skips one.
// 3. Per embedder, each on a fresh `ragd serve` whose embedder is warmed up first (model loaded,
//    not timed): for every file POST /v1/bots/{bot}/documents then PUT to the presigned URL (one
//    client connection, sequential), then poll GET /v1/bots/{bot} every 25 ms until every
//    document is indexed. Reported: wall time, pages/s, ragd's CPU seconds (user+sys) and pages
//    per CPU-second. Two variants, because ragd caches embeddings by (embedder, chunk text):
//      cold      one fresh data directory per fixture round, summed: every chunk is embedded;
//      repeated  the whole corpus into one bot: copies after the first reuse cached vectors
//                (parse, chunk and index only), which is what re-uploading known content costs.
// 4. Baseline: `pdftotext FILE /dev/null` over the same files, as many at a time as there are
//    cores (ragd ingests on one worker per core), before and after the ragd runs; wall and CPU
//    (children's rusage). The ratio columns divide ragd's figure by the better pdftotext run.
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "bench/chat/bench_util.h"

#ifndef RAGD_BINARY_DEFAULT
#define RAGD_BINARY_DEFAULT "ragd"
#endif

extern char** environ;

namespace ragd::bench {
namespace {

namespace fs = std::filesystem;
constexpr const char* kAdminKey = "ingest-e2e-admin-key-0123456789";

void Log(const std::string& line) { std::fprintf(stderr, "[ingest-e2e] %s\n", line.c_str()); }

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CorpusFile {
  fs::path path;
  std::string name;
  int pages = 0;
  int round = 0;  // which repetition of the fixtures this copy belongs to
};

StatusOr<nlohmann::json> ListDocuments(HttpConnection& conn, const std::string& bot) {
  RAGD_ASSIGN_OR_RETURN(
      nlohmann::json list,
      CallApi(conn, "GET", "/v1/bots/" + bot + "/documents?limit=1000", kAdminKey));
  return list["documents"];
}

Status CreateBot(HttpConnection& conn, const std::string& bot, const std::string& embedder) {
  const nlohmann::json body = {{"key", bot},
                               {"knowledge", {{"embedder", {{"provider", embedder}}}}}};
  return CallApi(conn, "POST", "/v1/bots", kAdminKey, &body).status();
}

// Uploads every PDF once; returns those that end `indexed`, with their page counts. The others
// go to `rejected` as "name (why)".
StatusOr<std::vector<CorpusFile>> Probe(HttpConnection& conn, const fs::path& dir,
                                        std::vector<std::string>& rejected) {
  RAGD_RETURN_IF_ERROR(CreateBot(conn, "probe", "hashing"));
  std::vector<fs::path> pdfs;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".pdf") pdfs.push_back(e.path());
  }
  std::sort(pdfs.begin(), pdfs.end());
  std::map<std::string, fs::path> by_id;
  for (const fs::path& p : pdfs) {
    const std::string bytes = ReadBytes(p);
    if (bytes.empty()) {  // the API refuses a 0-byte upload up front
      rejected.push_back(p.filename().string() + " (empty file)");
      continue;
    }
    StatusOr<std::string> id =
        UploadDocument(conn, kAdminKey, "probe", p.filename().string(), "application/pdf", bytes);
    if (id.ok()) by_id[*id] = p;
    if (!id.ok()) rejected.push_back(p.filename().string() + " (" + id.status().message() + ")");
  }
  for (int i = 0; i < 600; ++i) {
    RAGD_ASSIGN_OR_RETURN(nlohmann::json docs, ListDocuments(conn, "probe"));
    bool busy = false;
    for (const auto& d : docs) {
      const std::string s = d["status"];
      busy = busy || (s != "indexed" && s != "failed");
    }
    if (!busy) {
      std::vector<CorpusFile> out;
      for (const auto& d : docs) {
        const fs::path& p = by_id[d["document_id"].get<std::string>()];
        if (d["status"] != "indexed" || d["page_count"].get<int>() < 1) {
          rejected.push_back(p.filename().string() + " (" +
                             (d["error"].is_string() ? d["error"].get<std::string>() : "no pages") +
                             ")");
          continue;
        }
        out.push_back({p, p.filename().string(), d["page_count"].get<int>()});
      }
      std::sort(out.begin(), out.end(),
                [](const CorpusFile& a, const CorpusFile& b) { return a.path < b.path; });
      Log(std::to_string(out.size()) + " of " + std::to_string(by_id.size()) +
          " uploaded PDFs index");
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return DeadlineExceededError("the probe did not finish in 5 minutes");
}

// The indexable files repeated until `pages` pages, each copy with unique trailing bytes.
std::vector<CorpusFile> BuildCorpus(const std::vector<CorpusFile>& files, int pages,
                                    const fs::path& out_dir) {
  fs::create_directories(out_dir);
  std::vector<CorpusFile> corpus;
  int total = 0;
  for (int round = 0; total < pages; ++round) {
    for (const CorpusFile& f : files) {
      CorpusFile copy = f;
      copy.round = round;
      copy.name = "r";  // built in steps: GCC 12 -O3 warns (-Wrestrict) on "r" + to_string(..)
      copy.name += std::to_string(round);
      copy.name += "-";
      copy.name += f.name;
      copy.path = out_dir / copy.name;
      std::ofstream out(copy.path, std::ios::binary);
      out << ReadBytes(f.path) << "\n% ragd ingest_e2e copy " << round << "\n";
      corpus.push_back(copy);
      total += f.pages;
    }
  }
  return corpus;
}

struct Run {
  std::string name;
  std::string embedder;
  int documents = 0;
  int pages = 0;
  int64_t chunks = 0;
  int failed = 0;
  double upload_s = 0;  // all uploads accepted
  double wall_s = 0;    // first upload -> last document indexed
  double cpu_s = 0;

  void Add(const Run& o) {
    embedder = o.embedder;
    documents += o.documents;
    pages += o.pages;
    chunks += o.chunks;
    failed += o.failed;
    upload_s += o.upload_s;
    wall_s += o.wall_s;
    cpu_s += o.cpu_s;
  }
};

// Waits until every document of `bot` is indexed (or, for failures, nothing is left to do).
StatusOr<nlohmann::json> WaitIndexed(HttpConnection& conn, const std::string& bot) {
  for (int i = 0;; ++i) {
    RAGD_ASSIGN_OR_RETURN(nlohmann::json b, CallApi(conn, "GET", "/v1/bots/" + bot, kAdminKey));
    const nlohmann::json& stats = b["stats"];
    if (stats["indexed_documents"] == stats["documents"]) return b;
    if (i % 400 == 399) {
      // A failed document is never indexed: stop waiting once nothing is queued or running.
      RAGD_ASSIGN_OR_RETURN(nlohmann::json docs, ListDocuments(conn, bot));
      bool busy = false;
      for (const auto& d : docs)
        busy = busy || (d["status"] != "indexed" && d["status"] != "failed");
      if (!busy) return b;
      Log(stats["indexed_documents"].dump() + "/" + stats["documents"].dump() + " indexed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

// One fresh server on its own data directory, its embedder warmed up (model loaded) on a scratch
// bot before anything is timed; `files` are then uploaded to a new bot and waited for.
StatusOr<Run> IngestOnFreshServer(const std::string& binary, const std::string& data_dir,
                                  const std::string& embedder,
                                  const std::vector<CorpusFile>& files) {
  fs::remove_all(data_dir);
  RAGD_ASSIGN_OR_RETURN(RagdServer ragd,
                        StartRagd({binary, data_dir, kAdminKey, data_dir + ".log", {}}));
  HttpConnection conn(ragd.url.host, ragd.url.port);
  RAGD_RETURN_IF_ERROR(CreateBot(conn, "warmup", embedder));
  RAGD_RETURN_IF_ERROR(UploadDocument(conn, kAdminKey, "warmup", "warmup.txt", "text/plain",
                                      "Warm-up text: loads the embedding model before timing.")
                           .status());
  RAGD_RETURN_IF_ERROR(WaitIndexed(conn, "warmup").status());
  RAGD_RETURN_IF_ERROR(CreateBot(conn, "e2e", embedder));
  std::vector<std::string> contents;
  for (const CorpusFile& f : files) contents.push_back(ReadBytes(f.path));  // not timed
  Run run;
  const pid_t pid = ragd.process->pid();
  const double cpu0 = ProcessCpuSeconds(pid);
  const auto t0 = SteadyClock::now();
  for (size_t i = 0; i < files.size(); ++i) {
    RAGD_RETURN_IF_ERROR(
        UploadDocument(conn, kAdminKey, "e2e", files[i].name, "application/pdf", contents[i])
            .status());
  }
  run.upload_s = MillisBetween(t0, SteadyClock::now()) / 1000;
  RAGD_ASSIGN_OR_RETURN(nlohmann::json bot, WaitIndexed(conn, "e2e"));
  run.wall_s = MillisBetween(t0, SteadyClock::now()) / 1000;
  run.cpu_s = ProcessCpuSeconds(pid) - cpu0;
  run.embedder = bot["embedder_id"];
  run.chunks = bot["stats"]["chunks"];
  RAGD_ASSIGN_OR_RETURN(nlohmann::json docs, ListDocuments(conn, "e2e"));
  for (const auto& d : docs) {
    ++run.documents;
    if (d["status"] != "indexed") {
      ++run.failed;
      continue;
    }
    run.pages += d["page_count"].get<int>();
  }
  ragd.process->Stop(SIGTERM);
  fs::remove_all(data_dir);
  return run;
}

// pdftotext over the corpus, `parallel` processes at a time.
Run Pdftotext(const std::vector<CorpusFile>& corpus, int parallel) {
  Run run;
  run.name = "pdftotext";
  run.embedder = "-";
  rusage before{};
  ::getrusage(RUSAGE_CHILDREN, &before);
  const auto t0 = SteadyClock::now();
  size_t next = 0;
  int running = 0;
  while (next < corpus.size() || running > 0) {
    while (running < parallel && next < corpus.size()) {
      std::string file = corpus[next].path.string();
      std::string prog = "pdftotext", out = "/dev/null", quiet = "-q";
      char* argv[] = {prog.data(), quiet.data(), file.data(), out.data(), nullptr};
      pid_t pid = -1;
      if (posix_spawnp(&pid, "pdftotext", nullptr, nullptr, argv, environ) == 0) ++running;
      run.pages += corpus[next].pages;
      ++run.documents;
      ++next;
    }
    int status = 0;
    if (::wait(&status) > 0) --running;
  }
  run.wall_s = MillisBetween(t0, SteadyClock::now()) / 1000;
  rusage after{};
  ::getrusage(RUSAGE_CHILDREN, &after);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  run.cpu_s =
      secs(after.ru_utime) - secs(before.ru_utime) + secs(after.ru_stime) - secs(before.ru_stime);
  return run;
}

int Main(Flags& flags) {
  const std::string binary = flags.Get("ragd", RAGD_BINARY_DEFAULT);
  const fs::path pdf_dir = flags.Get("pdf-dir", std::string(RAGD_SHARED_DIR) + "/testdata/pdf");
  const int pages = flags.GetInt("pages", 300);
  const std::string embedders = flags.Get("embedders", "local,hashing");
  const int pdftotext_runs = flags.GetInt("pdftotext-runs", 2);
  const int rounds = flags.GetInt("rounds", 1);
  std::string work = flags.Get("work-dir", "");
  if (!flags.Unused().empty()) {
    std::cerr << "unknown flag --" << flags.Unused().front() << "\n";
    return 2;
  }
  const bool temp_work = work.empty();
  if (temp_work) {
    std::string tmpl = "/tmp/ragd-ingest-e2e.XXXXXX";
    work = ::mkdtemp(tmpl.data());
  }
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const std::string load_before = LoadAverage();
  StatusOr<RagdServer> ragd =
      StartRagd({binary, work + "/data", kAdminKey, work + "/ragd.log", {}});
  if (!ragd.ok()) return Log("ragd: " + ragd.status().message()), 1;
  HttpConnection conn(ragd->url.host, ragd->url.port);
  std::vector<std::string> rejected;
  StatusOr<std::vector<CorpusFile>> indexable = Probe(conn, pdf_dir, rejected);
  if (!indexable.ok()) return Log("probe: " + indexable.status().message()), 1;
  const std::vector<CorpusFile> corpus = BuildCorpus(*indexable, pages, work + "/corpus");
  ragd->process->Stop(SIGTERM);

  std::vector<Run> runs;
  std::vector<Run> baselines;
  for (int i = 0; i < pdftotext_runs; ++i) baselines.push_back(Pdftotext(corpus, cores));
  const int corpus_rounds = corpus.empty() ? 0 : corpus.back().round + 1;
  for (int rep = 0; rep < rounds; ++rep) {
    std::stringstream list(embedders);
    for (std::string e; std::getline(list, e, ',');) {
      // Cold: one fresh data directory per repetition of the fixtures, so ragd's embedding cache
      // (keyed by embedder and chunk text) never hits and every chunk is embedded.
      Run cold;
      cold.name = "ragd cold (fresh data dir per fixture round), run " + std::to_string(rep + 1);
      for (int r = 0; r < corpus_rounds; ++r) {
        std::vector<CorpusFile> part;
        for (const CorpusFile& f : corpus)
          if (f.round == r) part.push_back(f);
        Log("cold, embedder " + e + ", fixture round " + std::to_string(r + 1));
        StatusOr<Run> run = IngestOnFreshServer(binary, work + "/data-cold", e, part);
        if (!run.ok()) return Log("ingest: " + run.status().message()), 1;
        cold.Add(*run);
      }
      runs.push_back(cold);
      // Repeated: the whole corpus into one bot; copies after the first reuse cached vectors.
      Log("repeated, embedder " + e);
      StatusOr<Run> warm = IngestOnFreshServer(binary, work + "/data-repeated", e, corpus);
      if (!warm.ok()) return Log("ingest: " + warm.status().message()), 1;
      warm->name = "ragd repeated content (one data dir), run " + std::to_string(rep + 1);
      runs.push_back(*warm);
    }
  }
  for (int i = 0; i < pdftotext_runs; ++i) baselines.push_back(Pdftotext(corpus, cores));

  Run best = baselines.front();
  for (const Run& b : baselines) {
    if (b.wall_s < best.wall_s) best.wall_s = b.wall_s;
    if (b.cpu_s < best.cpu_s) best.cpu_s = b.cpu_s;
  }
  std::cout << "Machine: " << MachineDescription() << "; load average before: " << load_before
            << ", after: " << LoadAverage() << "\nCorpus: " << indexable->size()
            << " indexable PDFs from " << pdf_dir.string() << " repeated to " << corpus.size()
            << " files; ragd " << binary << " with default ingest workers (one per core); "
            << "pdftotext " << cores << " at a time\n\n"
            << "| pipeline | embedder | documents | pages | chunks | failed | uploads done s | "
               "wall s | pages/s | CPU s | pages per CPU-s | pages/s vs pdftotext | pages per "
               "CPU-s vs pdftotext |\n"
               "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
               "| ---: |\n";
  auto row = [&](const Run& r) {
    const double pps = r.pages / r.wall_s, ppc = r.pages / r.cpu_s;
    std::cout << "| " << r.name << " | " << r.embedder << " | " << r.documents << " | " << r.pages
              << " | " << (r.chunks ? std::to_string(r.chunks) : "-") << " | " << r.failed << " | "
              << (r.upload_s > 0 ? Fixed(r.upload_s, 2) : "-") << " | " << Fixed(r.wall_s, 2)
              << " | " << Fixed(pps, 1) << " | " << Fixed(r.cpu_s, 2) << " | " << Fixed(ppc, 1)
              << " | " << Fixed(pps / (best.pages / best.wall_s), 3) << " | "
              << Fixed(ppc / (best.pages / best.cpu_s), 3) << " |\n";
  };
  for (const Run& r : baselines) row(r);
  for (const Run& r : runs) row(r);
  std::cout << "\nIndexable (pages):";
  for (const CorpusFile& f : *indexable) std::cout << " " << f.name << " (" << f.pages << ")";
  std::cout << "\nNot in the corpus:";
  for (const std::string& r : rejected) std::cout << " " << r << ";";
  std::cout << "\n";
  if (temp_work) fs::remove_all(work);
  return 0;
}

}  // namespace
}  // namespace ragd::bench

int main(int argc, char** argv) {
  ragd::bench::Flags flags(argc, argv);
  return ragd::bench::Main(flags);
}
