// PDF ingestion throughput: ragd's PdfParser (optionally followed by the chunker) against
// poppler's `pdftotext` on the same files in the same run, both on 2 cores: 2 worker threads in
// one process vs. up to 2 pdftotext processes at a time.
//
//   ingest_parse_bench [--corpus DIR] [--threads N] [--rounds R] [--copies C]
//
// Corpora: "fixtures" = every PDF under DIR (default ../shared/testdata/pdf) that opens without a
// password; "large" = generated at run time in a temp dir with `pdfunite`: each fixture of 3+
// pages concatenated C times (default 8) and C/2 times. Each configuration runs R times (default
// 5), interleaved with the others so load drift hits all alike. Reported: the best wall-clock
// time as pages/s (what 2 cores deliver), and the least CPU time (user+sys of this process's
// threads, or of the pdftotext children) as pages per CPU-second, which other load on a shared
// machine disturbs far less.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "ingest/parsers/pdf_parser.h"
#if __has_include("ingest/chunking/chunker.h")
#include "ingest/chunking/chunker.h"
#define RAGD_HAVE_CHUNKER 1
#endif

extern char** environ;

namespace ragd {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Pdf {
  fs::path path;
  int pages = 0;
};

struct Timing {
  double wall = 0;
  double cpu = 0;
};

// Best wall time and least CPU time over the rounds (each is the one least disturbed by load).
struct Result {
  std::string name;
  double wall = 1e300;
  double cpu = 1e300;
  void Add(const Timing& t) {
    wall = std::min(wall, t.wall);
    cpu = std::min(cpu, t.cpu);
  }
};

double CpuSeconds(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Starts argv (stderr to /dev/null); waits for it when `wait_for_it`. Returns the exit code (0
// when not waiting), -1 if it could not start.
int RunProcess(const std::vector<std::string>& argv, bool wait_for_it) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  if (!wait_for_it) return 0;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Writes `out`: `n` copies of `pdf` one after another.
bool Unite(const fs::path& pdf, int n, const fs::path& out) {
  std::vector<std::string> cmd = {"pdfunite"};
  for (int c = 0; c < n; ++c) cmd.push_back(pdf.string());
  cmd.push_back(out.string());
  if (RunProcess(cmd, true) == 0) return true;
  std::cerr << "pdfunite failed for " << pdf << "\n";
  return false;
}

// Runs `work` on every file with `threads` workers pulling from a shared index.
Timing TimeThreads(const std::vector<Pdf>& files, int threads,
                   const std::function<void(const Pdf&)>& work) {
  std::atomic<size_t> next{0};
  const double cpu = CpuSeconds(RUSAGE_SELF);
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < files.size(); i = next++) work(files[i]);
    });
  }
  for (std::thread& t : pool) t.join();
  return {std::chrono::duration<double>(Clock::now() - start).count(),
          CpuSeconds(RUSAGE_SELF) - cpu};
}

// Runs `pdftotext <file> /dev/null` on every file, at most `parallel` processes at a time.
Timing TimePdftotext(const std::vector<Pdf>& files, int parallel) {
  const double cpu = CpuSeconds(RUSAGE_CHILDREN);
  const auto start = Clock::now();
  size_t next = 0;
  int running = 0;
  while (next < files.size() || running > 0) {
    while (running < parallel && next < files.size()) {
      if (RunProcess({"pdftotext", files[next++].path.string(), "/dev/null"}, false) == 0) {
        ++running;
      }
    }
    int status = 0;
    if (running > 0 && wait(&status) > 0) --running;
  }
  return {std::chrono::duration<double>(Clock::now() - start).count(),
          CpuSeconds(RUSAGE_CHILDREN) - cpu};
}

