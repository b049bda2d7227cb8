// Embedding throughput of USE-lite on 128-token chunks, 1 and 2 threads, reported against the
// OpenBLAS sgemm rate measured in the same run (the ceiling for a network that is mostly GEMMs).
//
//   embed_bench [--model-dir DIR] [--seconds S] [--rounds R] [--batch B] [--profile 1]
//
// --profile 1 only embeds with one caller for S seconds (for `perf record`).
//
// Each round measures, in this order: sgemm on 1 thread, embedding with 1 caller, sgemm on 2
// threads (one GEMM per thread), embedding with 2 concurrent callers, then with OpenBLAS set to
// 2 threads: embedding with 1 caller and with 2 callers. The best round of each is reported (the
// machine is shared).
#include <cblas.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "retrieval/hashing_embedder.h"
#include "retrieval/use_lite_embedder.h"
#include "retrieval/use_lite_model.h"
#include "retrieval/use_lite_tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

// Units of work per second of wall-clock time, and per second of CPU time of the process. The
// machine is shared, so wall-clock rates depend on the other load; the CPU-time rate times the
// number of cores used is what dedicated cores would give.
struct Rates {
  double wall = 0;
  double cpu = 0;
  Rates Best(const Rates& o) const { return {std::max(wall, o.wall), std::max(cpu, o.cpu)}; }
};

// Runs `work` (which returns units done) on `threads` threads until `seconds` pass.
Rates Rate(int threads, double seconds, const std::function<double()>& work) {
  std::atomic<bool> stop{false};
  std::vector<double> done(threads, 0);
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (!stop.load(std::memory_order_relaxed)) done[t] += work();
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = ProcessCpuSeconds() - cpu_start;
  double total = 0;
  for (double d : done) total += d;
  return {total / elapsed, total / cpu};
}

// FFN-shaped GEMM (256 x 512 times 512 x 1536), the dominant shape of the model; GFLOP/s.
Rates SgemmGflops(int threads, double seconds) {
  constexpr int kM = 256, kK = 512, kN = 1536;
  std::vector<std::vector<float>> a(threads, std::vector<float>(kM * kK, 0.5f));
  std::vector<std::vector<float>> b(threads, std::vector<float>(kK * kN, 0.25f));
  std::vector<std::vector<float>> c(threads, std::vector<float>(kM * kN));
  std::atomic<int> next{0};
  Rates r = Rate(threads, seconds, [&] {
    thread_local int slot = -1;
    if (slot < 0) slot = next++;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kM, kN, kK, 1.0f, a[slot].data(), kK,
                b[slot].data(), kN, 0.0f, c[slot].data(), kN);
    return 2.0 * kM * kN * kK / 1e9;
  });
  return r;
}

const char* kCorpus =
    "Returns are accepted within thirty days of delivery when the item is unused and in its "
    "original packaging. To start a return, sign in to your account, open the order and choose "
    "the items you want to send back. We email a prepaid label within one business day. Refunds "
    "go to the original payment method once the warehouse has inspected the parcel, which "
    "usually takes three to five working days. The warranty covers manufacturing defects for two "
    "years from the date of purchase; it does not cover accidental damage, normal wear, or "
    "repairs made by unauthorised technicians. Servicing is recommended every twelve months: the "
    "technician cleans the filters, checks the seals, updates the firmware and replaces worn "
    "parts. If the device shows an error code, note it down, switch the device off for a minute "
    "and try again before contacting support. Quarterly revenue grew by ten percent, driven by "
    "strong demand in the northern region and a successful product launch. Employees can reset "
    "their password from the login page by following the link sent to their registered email "
    "address; the link expires after fifteen minutes for security reasons.";

