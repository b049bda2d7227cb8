// `ragd eval` helpers: BEIR corpus entries as the files ragd ingests, and ragd's search hits back
// as BEIR document ids.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/engine.h"
#include "retrieval/eval_metrics.h"

namespace ragd {

// The Markdown file for one corpus entry: "# <title>\n\n<text>\n" (no heading when the title is
// empty). BEIR text is plain text, so every ASCII punctuation character is backslash-escaped
// (CommonMark lets any of them be escaped) and leading blanks of a line are dropped: "*", "#",
// "1." or "<b>" in an argument must stay words, not become emphasis, headings, lists or HTML.
// Line breaks inside the title become spaces.
std::string EvalMarkdownFor(const BeirDocument& doc);

// The file name of the `ordinal`-th corpus entry: "beir-000042.md". Deliberately not the BEIR id:
// a document without a title is titled by its file name, and that title is indexed, so an id like
// "test-environment-aeghhgwpe-pro02b" would add the topic word "environment" (and the debate's
// id) to the lexical index, leaking the dataset's labels into the ranking.
std::string EvalFileName(size_t ordinal);

// ragd document id -> the BEIR ids it stands for. ragd stores identical files once (the later ones
// become duplicates of the first, with no chunks of their own), so one ragd document may stand for
// several corpus entries; BEIR would rank each of them with the same score.
//
// Not thread-safe for writes; const methods may be called concurrently.
class EvalIdMap {
 public:
  // `ragd_id` is the document that owns the chunks: the original for a duplicate.
  void Add(const std::string& ragd_id, const std::string& beir_id);
  size_t size() const { return by_ragd_id_.size(); }
  // The BEIR ids `ragd_id` stands for ("" when none, else joined by ", ").
  std::string BeirIdsOf(const std::string& ragd_id) const;

  // The hits (best first) as a BEIR run: every BEIR id a hit's document stands for, with the hit's
  // score; a document seen again (another chunk of it) keeps its first, best score. Hits of
  // documents not in the map are ignored.
  std::vector<ScoredDoc> ToRun(const std::vector<SearchHit>& hits) const;

 private:
  std::unordered_map<std::string, std::vector<std::string>> by_ragd_id_;
};

// Writes `run` in TREC run format ("qid Q0 docid rank score tag", best first in trec_eval's
// order, at most `depth` per query), queries in the order of `queries`, with each query's own id
// left out (as Anserini's -removeQuery does), so trec_eval on the file reproduces ragd's numbers.
Status WriteTrecRun(const std::string& path, const std::vector<BeirQuery>& queries,
                    const RetrievalRun& run, int depth, const std::string& tag);

}  // namespace ragd
