// Query latency of ragd's retrieval paths next to their raw baselines, on one synthetic corpus.
//
// For each size N (default 10k and 100k chunks):
//   corpus: N chunks of --chunk_words words drawn from a Zipf(1.0) vocabulary whose 33 most
//     frequent words are Lucene's English stop words (like real text); a vector per chunk of
//     dim --dim: one of 1000 random unit centroids plus Gaussian noise, normalised (clustered, like
//     real embeddings).
//   queries: --queries queries of --query_words Zipf words each; the query vector is a chunk's
//     vector plus noise.
//   build: ragd's VectorIndex is filled through Add in 10k batches (the flat -> HNSW switch then
//     runs in the background with --build_threads OpenMP threads; the build time ends when
//     WaitForRebuild returns), wall and process CPU seconds.
//   rows: raw Faiss on the very index ragd built (its Faiss part read back from ragd's saved
//     file: same graph, same efSearch), once with Debian's stock storage (scalar inner product)
//     and once with ragd's FastFlatIP storage (the fair baseline for ragd's wrapper overhead);
//     ragd VectorIndex::Search and its recall@10 against exact search; raw FTS5 SQL (the same
//     MATCH expression, bm25 ORDER BY, LIMIT), ragd LexicalIndex::Search, ragd's in-memory BM25
//     (LexicalMemoryIndex, k=10 and the hybrid depth 200, with its agreement with FTS5's top 10),
//     ragd HybridSearch (default fusion and RRF, and default fusion over the in-memory index). One
//     thread, OpenMP limited to 1 thread for search.
// All SQL runs inside one read transaction on one connection for both raw and ragd rows.
//
//   retrieval_bench [--sizes=10000,100000] [--dim=512] [--queries=300] [--query_words=30]
//                   [--chunk_words=120] [--dir=/tmp] [--hnsw_threshold=50000] [--build_threads=2]
//                   [--common_fraction=0.05] [--lexical_only] [--reuse]
// --reuse keeps the index files in --dir and, when both exist from an earlier run of the same size,
// loads them instead of building (the corpus and queries are the same: the generator is seeded).
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/index_io.h>
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
#include "retrieval/vector_distance.h"

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
  bool reuse = false;  // keep the index files, and load them instead of building when present
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
    } else if (a == "--reuse") {
      f.reuse = true;
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

double ProcessCpuS() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// The Faiss part of a file written by VectorIndex::Save (layout in vector_index.cc: magic,
// version, dim, generation, count, ntotal, kind, embedder id length and bytes, ntotal ids).
std::unique_ptr<faiss::Index> ReadFaissPart(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return nullptr;
  int64_t ntotal = 0;
  uint32_t id_len = 0;
  std::fseek(f, 8 + 4 + 4 + 8 + 8, SEEK_SET);
  if (std::fread(&ntotal, 8, 1, f) != 1) ntotal = 0;
  std::fseek(f, 1, SEEK_CUR);
  if (std::fread(&id_len, 4, 1, f) != 1) id_len = 0;
  std::fseek(f, static_cast<long>(id_len) + ntotal * 8, SEEK_CUR);
  std::unique_ptr<faiss::Index> index(faiss::read_index(f));
  std::fclose(f);
  return index;
}

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

  VectorIndexOptions vopt;
  vopt.hnsw_threshold = flags.hnsw_threshold;
  vopt.build_threads = flags.build_threads;
  const int64_t nv = flags.lexical_only ? 0 : n;  // vectors built
  const std::string faiss_path =
      flags.dir + "/ragd_retrieval_bench_" + std::to_string(n) + ".faiss";
  const std::string db_path = flags.dir + "/ragd_retrieval_bench_" + std::to_string(n) + ".db";
  const bool reused = flags.reuse && nv > 0 && std::filesystem::exists(faiss_path) &&
                      std::filesystem::exists(db_path);
  auto t0 = std::chrono::steady_clock::now();
  double c0 = ProcessCpuS();
  std::unique_ptr<VectorIndex> index;
  if (reused) {
    index = VectorIndex::Load(faiss_path, vopt).value();
    Check(index->WaitForRebuild(), "rebuild");
    std::printf("  reused %s (%lld vectors): loaded in %.1f s wall", faiss_path.c_str(),
                static_cast<long long>(index->size()),
                Ms(std::chrono::steady_clock::now() - t0) / 1000);
  } else {
    index = VectorIndex::Create("bench", dim, vopt).value();
    for (int64_t i = 0; i < nv; i += 10000) {
      const int64_t m = std::min<int64_t>(10000, nv - i);
      Check(index->Add(std::span(ids).subspan(i, m), std::span(vectors).subspan(i * dim, m * dim)),
            "add");
    }
    Check(index->WaitForRebuild(), "rebuild");
    std::printf("  build: ragd vector index %.1f s wall, %.1f s CPU (%s, %d build threads)",
                Ms(std::chrono::steady_clock::now() - t0) / 1000, ProcessCpuS() - c0,
                index->is_hnsw() ? "hnsw" : "flat", flags.build_threads);
  }
  const bool hnsw = index->is_hnsw();
  // Raw Faiss: the same index, read back from ragd's file.
  std::unique_ptr<faiss::Index> raw_stock, raw_fast;
  if (nv > 0) {
    if (!reused) Check(index->Save(faiss_path), "save");
    raw_stock = ReadFaissPart(faiss_path);
    raw_fast = UseFastFlatStorage(ReadFaissPart(faiss_path));
    if (!raw_stock || !raw_fast) Check(InternalError("cannot read " + faiss_path), "raw faiss");
  }

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
  if (!reused) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);
  }
  auto db = Database::Open(db_path, {}).value();
  LexicalIndex lexical(LexicalOptions{.common_term_fraction = flags.common_fraction});
  std::unique_ptr<LexicalMemoryIndex> memory =
      LexicalMemoryIndex::Create(lexical.options()).value();
  double memory_build_ms = 0;
  t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; i += 5000) {
    std::vector<LexicalRow> rows;
    for (int64_t j = i; j < std::min<int64_t>(n, i + 5000); ++j) {
      rows.push_back(
          {ids[j], "doc-" + std::to_string(j / 20), sentence(6), sentence(flags.chunk_words), {}});
    }
    // Reused: the rows are still generated, so the seeded generator reaches the same queries.
    if (!reused) {
      Check(db->Write([&](Connection& c) { return lexical.Add(c, "bench", rows); }), "fts add");
    }
    const auto m0 = std::chrono::steady_clock::now();
    Check(memory->Add(rows), "memory add");
    memory_build_ms += Ms(std::chrono::steady_clock::now() - m0);
  }
  memory->ShrinkToFit();
  std::printf(reused ? ", corpus text regenerated in %.1f s\n" : ", FTS5 %.1f s\n",
              Ms(std::chrono::steady_clock::now() - t0) / 1000);

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
  Latency raw_stock_vec, raw_vec, ragd_vec;
  double recall = 0;
  if (!flags.lexical_only) {
    omp_set_num_threads(1);
    VectorIndex::SetSearchThreads(1);
    // Interleaved rounds so machine load hits all three alike; the last round is reported.
    for (int round = 0; round < 2; ++round) {
      raw_stock_vec = Measure(std::min(flags.queries, 100), [&](int q) {
        raw_stock->search(1, qv(q).data(), k, dist.data(), lab.data());
      });
      raw_vec = Measure(flags.queries, [&](int q) {
        raw_fast->search(1, qv(q).data(), k, dist.data(), lab.data());
      });
      ragd_vec = Measure(flags.queries, [&](int q) { (void)index->Search(qv(q), k); });
    }
    raw_stock.reset();  // memory for the exact index below
    raw_fast.reset();
    // Recall@10 of ragd's semantic path against exact search over the same vectors.
    FastFlatIP exact(dim);
    exact.add(n, vectors.data());
    std::vector<faiss::Index::idx_t> truth(static_cast<size_t>(flags.queries) * k);
    std::vector<float> tdist(truth.size());
    omp_set_num_threads(2);
    exact.search(flags.queries, qvecs.data(), k, tdist.data(), truth.data());
    omp_set_num_threads(1);
    int found = 0;
    for (int q = 0; q < flags.queries; ++q) {
      const std::vector<VectorHit> hits = index->Search(qv(q), k).value();
      for (const VectorHit& h : hits) {
        for (int j = 0; j < k; ++j) found += ids[truth[q * k + j]] == h.id;
      }
    }
    recall = static_cast<double>(found) / (flags.queries * k);
  }

  Latency raw_fts, ragd_fts, ragd_hybrid, ragd_hybrid_w, mem_lex, mem_lex_deep, mem_hybrid;
  int64_t same_as_fts = 0, fts_hits = 0;
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
    // The in-memory index against FTS5's own exact bm25 top k.
    for (int q = 0; q < flags.queries; ++q) {
      auto st = c.Prepare(raw_sql).value();
      st.Bind(1, BuildFtsQuery(texts[q])).Bind(2, k);
      std::vector<int64_t> want;
      while (st.Step().value()) want.push_back(st.Int(0));
      const std::vector<LexicalHit> got = memory->Search(texts[q], k).value().value();
      fts_hits += static_cast<int64_t>(want.size());
      for (size_t i = 0; i < want.size() && i < got.size(); ++i)
        same_as_fts += want[i] == got[i].id;
    }
    mem_lex = Measure(flags.queries, [&](int q) { (void)memory->Search(texts[q], k); });
    mem_lex_deep = Measure(flags.queries, [&](int q) { (void)memory->Search(texts[q], 200); });
    ragd_fts =
        Measure(flags.queries, [&](int q) { (void)lexical.Search(c, "bench", texts[q], k); });
    if (flags.lexical_only) return OkStatus();
    HybridSources sources{index.get(), &lexical, &c, "bench"};
    HybridOptions options;
    options.max_results = k;
    ragd_hybrid = Measure(flags.queries, [&](int q) {
      Check(HybridSearch(sources, texts[q], qv(q), options).status(), "hybrid");
    });
    HybridSources with_memory = sources;
    with_memory.memory = memory.get();
    mem_hybrid = Measure(flags.queries, [&](int q) {
      Check(HybridSearch(with_memory, texts[q], qv(q), options).status(), "hybrid (memory)");
    });
    options.fusion = FusionMethod::kReciprocalRank;
    ragd_hybrid_w = Measure(flags.queries,
                            [&](int q) { (void)HybridSearch(sources, texts[q], qv(q), options); });
    return OkStatus();
  }),
        "read");

  std::printf("  latency, single query, k=%d, %d queries:\n", k, flags.queries);
  if (!flags.lexical_only) {
    Report(hnsw ? "raw faiss HNSW, stock storage" : "raw faiss flat, stock", raw_stock_vec,
           &raw_vec);
    Report(hnsw ? "raw faiss HNSW, FastFlatIP storage" : "raw faiss flat, FastFlatIP", raw_vec,
           nullptr);
    Report("ragd semantic (VectorIndex)", ragd_vec, &raw_vec);
    std::printf("  ragd semantic recall@10 vs exact: %.4f\n", recall);
  }
  Report("raw FTS5 SQL (bm25, same MATCH)", raw_fts, nullptr);
  Report("ragd lexical (LexicalIndex)", ragd_fts, &raw_fts);
  Report("ragd lexical (in-memory), k=10", mem_lex, &raw_fts);
  Report("ragd lexical (in-memory), k=200", mem_lex_deep, &raw_fts);
  std::printf(
      "  in-memory lexical: same chunk at the same rank as FTS5 bm25 %.4f; built in %.1f s, "
      "%.1f MiB\n",
      fts_hits > 0 ? static_cast<double>(same_as_fts) / fts_hits : 1.0, memory_build_ms / 1000,
      memory->MemoryBytes() / (1024.0 * 1024.0));
  if (!flags.lexical_only) {
    Report("ragd hybrid (default: z-score w=0.3)", ragd_hybrid, nullptr);
    Report("ragd hybrid (RRF)", ragd_hybrid_w, nullptr);
    Report("ragd hybrid, in-memory lexical", mem_hybrid, &ragd_hybrid);
  }

  Check(index->Save(faiss_path), "save");
  db.reset();
  const double per100k = 100000.0 / n / (1024 * 1024);
  std::printf(
      "  memory per 100k chunks: vector index %.1f MiB resident, %.1f MiB file; "
      "SQLite FTS5 (text + index) %.1f MiB file\n",
      index->MemoryBytes() * per100k, std::filesystem::file_size(faiss_path) * per100k,
      std::filesystem::file_size(db_path) * per100k);
  if (!flags.reuse) {
    std::filesystem::remove(faiss_path);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);
  }
}

}  // namespace
}  // namespace ragd

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  const ragd::Flags flags = ragd::ParseFlags(argc, argv);
  for (int64_t n : flags.sizes) ragd::RunSize(flags, n);
  return 0;
}