// Chunks of at least 128 tokens from windows over the corpus (each embeds exactly 128).
std::vector<std::string> MakeChunks(const ragd::UseLiteTokenizer& tokenizer, int count) {
  std::vector<std::string> words;
  for (const char* p = kCorpus; *p;) {
    const char* end = std::strchr(p, ' ');
    if (!end) end = p + std::strlen(p);
    words.emplace_back(p, end);
    p = *end ? end + 1 : end;
  }
  std::vector<std::string> chunks;
  for (int i = 0; i < count; ++i) {
    std::string chunk;
    // Words go in eight at a time between token counts, to keep set-up linear.
    for (size_t w = size_t(i) * 7; tokenizer.Encode(chunk).size() < 128;) {
      for (int k = 0; k < 8; ++k, ++w)
        chunk += (chunk.empty() ? "" : " ") + words[w % words.size()];
    }
    chunks.push_back(chunk);
  }
  return chunks;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path model_dir = std::filesystem::path(RAGD_SOURCE_DIR) / "models/use-lite-en";
  double seconds = 3;
  int rounds = 3;
  int batch = 32;
  bool profile = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--model-dir")
      model_dir = argv[i + 1];
    else if (flag == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (flag == "--rounds")
      rounds = std::atoi(argv[i + 1]);
    else if (flag == "--batch")
      batch = std::atoi(argv[i + 1]);
    else if (flag == "--profile")
      profile = std::atoi(argv[i + 1]) != 0;
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  const auto load_start = Clock::now();
  auto embedder = ragd::LoadUseLiteEmbedder(model_dir);
  if (!embedder.ok()) {
    std::fprintf(stderr, "%s\n", embedder.status().ToString().c_str());
    return 1;
  }
  const double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();
  auto tokenizer = ragd::UseLiteTokenizer::Load(model_dir / "vocab.json");
  if (!tokenizer.ok()) return 1;
  const std::vector<std::string> chunks = MakeChunks(*tokenizer, 256);
  const double flops = ragd::use_lite::Model::FlopsPerSentence(128);

  std::atomic<size_t> cursor{0};
  auto embed_batch = [&] {
    const size_t start = (cursor.fetch_add(batch) % (chunks.size() - batch));
    auto out =
        (*embedder)->Embed(std::span(chunks).subspan(start, batch), ragd::EmbedPurpose::kDocument);
    if (!out.ok()) std::abort();
    return double(batch);
  };
  auto tokenize_batch = [&] {
    for (int i = 0; i < batch; ++i) (void)tokenizer->Encode(chunks[i]);
    return double(batch);
  };
  auto hashing = ragd::NewHashingEmbedder(512);
  auto hash_batch = [&] {
    (void)hashing->Embed(std::span(chunks).subspan(0, batch), ragd::EmbedPurpose::kDocument);
    return double(batch);
  };

  if (profile) {
    openblas_set_num_threads(1);
    std::printf("%.1f chunks/s\n", Rate(1, seconds, embed_batch).wall);
    return 0;
  }

  const std::vector<std::string> query = {"How do I reset my password?"};
  auto embed_query = [&] {
    if (!(*embedder)->Embed(query, ragd::EmbedPurpose::kQuery).ok()) std::abort();
    return 1.0;
  };

  Rates sgemm1, sgemm2, embed1, embed2, embed1_blas2, embed2_blas2, tok, hash, queries;
  for (int r = 0; r < rounds; ++r) {
    openblas_set_num_threads(1);
    sgemm1 = sgemm1.Best(SgemmGflops(1, seconds));
    embed1 = embed1.Best(Rate(1, seconds, embed_batch));
    sgemm2 = sgemm2.Best(SgemmGflops(2, seconds));
    embed2 = embed2.Best(Rate(2, seconds, embed_batch));
    openblas_set_num_threads(2);
    embed1_blas2 = embed1_blas2.Best(Rate(1, seconds, embed_batch));
    embed2_blas2 = embed2_blas2.Best(Rate(2, seconds, embed_batch));
    openblas_set_num_threads(1);
    tok = tok.Best(Rate(1, seconds / 3, tokenize_batch));
    hash = hash.Best(Rate(1, seconds / 3, hash_batch));
    queries = queries.Best(Rate(1, seconds / 3, embed_query));
  }
  std::ifstream loadavg("/proc/loadavg");
  std::string load;
  std::getline(loadavg, load);

  std::printf("USE-lite embedding throughput, 128-token chunks, batch %d, best of %d x %.0f s\n",
              batch, rounds, seconds);
  std::printf("cores: %u, OpenBLAS core: %s, model load %.2f s, /proc/loadavg: %s\n",
              std::thread::hardware_concurrency(), openblas_get_corename(), load_s, load.c_str());
  std::printf(
      "model FLOPs per chunk: %.3f GFLOP (dense work; the GEMM FLOPs the network needs)\n\n",
      flops / 1e9);
  std::printf(
      "wall = measured chunks/s; per core = chunks per CPU-second of the process x cores used "
      "(what dedicated cores give; the machine is shared)\n\n");
  std::printf(
      "| configuration | chunks/s wall | chunks/s per-core x cores | model GFLOP/s (per-core "
      "basis) | sgemm GFLOP/s (same basis) | fraction of sgemm |\n");
  std::printf("|---|---|---|---|---|---|\n");
  auto row = [&](const char* name, const Rates& rate, const Rates& peak, int cores) {
    const double projected = rate.cpu * cores;
    const double gflops = projected * flops / 1e9;
    const double peak_gflops = peak.cpu * cores;
    std::printf("| %s | %.1f | %.1f | %.1f | %.1f | %.2f |\n", name, rate.wall, projected, gflops,
                peak_gflops, gflops / peak_gflops);
  };
  row("1 thread (OpenBLAS 1 thread)", embed1, sgemm1, 1);
  row("2 threads: 2 callers, OpenBLAS 1 thread each", embed2, sgemm2, 2);
  row("2 threads: 1 caller, OpenBLAS 2 threads", embed1_blas2, sgemm2, 2);
  row("2 cores: 2 callers, OpenBLAS 2 threads each", embed2_blas2, sgemm2, 2);
  std::printf(
      "\ntokenizer alone: %.0f chunks per CPU-second; hashing-512 embedder: %.0f chunks per "
      "CPU-second\none %zu-token query alone: %.2f ms of CPU (%.2f ms wall)\n",
      tok.cpu, hash.cpu, tokenizer->Encode(query[0]).size(), 1e3 / queries.cpu, 1e3 / queries.wall);
  const double best2 = std::max(embed2.cpu, embed1_blas2.cpu) * 2;
  std::printf("goal >= 100 chunks/s on 2 cores: %.1f on a per-core basis (%s), %.1f wall-clock\n",
              best2, best2 >= 100 ? "met" : "NOT met", std::max(embed2.wall, embed1_blas2.wall));
  return 0;
}