void Report(const std::string& corpus, const std::vector<Pdf>& files,
            const std::vector<Result>& results) {
  int pages = 0;
  for (const Pdf& f : files) pages += f.pages;
  const double baseline = pages / results.back().wall;
  const double baseline_cpu = pages / results.back().cpu;
  std::printf("\n%s: %zu files, %d pages\n", corpus.c_str(), files.size(), pages);
  std::printf("| %-26s | %7s | %8s | %8s | %7s | %11s | %8s |\n", "configuration", "best s",
              "pages/s", "ratio", "CPU s", "pages/CPU-s", "ratio");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  for (const Result& r : results) {
    const double rate = pages / r.wall;
    const double cpu_rate = pages / r.cpu;
    std::printf("| %-26s | %7.3f | %8.1f | %7.2fx | %7.3f | %11.1f | %7.2fx |\n", r.name.c_str(),
                r.wall, rate, rate / baseline, r.cpu, cpu_rate, cpu_rate / baseline_cpu);
  }
}

int Main(int argc, char** argv) {
  fs::path corpus = fs::path(RAGD_SHARED_DIR) / "testdata/pdf";
  int threads = 2, rounds = 5, copies = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--corpus") corpus = argv[i + 1];
    if (flag == "--threads") threads = std::atoi(argv[i + 1]);
    if (flag == "--rounds") rounds = std::atoi(argv[i + 1]);
    if (flag == "--copies") copies = std::atoi(argv[i + 1]);
  }
  const PdfParser parser;
  std::vector<Pdf> fixtures;
  for (const auto& entry : fs::recursive_directory_iterator(corpus)) {
    if (entry.path().extension() != ".pdf") continue;
    const auto doc = parser.Parse(entry.path(), ParseOptions());
    if (doc.ok()) fixtures.push_back({entry.path(), doc->page_count});
  }
  std::sort(fixtures.begin(), fixtures.end(),
            [](const Pdf& a, const Pdf& b) { return a.path < b.path; });

  char dir_template[] = "/tmp/ragd-parse-bench-XXXXXX";
  const char* tmp = mkdtemp(dir_template);
  if (tmp == nullptr) return 1;
  std::vector<Pdf> large;
  for (const Pdf& f : fixtures) {
    if (f.pages < 3) continue;
    for (const int n : {copies, copies / 2}) {
      const fs::path out =
          fs::path(tmp) / (f.path.stem().string() + "-x" + std::to_string(n) + ".pdf");
      if (n < 1 || !Unite(f.path, n, out)) continue;
      const auto doc = parser.Parse(out, ParseOptions());
      if (doc.ok()) large.push_back({out, doc->page_count});
    }
  }

#ifdef RAGD_HAVE_CHUNKER
  const ChunkingConfig chunking;  // defaults: fixed size, 300 tokens, 20% overlap
#endif
  const std::string baseline = "pdftotext, " + std::to_string(threads) + " processes";
  for (const auto& [name, files] : std::vector<std::pair<std::string, std::vector<Pdf>>>{
           {"fixtures", fixtures}, {"large", large}}) {
    std::vector<Result> results = {{"ragd parse"},
#ifdef RAGD_HAVE_CHUNKER
                                   {"ragd parse+chunk"},
#endif
                                   {baseline}};
    for (int round = 0; round < rounds; ++round) {
      size_t k = 0;
      results[k++].Add(TimeThreads(files, threads, [&](const Pdf& f) {
        if (!parser.Parse(f.path, ParseOptions()).ok()) std::abort();
      }));
#ifdef RAGD_HAVE_CHUNKER
      results[k++].Add(TimeThreads(files, threads, [&](const Pdf& f) {
        const auto doc = parser.Parse(f.path, ParseOptions());
        if (!doc.ok() || !ChunkDocument(*doc, chunking).ok()) std::abort();
      }));
#endif
      results[k].Add(TimePdftotext(files, threads));
    }
    Report(name, files, results);
  }
  fs::remove_all(tmp);
  return 0;
}

}  // namespace
}  // namespace ragd

int main(int argc, char** argv) { return ragd::Main(argc, argv); }
