// Retrieval quality of every search mode and fusion method on BEIR ArguAna.
//
// Indexes the corpus (title + text) into a temporary SQLite FTS5 lexical index and a flat vector
// index (hashing embedder, or USE-lite with --model_dir=DIR), runs every query once per side
// (top 101: 100 plus the query's own document, which BEIR drops), fuses the same two candidate
// lists with each method and prints nDCG@10 / Recall@100 / MRR@10 (BEIR's definitions,
// retrieval/eval_metrics.h) and the time taken.
//
//   arguana_eval [--data=<shared>/testdata/ir/beir-arguana] [--model_dir=DIR] [--title_weight=1]
//                [--common_fraction=0.05] [--queries=N (first N only)]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "retrieval/eval_metrics.h"
#include "retrieval/hashing_embedder.h"
#include "retrieval/hybrid.h"
#include "retrieval/local_embedder.h"

namespace ragd {
namespace {

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Main(int argc, char** argv) {
  std::string data = std::string(RAGD_SHARED_DIR) + "/testdata/ir/beir-arguana";
  std::string model_dir;
  double title_weight = 1.0;
  double common_fraction = LexicalOptions().common_term_fraction;
  size_t max_queries = SIZE_MAX;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--data=", 0) == 0)
      data = a.substr(7);
    else if (a.rfind("--model_dir=", 0) == 0)
      model_dir = a.substr(12);
    else if (a.rfind("--title_weight=", 0) == 0)
      title_weight = std::stod(a.substr(15));
    else if (a.rfind("--common_fraction=", 0) == 0)
      common_fraction = std::stod(a.substr(18));
    else if (a.rfind("--queries=", 0) == 0)
      max_queries = std::stoul(a.substr(10));
    else {
      std::fprintf(stderr, "see the comment at the top of arguana_eval.cc for flags\n");
      return 2;
    }
  }
  auto start = std::chrono::steady_clock::now();
  auto corpus = ReadBeirCorpus(data + "/corpus.jsonl.gz");
  auto queries = ReadBeirQueries(data + "/queries.jsonl.gz");
  auto qrels = ReadBeirQrels(data + "/qrels/test.tsv");
  Check(corpus.status(), "corpus");
  Check(queries.status(), "queries");
  Check(qrels.status(), "qrels");
  if (queries->size() > max_queries) queries->resize(max_queries);
  Qrels used;
  for (const BeirQuery& q : *queries) {
    if (qrels->contains(q.id)) used[q.id] = (*qrels)[q.id];
  }

  std::unique_ptr<Embedder> embedder;
  if (model_dir.empty()) {
    embedder = NewHashingEmbedder(512);
  } else {
    auto loaded = LoadDefaultLocalEmbedder(model_dir);
    Check(loaded.status(), "embedder");
    embedder = std::move(*loaded);
  }
  std::printf("ArguAna: %zu docs, %zu queries; embedder %s\n", corpus->size(), used.size(),
              embedder->id().c_str());

  const std::string db_path = (std::filesystem::temp_directory_path() /
                               ("ragd_arguana_eval_" + std::to_string(getpid()) + ".db"))
                                  .string();
  auto db = Database::Open(db_path, {});
  Check(db.status(), "db");
  LexicalIndex lexical(
      LexicalOptions{.title_weight = title_weight, .common_term_fraction = common_fraction});
  std::vector<LexicalRow> rows;
  std::vector<std::string> texts;
  std::vector<int64_t> ids;
  for (size_t i = 0; i < corpus->size(); ++i) {
    const BeirDocument& d = (*corpus)[i];
    rows.push_back({static_cast<int64_t>(i), "", d.title, d.text, {}});
    texts.push_back(d.title.empty() ? d.text : d.title + "\n" + d.text);
    ids.push_back(static_cast<int64_t>(i));
  }
  start = std::chrono::steady_clock::now();
  Check((*db)->Write([&](Connection& c) { return lexical.Add(c, "arguana", rows); }), "fts");
  std::printf("lexical index: %.1f s\n", Seconds(start));
  start = std::chrono::steady_clock::now();
  auto vectors = VectorIndex::Create(embedder->id(), embedder->dim()).value();
  for (size_t i = 0; i < texts.size(); i += 256) {
    const size_t n = std::min<size_t>(256, texts.size() - i);
    auto emb = embedder->Embed(std::span(texts).subspan(i, n), EmbedPurpose::kDocument);
    Check(emb.status(), "embed");
    Check(vectors->Add(std::span(ids).subspan(i, n), *emb), "add");
  }
  std::printf("embed + vector index: %.1f s\n", Seconds(start));

