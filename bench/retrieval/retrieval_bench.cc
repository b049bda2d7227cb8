// Query latency of ragd's retrieval paths next to their raw baselines, on one synthetic corpus.
//
// For each size N (default 10k and 100k chunks):
//   corpus: N chunks of --chunk_words words drawn from a Zipf(1.0) vocabulary whose 33 most
//     frequent words are Lucene's English stop words (like real text); a vector per chunk of
//     dim --dim: one of 1000 random unit centroids plus Gaussian noise, normalised (clustered, like
//     real embeddings).
//   queries: --queries queries of --query_words Zipf words each; the query vector is a chunk's
//     vector plus noise.
//   rows: raw Faiss (the same index type ragd picks: IndexFlatIP below hnsw_threshold, else
//     IndexHNSWFlat with ragd's M / efConstruction / efSearch), ragd VectorIndex::Search, raw
//     FTS5 SQL (the same MATCH expression, bm25 ORDER BY, LIMIT), ragd LexicalIndex::Search, ragd
//     HybridSearch (default fusion and RRF, 40 candidates per side). One thread; OpenMP limited to
//     1 thread for search (a row with Faiss's default thread count shows why).
// All SQL runs inside one read transaction on one connection for both raw and ragd rows.
//
//   retrieval_bench [--sizes=10000,100000] [--dim=512] [--queries=300] [--query_words=30]
//                   [--chunk_words=120] [--dir=/tmp] [--hnsw_threshold=50000] [--build_threads=2]
//                   [--common_fraction=0.05] [--lexical_only]
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "retrieval/embedder.h"
#include "retrieval/hybrid.h"

namespace ragd {
namespace {

struct Flags {
  std::vector<int64_t> sizes = {10000, 100000};
  int dim = 512;
  int queries = 300;
  int query_words = 30;
  int chunk_words = 120;
  std::string dir = "/tmp";
  int64_t hnsw_threshold = 50000;
  int build_threads = 2;
  double common_fraction = LexicalOptions().common_term_fraction;
  bool lexical_only = false;  // skip vectors (and the semantic / hybrid rows)
};

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      const std::string prefix = std::string("--") + name + "=";
      return a.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
    };
    if (const char* v = value("sizes")) {
      f.sizes.clear();
      for (std::string s = v; !s.empty();) {
        const size_t comma = s.find(',');
        f.sizes.push_back(std::stoll(s.substr(0, comma)));
        s = comma == std::string::npos ? "" : s.substr(comma + 1);
      }
    } else if (const char* v = value("dim")) {
      f.dim = std::atoi(v);
    } else if (const char* v = value("queries")) {
      f.queries = std::atoi(v);
    } else if (const char* v = value("query_words")) {
      f.query_words = std::atoi(v);
    } else if (const char* v = value("chunk_words")) {
      f.chunk_words = std::atoi(v);
    } else if (const char* v = value("dir")) {
      f.dir = v;
    } else if (const char* v = value("hnsw_threshold")) {
      f.hnsw_threshold = std::atoll(v);
    } else if (const char* v = value("build_threads")) {
      f.build_threads = std::atoi(v);
    } else if (const char* v = value("common_fraction")) {
      f.common_fraction = std::atof(v);
    } else if (a == "--lexical_only") {
      f.lexical_only = true;
    } else {
      std::fprintf(stderr, "see the comment at the top of retrieval_bench.cc for flags\n");
      std::exit(2);
    }
  }
  return f;
}

