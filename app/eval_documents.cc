#include "app/eval_documents.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <unordered_set>

namespace ragd {
namespace {

bool IsAsciiPunctuation(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

// Escapes `text` as Markdown inline text; with `one_line`, line breaks become spaces.
void AppendEscaped(std::string_view text, bool one_line, std::string& out) {
  bool line_start = true;
  for (const char c : text) {
    if (c == '\r') continue;
    if (c == '\n') {
      out += one_line ? ' ' : '\n';
      line_start = !one_line;
      continue;
    }
    // Leading blanks would make an indented code block (4 spaces) or nothing at all.
    if (line_start && (c == ' ' || c == '\t')) continue;
    line_start = false;
    if (IsAsciiPunctuation(c)) out += '\\';
    out += c;
  }
}

}  // namespace

std::string EvalMarkdownFor(const BeirDocument& doc) {
  std::string out;
  out.reserve(doc.title.size() + doc.text.size() + doc.text.size() / 8 + 8);
  std::string title;
  AppendEscaped(doc.title, /*one_line=*/true, title);
  const size_t first = title.find_first_not_of(' ');
  if (first != std::string::npos) {
    out += "# ";
    out += title.substr(first);
    out += "\n\n";
  }
  AppendEscaped(doc.text, /*one_line=*/false, out);
  out += '\n';
  return out;
}

std::string EvalFileName(size_t ordinal) {
  char name[32];
  std::snprintf(name, sizeof(name), "beir-%06zu.md", ordinal);
  return name;
}

void EvalIdMap::Add(const std::string& ragd_id, const std::string& beir_id) {
  by_ragd_id_[ragd_id].push_back(beir_id);
}

std::string EvalIdMap::BeirIdsOf(const std::string& ragd_id) const {
  std::string joined;
  const auto it = by_ragd_id_.find(ragd_id);
  if (it == by_ragd_id_.end()) return joined;
  for (const std::string& id : it->second) joined += (joined.empty() ? "" : ", ") + id;
  return joined;
}

std::vector<ScoredDoc> EvalIdMap::ToRun(const std::vector<SearchHit>& hits) const {
  std::vector<ScoredDoc> run;
  std::unordered_set<std::string> seen;
  for (const SearchHit& hit : hits) {
    if (!seen.insert(hit.document_id).second) continue;
    const auto it = by_ragd_id_.find(hit.document_id);
    if (it == by_ragd_id_.end()) continue;
    for (const std::string& beir_id : it->second) run.push_back({beir_id, hit.score});
  }
  return run;
}

Status WriteTrecRun(const std::string& path, const std::vector<BeirQuery>& queries,
                    const RetrievalRun& run, int depth, const std::string& tag) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return UnavailableError("cannot write " + path);
  char score[32];
  for (const BeirQuery& q : queries) {
    auto it = run.find(q.id);
    if (it == run.end()) continue;
    std::vector<ScoredDoc> ranked = it->second;
    std::erase_if(ranked, [&](const ScoredDoc& d) { return d.id == q.id; });
    SortTrecEval(ranked);
    const size_t n = std::min(ranked.size(), static_cast<size_t>(std::max(0, depth)));
    for (size_t r = 0; r < n; ++r) {
      std::snprintf(score, sizeof(score), "%.6f", ranked[r].score);
      out << q.id << " Q0 " << ranked[r].id << ' ' << (r + 1) << ' ' << score << ' ' << tag << '\n';
    }
  }
  if (!out.flush()) return UnavailableError("cannot write " + path);
  return OkStatus();
}

}  // namespace ragd