  struct Variant {
    const char* name;
    std::function<std::vector<HybridHit>(const std::vector<VectorHit>&,
                                         const std::vector<LexicalHit>&)>
        fuse;
  };
  auto weighted = [](double w, ScoreNormalization n) {
    return [w, n](const std::vector<VectorHit>& v, const std::vector<LexicalHit>& l) {
      return FuseWeighted(v, l, w, n);
    };
  };
  const std::vector<Variant> variants = {
      {"lexical (FTS5 bm25)",
       [](const auto&, const auto& l) {
         return FuseWeighted({}, l, 0, ScoreNormalization::kMinMax);
       }},
      {"semantic", [](const auto& v,
                      const auto&) { return FuseWeighted(v, {}, 1, ScoreNormalization::kMinMax); }},
      {"hybrid RRF k=60",
       [](const auto& v, const auto& l) { return FuseReciprocalRank(v, l, 60); }},
      {"hybrid weighted min-max w=0.3", weighted(0.3, ScoreNormalization::kMinMax)},
      {"hybrid weighted min-max w=0.5", weighted(0.5, ScoreNormalization::kMinMax)},
      {"hybrid weighted min-max w=0.7", weighted(0.7, ScoreNormalization::kMinMax)},
      {"hybrid weighted z-score w=0.3", weighted(0.3, ScoreNormalization::kZScore)},
      {"hybrid weighted z-score w=0.5", weighted(0.5, ScoreNormalization::kZScore)},
  };
  std::vector<RetrievalRun> runs(variants.size());
  start = std::chrono::steady_clock::now();
  double lexical_s = 0, semantic_s = 0;
  Check((*db)->Read([&](Connection& c) -> Status {
    for (const BeirQuery& q : *queries) {
      if (!used.contains(q.id)) continue;
      auto t0 = std::chrono::steady_clock::now();
      RAGD_ASSIGN_OR_RETURN(auto lhits, lexical.Search(c, "arguana", q.text, 101));
      lexical_s += Seconds(t0);
      t0 = std::chrono::steady_clock::now();
      std::vector<std::string> one = {q.text};
      RAGD_ASSIGN_OR_RETURN(auto qv, embedder->Embed(one, EmbedPurpose::kQuery));
      RAGD_ASSIGN_OR_RETURN(auto vhits, vectors->Search(qv, 101));
      semantic_s += Seconds(t0);
      for (size_t v = 0; v < variants.size(); ++v) {
        auto& docs = runs[v][q.id];
        for (const HybridHit& h : variants[v].fuse(vhits, lhits)) {
          docs.push_back({(*corpus)[h.chunk_id].id, h.score});
        }
      }
    }
    return OkStatus();
  }),
        "search");
  std::printf("queries: lexical %.1f s (%.1f ms/query), embed + semantic %.1f s\n\n", lexical_s,
              1000 * lexical_s / used.size(), semantic_s);
  std::printf("%-32s %8s %10s %8s\n", "mode", "nDCG@10", "Recall@100", "MRR@10");
  for (size_t v = 0; v < variants.size(); ++v) {
    const RetrievalMetrics m = Evaluate(used, runs[v]);
    std::printf("%-32s %8.4f %10.4f %8.4f\n", variants[v].name, m.ndcg_at_10, m.recall_at_100,
                m.mrr_at_10);
  }
  db->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);
  return 0;
}

}  // namespace
}  // namespace ragd

int main(int argc, char** argv) { return ragd::Main(argc, argv); }
