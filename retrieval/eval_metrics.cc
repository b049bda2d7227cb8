#include "retrieval/eval_metrics.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

namespace ragd {
namespace {

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

// Calls `fn(line, line_number)` for every line (without '\n'); stops at the first error.
Status ForEachLine(const std::string& path,
                   const std::function<Status(std::string_view, int64_t)>& fn) {
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) return NotFoundError("cannot open " + path);
  gzbuffer(f.get(), 1 << 17);
  std::string pending;
  std::vector<char> buf(1 << 16);
  int64_t line_number = 0;
  while (true) {
    const int n = gzread(f.get(), buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) return DataLossError(path + ": cannot decompress");
    if (n == 0) break;
    pending.append(buf.data(), n);
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(pending.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      RAGD_RETURN_IF_ERROR(fn(line, ++line_number));
    }
    pending.erase(0, start);
  }
  if (!pending.empty()) RAGD_RETURN_IF_ERROR(fn(pending, ++line_number));
  return OkStatus();
}

// BEIR ids are strings, but some exports write numbers.
std::string IdField(const nlohmann::json& obj) {
  const auto& id = obj.at("_id");
  return id.is_string() ? id.get<std::string>() : id.dump();
}

std::string TextField(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

template <typename T>
StatusOr<std::vector<T>> ReadJsonl(const std::string& path,
                                   const std::function<T(const nlohmann::json&)>& make) {
  std::vector<T> out;
  RAGD_RETURN_IF_ERROR(ForEachLine(path, [&](std::string_view line, int64_t number) -> Status {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return OkStatus();
    try {
      out.push_back(make(nlohmann::json::parse(line)));
    } catch (const std::exception& e) {
      return DataLossError(path + ":" + std::to_string(number) + ": " + e.what());
    }
    return OkStatus();
  }));
  return out;
}

}  // namespace

StatusOr<std::vector<BeirDocument>> ReadBeirCorpus(const std::string& path) {
  return ReadJsonl<BeirDocument>(path, [](const nlohmann::json& j) {
    return BeirDocument{IdField(j), TextField(j, "title"), TextField(j, "text")};
  });
}

StatusOr<std::vector<BeirQuery>> ReadBeirQueries(const std::string& path) {
  return ReadJsonl<BeirQuery>(path, [](const nlohmann::json& j) {
    return BeirQuery{IdField(j), TextField(j, "text")};
  });
}

StatusOr<Qrels> ReadBeirQrels(const std::string& path) {
  Qrels qrels;
  RAGD_RETURN_IF_ERROR(ForEachLine(path, [&](std::string_view line, int64_t number) -> Status {
    if (number == 1 || line.empty()) return OkStatus();  // header
    const size_t t1 = line.find('\t');
    const size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos) {
      return DataLossError(path + ":" + std::to_string(number) +
                           ": expected 3 tab-separated fields");
    }
    const std::string score(line.substr(t2 + 1));
    char* end = nullptr;
    const long rel = std::strtol(score.c_str(), &end, 10);
    if (score.empty() || *end != '\0') {
      return DataLossError(path + ":" + std::to_string(number) + ": score is not an integer");
    }
    qrels[std::string(line.substr(0, t1))][std::string(line.substr(t1 + 1, t2 - t1 - 1))] =
        static_cast<int>(rel);
    return OkStatus();
  }));
  return qrels;
}

void SortTrecEval(std::vector<ScoredDoc>& docs) {
  std::sort(docs.begin(), docs.end(), [](const ScoredDoc& a, const ScoredDoc& b) {
    return a.score != b.score ? a.score > b.score : a.id > b.id;
  });
}

double NdcgAt(const std::vector<ScoredDoc>& ranked,
              const std::unordered_map<std::string, int>& rels, int k) {
  std::vector<int> gains;
  for (const auto& [doc, rel] : rels) {
    if (rel > 0) gains.push_back(rel);
  }
  std::sort(gains.rbegin(), gains.rend());
  double ideal = 0;
  for (size_t i = 0; i < gains.size() && i < static_cast<size_t>(k); ++i) {
    ideal += gains[i] / std::log2(i + 2.0);
  }
  if (ideal <= 0) return 0;
  double dcg = 0;
  for (size_t i = 0; i < ranked.size() && i < static_cast<size_t>(k); ++i) {
    auto it = rels.find(ranked[i].id);
    if (it != rels.end() && it->second > 0) dcg += it->second / std::log2(i + 2.0);
  }
  return dcg / ideal;
}

double RecallAt(const std::vector<ScoredDoc>& ranked,
                const std::unordered_map<std::string, int>& rels, int k) {
  const auto relevant =
      std::count_if(rels.begin(), rels.end(), [](const auto& r) { return r.second > 0; });
  if (relevant == 0) return 0;
  int found = 0;
  for (size_t i = 0; i < ranked.size() && i < static_cast<size_t>(k); ++i) {
    auto it = rels.find(ranked[i].id);
    if (it != rels.end() && it->second > 0) ++found;
  }
  return static_cast<double>(found) / relevant;
}

double MrrAt(const std::vector<ScoredDoc>& ranked, const std::unordered_map<std::string, int>& rels,
             int k) {
  for (size_t i = 0; i < ranked.size() && i < static_cast<size_t>(k); ++i) {
    auto it = rels.find(ranked[i].id);
    if (it != rels.end() && it->second > 0) return 1.0 / (i + 1.0);
  }
  return 0;
}

RetrievalMetrics Evaluate(const Qrels& qrels, const RetrievalRun& run, const EvalOptions& options) {
  RetrievalMetrics m;
  for (const auto& [query, rels] : qrels) {
    ++m.queries;
    auto it = run.find(query);
    if (it == run.end()) continue;
    std::vector<ScoredDoc> ranked;
    ranked.reserve(it->second.size());
    for (const ScoredDoc& d : it->second) {
      if (options.ignore_identical_ids && d.id == query) continue;
      ranked.push_back(d);
    }
    SortTrecEval(ranked);
    m.ndcg_at_10 += NdcgAt(ranked, rels, 10);
    m.recall_at_100 += RecallAt(ranked, rels, 100);
    m.mrr_at_10 += MrrAt(ranked, rels, 10);
  }
  if (m.queries > 0) {
    m.ndcg_at_10 /= m.queries;
    m.recall_at_100 /= m.queries;
    m.mrr_at_10 /= m.queries;
  }
  return m;
}

}  // namespace ragd
