#include "retrieval/lexical_memory.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "retrieval/lexical_fts5.h"

namespace ragd {
namespace {

using lexical_internal::kB;
using lexical_internal::kK1;

// Bound comparisons leave this relative margin for rounding: a chunk is skipped only when its best
// possible score is clearly below the k-th best.
constexpr double kMargin = 1 + 1e-9;

bool Better(const LexicalHit& a, const LexicalHit& b) {
  return a.score != b.score ? a.score > b.score : a.id < b.id;
}

// First position >= `from` whose doc is >= target (galloping, then binary search).
size_t Seek(std::span<const uint32_t> docs, size_t from, uint32_t target) {
  size_t step = 1, lo = from, hi = from;
  while (hi < docs.size() && docs[hi] < target) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  hi = std::min(hi, docs.size());
  return static_cast<size_t>(std::lower_bound(docs.begin() + static_cast<ptrdiff_t>(lo),
                                              docs.begin() + static_cast<ptrdiff_t>(hi), target) -
                             docs.begin());
}

}  // namespace

StatusOr<std::unique_ptr<LexicalMemoryIndex>> LexicalMemoryIndex::Create(
    const LexicalOptions& options) {
  std::unique_ptr<LexicalMemoryIndex> index(new LexicalMemoryIndex(options));
  RAGD_ASSIGN_OR_RETURN(index->doc_tokenizer_, PorterTokenizer::Create());
  RAGD_ASSIGN_OR_RETURN(index->query_tokenizer_, PorterTokenizer::Create());
  return index;
}

Status LexicalMemoryIndex::Stage(const LexicalRow& row, PorterTokenizer& tokenizer,
                                 StagedRow& out) const {
  out.chunk_id = row.chunk_id;
  out.length = 0;
  out.terms.clear();
  // (token, column) pairs sorted, then counted: a chunk holds a few hundred tokens at most.
  std::vector<std::pair<std::string, bool>> tokens;
  RAGD_RETURN_IF_ERROR(tokenizer.Tokenize(
      row.title, false, [&](std::string_view t) { tokens.emplace_back(std::string(t), true); }));
  RAGD_RETURN_IF_ERROR(tokenizer.Tokenize(
      row.text, false, [&](std::string_view t) { tokens.emplace_back(std::string(t), false); }));
  out.length = static_cast<uint32_t>(std::min<size_t>(tokens.size(), UINT32_MAX));
  std::sort(tokens.begin(), tokens.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [token, title] : tokens) {
    if (out.terms.empty() || out.terms.back().token != token) {
      out.terms.push_back({std::move(token), 0, 0});
    }
    ++(title ? out.terms.back().title_tf : out.terms.back().text_tf);
  }
  return OkStatus();
}

void LexicalMemoryIndex::AppendLocked(StagedRow& row) {
  const auto doc = static_cast<uint32_t>(chunk_of_doc_.size());
  chunk_of_doc_.push_back(row.chunk_id);
  length_of_doc_.push_back(row.length);
  doc_of_chunk_[row.chunk_id] = doc;
  total_tokens_ += row.length;
  for (StagedTerm& t : row.terms) {
    auto it = vocab_.find(std::string_view(t.token));
    if (it == vocab_.end()) {
      it = vocab_.emplace(std::move(t.token), static_cast<uint32_t>(postings_.size())).first;
      postings_.emplace_back();
    }
    Postings& p = postings_[it->second];
    const auto text_tf = static_cast<uint16_t>(std::min<uint32_t>(t.text_tf, UINT16_MAX));
    const auto title_tf = static_cast<uint8_t>(std::min<uint32_t>(t.title_tf, UINT8_MAX));
    p.docs.push_back(doc);
    p.text_tf.push_back(text_tf);
    p.title_tf.push_back(title_tf);
    p.max_text_tf = std::max(p.max_text_tf, text_tf);
    p.max_title_tf = std::max(p.max_title_tf, title_tf);
    p.min_length = std::min(p.min_length, row.length);
  }
}

Status LexicalMemoryIndex::Add(std::span<const LexicalRow> rows) {
  std::lock_guard write(write_mu_);
  std::vector<StagedRow> staged(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    RAGD_RETURN_IF_ERROR(Stage(rows[i], *doc_tokenizer_, staged[i]));
  }
  std::vector<int64_t> ids;
  for (const LexicalRow& r : rows) ids.push_back(r.chunk_id);
  std::unique_lock lock(mu_);
  RemoveLocked(ids);
  for (size_t i = 0; i < staged.size(); ++i) {
    // A chunk id given twice in one call: the later row wins, as with repeated INSERTs.
    if (doc_of_chunk_.contains(staged[i].chunk_id)) {
      const int64_t again = staged[i].chunk_id;
      RemoveLocked(std::span<const int64_t>(&again, 1));
    }
    AppendLocked(staged[i]);
  }
  return OkStatus();
}

int64_t LexicalMemoryIndex::Remove(std::span<const int64_t> chunk_ids) {
  std::lock_guard write(write_mu_);
  std::unique_lock lock(mu_);
  return RemoveLocked(chunk_ids);
}

int64_t LexicalMemoryIndex::RemoveLocked(std::span<const int64_t> chunk_ids) {
  std::vector<bool> dead(chunk_of_doc_.size(), false);
  int64_t removed = 0;
  for (int64_t id : chunk_ids) {
    auto it = doc_of_chunk_.find(id);
    if (it == doc_of_chunk_.end() || dead[it->second]) continue;
    dead[it->second] = true;
    ++removed;
  }
  if (removed == 0) return 0;
  // Renumber the survivors in order (postings stay sorted) and compact every list.
  std::vector<uint32_t> renumber(chunk_of_doc_.size(), UINT32_MAX);
  uint32_t next = 0;
  for (size_t d = 0; d < chunk_of_doc_.size(); ++d) {
    if (dead[d]) {
      doc_of_chunk_.erase(chunk_of_doc_[d]);
      total_tokens_ -= length_of_doc_[d];
      continue;
    }
    renumber[d] = next;
    if (next != d) {  // chunks before the first removed one keep their numbers
      chunk_of_doc_[next] = chunk_of_doc_[d];
      length_of_doc_[next] = length_of_doc_[d];
      doc_of_chunk_[chunk_of_doc_[next]] = next;
    }
    ++next;
  }
  chunk_of_doc_.resize(next);
  length_of_doc_.resize(next);
  for (Postings& p : postings_) {
    size_t out = 0;
    p.max_text_tf = 0;
    p.max_title_tf = 0;
    p.min_length = UINT32_MAX;
    for (size_t i = 0; i < p.docs.size(); ++i) {
      const uint32_t d = renumber[p.docs[i]];
      if (d == UINT32_MAX) continue;
      p.docs[out] = d;
      p.text_tf[out] = p.text_tf[i];
      p.title_tf[out] = p.title_tf[i];
      p.max_text_tf = std::max(p.max_text_tf, p.text_tf[i]);
      p.max_title_tf = std::max(p.max_title_tf, p.title_tf[i]);
      p.min_length = std::min(p.min_length, length_of_doc_[d]);
      ++out;
    }
    p.docs.resize(out);
    p.text_tf.resize(out);
    p.title_tf.resize(out);
  }
  return removed;
}

StatusOr<std::optional<std::vector<LexicalHit>>> LexicalMemoryIndex::Search(std::string_view query,
                                                                            int k) const {
  using Result = std::optional<std::vector<LexicalHit>>;
  std::vector<LexicalHit> hits;
  const std::vector<std::string> words = QueryWords(query, options_.max_query_terms);
  if (words.empty() || k <= 0) return Result(std::move(hits));
  // Distinct tokens with their query frequency, in first-seen order.
  std::vector<std::pair<std::string, int>> tokens;
  {
    std::lock_guard lock(query_mu_);
    for (const std::string& word : words) {
      int count = 0;
      std::string token;
      RAGD_RETURN_IF_ERROR(query_tokenizer_->Tokenize(word, true, [&](std::string_view t) {
        ++count;
        token = t;
      }));
      if (count == 0) continue;
      if (count > 1) return Result();  // a phrase: FTS5 handles it
      auto it = std::find_if(tokens.begin(), tokens.end(),
                             [&](const auto& e) { return e.first == token; });
      if (it == tokens.end()) {
        tokens.emplace_back(std::move(token), 1);
      } else {
        ++it->second;
      }
    }
  }

  std::shared_lock lock(mu_);
  const auto rows = static_cast<double>(chunk_of_doc_.size());
  if (chunk_of_doc_.empty()) return Result(std::move(hits));
  const double avgdl = total_tokens_ > 0 ? static_cast<double>(total_tokens_) / rows : 1.0;
  const double tw = options_.title_weight, xw = options_.text_weight;
  // A chunk's length normalisation is norm_base + norm_per_token * length.
  const double norm_base = kK1 * (1 - kB), norm_per_token = kK1 * kB / avgdl;
  struct Term {
    const uint32_t* docs;
    const uint16_t* text_tf;
    const uint8_t* title_tf;
    size_t size;
    double weight;  // query frequency * idf
    double bound;   // largest contribution to any chunk's score
    size_t pos = 0;
    uint32_t doc() const { return pos < size ? docs[pos] : UINT32_MAX; }
  };
  std::vector<Term> terms;
  for (const auto& [token, qtf] : tokens) {
    auto it = vocab_.find(std::string_view(token));
    if (it == vocab_.end()) continue;
    const Postings& p = postings_[it->second];
    if (p.docs.empty()) continue;
    const auto df = static_cast<double>(p.docs.size());
    const double idf = std::log((rows - df + 0.5) / (df + 0.5));
    const double weight = qtf * (idf > 0 ? idf : 1e-6);
    const double f = tw * p.max_title_tf + xw * p.max_text_tf;
    const double norm = norm_base + norm_per_token * p.min_length;
    terms.push_back({p.docs.data(), p.text_tf.data(), p.title_tf.data(), p.docs.size(), weight,
                     f > 0 ? weight * (f * (kK1 + 1)) / (f + norm) : 0.0});
  }
  if (terms.empty()) return Result(std::move(hits));
  std::sort(terms.begin(), terms.end(),
            [](const Term& a, const Term& b) { return a.bound < b.bound; });
  const size_t n = terms.size();
  std::vector<double> prefix(n + 1, 0.0);  // prefix[i]: the bounds of terms[0, i) added up
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + terms[i].bound;
  auto contribution = [&](const Term& t, double norm) {
    const double f = tw * t.title_tf[t.pos] + xw * t.text_tf[t.pos];
    return t.weight * (f * (kK1 + 1)) / (f + norm);
  };

  // MaxScore: terms[0, essential) have bounds adding up to less than the k-th best score so far
  // (theta), so a chunk holding only those can't enter the top k; candidates come from the
  // other ("essential") terms' lists, and the rest are probed only while they could still lift
  // the candidate past theta.
  hits.reserve(static_cast<size_t>(k) + 1);
  double theta = -std::numeric_limits<double>::infinity();
  size_t essential = 0;
  auto first_doc = [&] {
    uint32_t d = UINT32_MAX;
    for (size_t i = essential; i < n; ++i) d = std::min(d, terms[i].doc());
    return d;
  };
  uint32_t next = first_doc();
  while (next != UINT32_MAX) {
    const uint32_t doc = next;
    next = UINT32_MAX;
    const double norm = norm_base + norm_per_token * length_of_doc_[doc];
    double score = 0;
    for (size_t i = essential; i < n; ++i) {
      Term& t = terms[i];
      if (t.pos < t.size && t.docs[t.pos] == doc) {
        score += contribution(t, norm);
        ++t.pos;
      }
      next = std::min(next, t.doc());
    }
    for (size_t i = essential; i-- > 0;) {
      if ((score + prefix[i + 1]) * kMargin < theta) break;
      Term& t = terms[i];
      if (t.doc() < doc) {
        t.pos = Seek(std::span<const uint32_t>(t.docs, t.size), t.pos, doc);
      }
      if (t.doc() == doc) score += contribution(t, norm);
    }
    const LexicalHit hit{chunk_of_doc_[doc], score};
    if (hits.size() < static_cast<size_t>(k)) {
      hits.push_back(hit);
      std::push_heap(hits.begin(), hits.end(), Better);  // worst on top
    } else if (Better(hit, hits.front())) {
      std::pop_heap(hits.begin(), hits.end(), Better);
      hits.back() = hit;
      std::push_heap(hits.begin(), hits.end(), Better);
    } else {
      continue;
    }
    if (hits.size() == static_cast<size_t>(k) && hits.front().score > theta) {
      theta = hits.front().score;
      const size_t before = essential;
      while (essential < n && prefix[essential + 1] * kMargin < theta) ++essential;
      if (essential != before) next = first_doc();
    }
  }
  std::sort_heap(hits.begin(), hits.end(), Better);
  return Result(std::move(hits));
}

void LexicalMemoryIndex::ShrinkToFit() {
  std::lock_guard write(write_mu_);
  std::unique_lock lock(mu_);
  for (Postings& p : postings_) {
    p.docs.shrink_to_fit();
    p.text_tf.shrink_to_fit();
    p.title_tf.shrink_to_fit();
  }
  postings_.shrink_to_fit();
  chunk_of_doc_.shrink_to_fit();
  length_of_doc_.shrink_to_fit();
}

int64_t LexicalMemoryIndex::rows() const {
  std::shared_lock lock(mu_);
  return static_cast<int64_t>(chunk_of_doc_.size());
}

size_t LexicalMemoryIndex::MemoryBytes() const {
  std::shared_lock lock(mu_);
  size_t bytes = chunk_of_doc_.capacity() * sizeof(int64_t) +
                 length_of_doc_.capacity() * sizeof(uint32_t) +
                 doc_of_chunk_.size() * (sizeof(int64_t) + sizeof(uint32_t) + 2 * sizeof(void*)) +
                 doc_of_chunk_.bucket_count() * sizeof(void*) +
                 postings_.capacity() * sizeof(Postings) + vocab_.bucket_count() * sizeof(void*);
  for (const auto& [token, id] : vocab_)
    bytes += sizeof(std::string) + 2 * sizeof(void*) + (token.size() > 15 ? token.capacity() : 0);
  for (const Postings& p : postings_) {
    bytes += p.docs.capacity() * sizeof(uint32_t) + p.text_tf.capacity() * sizeof(uint16_t) +
             p.title_tf.capacity();
  }
  return bytes;
}

}  // namespace ragd