// Zipf(1.0) sampler over `n` ranks by inverse CDF.
class Zipf {
 public:
  explicit Zipf(int n) : cdf_(n) {
    double sum = 0;
    for (int i = 0; i < n; ++i) cdf_[i] = (sum += 1.0 / (i + 1));
    for (double& c : cdf_) c /= sum;
  }
  int operator()(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<int>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

std::vector<std::string> Vocabulary(int n) {
  std::vector<std::string> words = {
      "the", "of",   "and", "to",   "a",  "in",    "is",   "that",  "for",  "it",   "as",
      "was", "with", "be",  "by",   "on", "not",   "this", "are",   "at",   "or",   "but",
      "an",  "they", "if",  "will", "no", "their", "into", "there", "such", "then", "these"};
  static const char* kSyllables[] = {"ka",  "lo",  "mi",  "ner", "sta", "qui", "bro", "vel",
                                     "dan", "ton", "rix", "pel", "gor", "shi", "mu",  "zen"};
  for (int i = 0; static_cast<int>(words.size()) < n; ++i) {
    std::string w;
    for (int x = i + 16; x > 0; x /= 16) w += kSyllables[x % 16];
    words.push_back(w);
  }
  return words;
}

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

struct Latency {
  double p50 = 0, p99 = 0, mean = 0;  // wall clock
  double cpu_p50 = 0, cpu_p99 = 0,
         cpu_mean = 0;  // this thread's CPU time (robust to a busy machine)
};

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void Percentiles(std::vector<double> ms, double& p50, double& p99, double& mean) {
  const int n = static_cast<int>(ms.size());
  mean = 0;
  for (double m : ms) mean += m / n;
  std::sort(ms.begin(), ms.end());
  p50 = ms[n / 2];
  p99 = ms[std::min(n - 1, static_cast<int>(std::ceil(n * 0.99)) - 1)];
}

Latency Measure(int n, const std::function<void(int)>& fn) {
  for (int i = 0; i < std::min(n, 20); ++i) fn(i);  // warm-up
  std::vector<double> ms(n), cpu(n);
  for (int i = 0; i < n; ++i) {
    const double c0 = ThreadCpuMs();
    const auto t0 = std::chrono::steady_clock::now();
    fn(i);
    ms[i] = Ms(std::chrono::steady_clock::now() - t0);
    cpu[i] = ThreadCpuMs() - c0;
  }
  Latency l;
  Percentiles(ms, l.p50, l.p99, l.mean);
  Percentiles(cpu, l.cpu_p50, l.cpu_p99, l.cpu_mean);
  return l;
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

void Report(const char* name, const Latency& l, const Latency* base) {
  std::printf("  %-36s wall p50 %7.3f p99 %7.3f | cpu p50 %7.3f p99 %7.3f mean %7.3f ms", name,
              l.p50, l.p99, l.cpu_p50, l.cpu_p99, l.cpu_mean);
  if (base != nullptr) {
    std::printf("  (cpu x%.2f p50, x%.2f mean vs raw)", l.cpu_p50 / base->cpu_p50,
                l.cpu_mean / base->cpu_mean);
  }
  std::printf("\n");
}

void RunSize(const Flags& flags, int64_t n) {
  std::printf("\n== %lld chunks, dim %d, %d-word queries, %d-word chunks ==\n",
              static_cast<long long>(n), flags.dim, flags.query_words, flags.chunk_words);
  const int dim = flags.dim;
  std::mt19937_64 rng(42);
  std::normal_distribution<float> normal;
  // Vectors: clustered.
  const int centroids = 1000;
  std::vector<float> centers(static_cast<size_t>(centroids) * dim);
  for (float& x : centers) x = normal(rng);
  NormalizeRows(centers, dim);
  std::vector<float> vectors(static_cast<size_t>(n) * dim);
  std::vector<int64_t> ids(n);
  for (int64_t i = 0; i < n; ++i) {
    ids[i] = 1000000 + i;
    const float* c = &centers[(rng() % centroids) * dim];
    for (int d = 0; d < dim; ++d) vectors[i * dim + d] = c[d] + 0.08f * normal(rng);
  }
  NormalizeRows(vectors, dim);

  // Raw Faiss, same index type and parameters as ragd's.
  VectorIndexOptions vopt;
  vopt.hnsw_threshold = flags.hnsw_threshold;
  vopt.build_threads = flags.build_threads;
  const bool hnsw = n >= flags.hnsw_threshold;
  const int64_t nv = flags.lexical_only ? 0 : n;  // vectors built
  std::unique_ptr<faiss::Index> raw;
  auto t0 = std::chrono::steady_clock::now();
  if (hnsw) {
    auto h = std::make_unique<faiss::IndexHNSWFlat>(dim, vopt.hnsw_m, faiss::METRIC_INNER_PRODUCT);
    h->hnsw.efConstruction = vopt.hnsw_ef_construction;
    h->hnsw.efSearch = vopt.hnsw_ef_search;
    raw = std::move(h);
  } else {
    raw = std::make_unique<faiss::IndexFlatIP>(dim);
  }
  omp_set_num_threads(flags.build_threads);
  raw->add(nv, vectors.data());
  std::printf("  build: raw faiss %.1f s", Ms(std::chrono::steady_clock::now() - t0) / 1000);

  t0 = std::chrono::steady_clock::now();
  auto index = VectorIndex::Create("bench", dim, vopt).value();
  for (int64_t i = 0; i < nv; i += 10000) {
    const int64_t m = std::min<int64_t>(10000, nv - i);
    Check(index->Add(std::span(ids).subspan(i, m), std::span(vectors).subspan(i * dim, m * dim)),
          "add");
  }
  std::printf(", ragd vector index %.1f s (%s)", Ms(std::chrono::steady_clock::now() - t0) / 1000,
              index->is_hnsw() ? "hnsw" : "flat");

  // Text.
  const auto vocab = Vocabulary(50000);
  const Zipf zipf(static_cast<int>(vocab.size()));
  auto sentence = [&](int words) {
    std::string s;
    for (int w = 0; w < words; ++w) {
      if (w > 0) s += ' ';
      s += vocab[zipf(rng)];
    }
    return s;
  };
  const std::string db_path = flags.dir + "/ragd_retrieval_bench_" + std::to_string(n) + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);
  auto db = Database::Open(db_path, {}).value();
  LexicalIndex lexical(LexicalOptions{.common_term_fraction = flags.common_fraction});
  t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; i += 5000) {
    std::vector<LexicalRow> rows;
    for (int64_t j = i; j < std::min<int64_t>(n, i + 5000); ++j) {
      rows.push_back(
          {ids[j], "doc-" + std::to_string(j / 20), sentence(6), sentence(flags.chunk_words), {}});
    }
    Check(db->Write([&](Connection& c) { return lexical.Add(c, "bench", rows); }), "fts add");
  }
  std::printf(", FTS5 %.1f s\n", Ms(std::chrono::steady_clock::now() - t0) / 1000);

  // Queries.
  std::vector<std::string> texts(flags.queries);
  std::vector<float> qvecs(static_cast<size_t>(flags.queries) * dim);
  for (int q = 0; q < flags.queries; ++q) {
    texts[q] = sentence(flags.query_words);
    const int64_t src = rng() % n;
    for (int d = 0; d < dim; ++d) qvecs[q * dim + d] = vectors[src * dim + d] + 0.05f * normal(rng);
  }
  NormalizeRows(qvecs, dim);
  auto qv = [&](int q) {
    return std::span<const float>(qvecs).subspan(static_cast<size_t>(q) * dim, dim);
  };
  const int k = 10;

  std::vector<float> dist(k);
  std::vector<faiss::Index::idx_t> lab(k);
  auto raw_search = [&](int q) {
    raw->search(1, qv(q % flags.queries).data(), k, dist.data(), lab.data());
  };
  Latency raw_omp2, raw_vec, ragd_vec;
  if (!flags.lexical_only) {
    omp_set_num_threads(2);
    raw_omp2 = Measure(flags.queries, raw_search);
    omp_set_num_threads(1);
    raw_vec = Measure(flags.queries, raw_search);
    VectorIndex::SetSearchThreads(1);
    ragd_vec = Measure(flags.queries, [&](int q) { (void)index->Search(qv(q), k); });
  }

  Latency raw_fts, ragd_fts, ragd_hybrid, ragd_hybrid_w;
  const std::string table = LexicalIndex::TableName("bench").value();
  const std::string raw_sql = "SELECT rowid, bm25(\"" + table + "\", 0, 0, 1, 1) AS s FROM \"" +
                              table + "\" WHERE \"" + table + "\" MATCH ?1 ORDER BY s LIMIT ?2";
  int64_t matched = 0;
  Check(db->Read([&](Connection& c) -> Status {
    raw_fts = Measure(flags.queries, [&](int q) {
      auto st = c.Prepare(raw_sql).value();
      st.Bind(1, BuildFtsQuery(texts[q])).Bind(2, k);
      while (st.Step().value()) ++matched;
    });
    ragd_fts =
        Measure(flags.queries, [&](int q) { (void)lexical.Search(c, "bench", texts[q], k); });
    if (flags.lexical_only) return OkStatus();
    HybridSources sources{index.get(), &lexical, &c, "bench"};
    HybridOptions options;
    options.max_results = k;
    ragd_hybrid = Measure(flags.queries, [&](int q) {
      Check(HybridSearch(sources, texts[q], qv(q), options).status(), "hybrid");
    });
    options.fusion = FusionMethod::kReciprocalRank;
    ragd_hybrid_w = Measure(flags.queries,
                            [&](int q) { (void)HybridSearch(sources, texts[q], qv(q), options); });
    return OkStatus();
  }),
        "read");

  std::printf("  latency, single query, k=%d, %d queries:\n", k, flags.queries);
  if (!flags.lexical_only) {
    Report(hnsw ? "raw faiss HNSW (omp 2 threads)" : "raw faiss flat (omp 2 threads)", raw_omp2,
           &raw_vec);
    Report(hnsw ? "raw faiss HNSW (omp 1 thread)" : "raw faiss flat (omp 1 thread)", raw_vec,
           nullptr);
    Report("ragd semantic (VectorIndex)", ragd_vec, &raw_vec);
  }
  Report("raw FTS5 SQL (bm25, same MATCH)", raw_fts, nullptr);
  Report("ragd lexical (LexicalIndex)", ragd_fts, &raw_fts);
  if (!flags.lexical_only) {
    Report("ragd hybrid (default: z-score w=0.3)", ragd_hybrid, nullptr);
    Report("ragd hybrid (RRF)", ragd_hybrid_w, nullptr);
  }

  const std::string faiss_path =
      flags.dir + "/ragd_retrieval_bench_" + std::to_string(n) + ".faiss";
  Check(index->Save(faiss_path), "save");
  db.reset();
  const double per100k = 100000.0 / n / (1024 * 1024);
  std::printf(
      "  memory per 100k chunks: vector index %.1f MiB resident, %.1f MiB file; "
      "SQLite FTS5 (text + index) %.1f MiB file\n",
      index->MemoryBytes() * per100k, std::filesystem::file_size(faiss_path) * per100k,
      std::filesystem::file_size(db_path) * per100k);
  std::filesystem::remove(faiss_path);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);
}

}  // namespace
}  // namespace ragd

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  const ragd::Flags flags = ragd::ParseFlags(argc, argv);
  for (int64_t n : flags.sizes) ragd::RunSize(flags, n);
  return 0;
}
