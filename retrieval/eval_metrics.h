// Retrieval evaluation: BEIR dataset readers and the metrics BEIR reports, computed the way BEIR
// computes them (pytrec_eval = trec_eval for nDCG and recall, BEIR's own code for MRR).
//
// - Ranking: a query's results are ordered by score, descending; ties by document id, descending
//   (trec_eval's order; BEIR's pytrec_eval call inherits it).
// - nDCG@k (trec_eval ndcg_cut.k): gain = the graded relevance (> 0 counts; linear, not 2^rel),
//   discount log2(rank + 1); ideal DCG from all judged relevant documents of the query, whether
//   or not they exist in the corpus.
// - Recall@k (recall.k): relevant documents in the top k / relevant documents judged (0 if none).
// - MRR@k (BEIR custom_metrics.mrr): 1 / rank of the first relevant document in the top k.
// - Averages run over every query in the qrels (a query without results scores 0), which is what
//   BEIR reports when the run has every query (it always does) and trec_eval -c otherwise.
// - ignore_identical_ids (BEIR's default, and Anserini's -removeQuery) drops a result whose id
//   equals the query id before ranking; needed for ArguAna, whose queries are corpus documents.
//
// Readers accept plain or gzip files (zlib reads both). They report DataLoss with the line number
// for malformed input.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace ragd {

struct BeirDocument {
  std::string id;
  std::string title;
  std::string text;
};

struct BeirQuery {
  std::string id;
  std::string text;
};

// query id -> document id -> graded relevance
using Qrels = std::unordered_map<std::string, std::unordered_map<std::string, int>>;

struct ScoredDoc {
  std::string id;
  double score = 0;
};
// query id -> retrieved documents in any order
using RetrievalRun = std::unordered_map<std::string, std::vector<ScoredDoc>>;

StatusOr<std::vector<BeirDocument>> ReadBeirCorpus(const std::string& path);
StatusOr<std::vector<BeirQuery>> ReadBeirQueries(const std::string& path);
// TSV "query-id<TAB>corpus-id<TAB>score" with a header line.
StatusOr<Qrels> ReadBeirQrels(const std::string& path);

// Sorts best first in trec_eval order (score desc, then id desc).
void SortTrecEval(std::vector<ScoredDoc>& docs);

// `ranked` is best first (see SortTrecEval).
double NdcgAt(const std::vector<ScoredDoc>& ranked,
              const std::unordered_map<std::string, int>& rels, int k);
double RecallAt(const std::vector<ScoredDoc>& ranked,
                const std::unordered_map<std::string, int>& rels, int k);
double MrrAt(const std::vector<ScoredDoc>& ranked, const std::unordered_map<std::string, int>& rels,
             int k);

struct RetrievalMetrics {
  double ndcg_at_10 = 0;
  double recall_at_100 = 0;
  double mrr_at_10 = 0;
  int queries = 0;
};

struct EvalOptions {
  bool ignore_identical_ids = true;
};

RetrievalMetrics Evaluate(const Qrels& qrels, const RetrievalRun& run,
                          const EvalOptions& options = {});

}  // namespace ragd
