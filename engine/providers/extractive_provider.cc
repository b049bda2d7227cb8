#include "engine/providers/extractive_provider.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_set>
#include <vector>

#include "ingest/chunking/chunker.h"
#include "ingest/chunking/text_segmentation.h"

namespace ragd {
namespace {

// Function words and question words: they say how something is asked, not what about.
bool IsStopword(std::string_view word) {
  static const std::unordered_set<std::string_view> kWords = {
      "a",     "about",  "after", "all",   "also",   "am",    "an",    "and",  "any",   "are",
      "as",    "at",     "be",    "been",  "before", "being", "but",   "by",   "can",   "could",
      "did",   "do",     "does",  "doing", "for",    "from",  "get",   "got",  "had",   "has",
      "have",  "he",     "her",   "here",  "him",    "his",   "how",   "i",    "if",    "in",
      "into",  "is",     "it",    "its",   "just",   "know",  "long",  "many", "may",   "me",
      "might", "more",   "most",  "much",  "must",   "my",    "need",  "of",   "on",    "or",
      "our",   "please", "shall", "she",   "should", "so",    "some",  "such", "tell",  "than",
      "that",  "the",    "their", "them",  "then",   "there", "these", "they", "this",  "those",
      "to",    "too",    "us",    "very",  "was",    "we",    "were",  "what", "when",  "where",
      "which", "while",  "who",   "whom",  "whose",  "why",   "will",  "with", "would", "you",
      "your"};
  return kWords.count(word) > 0;
}

bool IsAsciiLower(std::string_view w) {
  return std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// A light English stemmer (plural, -ed, -ing, final e) so that "returns", "returned" and
// "returning" meet. Words with anything but a-z are left alone.
std::string Stem(std::string w) {
  if (w.size() <= 3 || !IsAsciiLower(w)) return w;
  auto ends = [&w](std::string_view s) { return w.size() > s.size() && w.ends_with(s); };
  if (ends("ies") && w.size() > 4) {
    w.replace(w.size() - 3, 3, "y");
  } else if (ends("sses")) {
    w.resize(w.size() - 2);
  } else if (ends("s") && !ends("ss") && !ends("us") && !ends("is")) {
    w.pop_back();
  }
  bool stripped = false;
  if (w.size() > 5 && ends("ing")) {
    w.resize(w.size() - 3);
    stripped = true;
  } else if (w.size() > 4 && ends("ed")) {
    w.resize(w.size() - 2);
    stripped = true;
  }
  const size_t n = w.size();
  if (stripped && n >= 2 && w[n - 1] == w[n - 2] &&
      std::string_view("lsz").find(w[n - 1]) == std::string_view::npos) {
    w.pop_back();  // "shipped" -> "shipp" -> "ship"
  }
  if (w.size() > 3 && w.back() == 'e') w.pop_back();
  return w;
}

// The distinct terms of `text`, sorted.
std::vector<std::string> Terms(std::string_view text, WordSegmenter& seg) {
  std::vector<std::string> terms;
  seg.Reset(text);
  for (WordSegment s; seg.Next(s);) {
    if (!s.is_word()) continue;
    const std::string_view word = text.substr(s.range.begin, s.range.size());
    if (s.kind == WordSegment::Kind::kIdeographic || s.kind == WordSegment::Kind::kKana) {
      for (size_t i = 0; i < word.size();) {  // one term per character
        size_t j = i + 1;
        while (j < word.size() && (static_cast<uint8_t>(word[j]) & 0xC0) == 0x80) ++j;
        terms.emplace_back(word.substr(i, j - i));
        i = j;
      }
      continue;
    }
    std::string folded(word);
    if (std::all_of(folded.begin(), folded.end(), [](char c) { return (c & 0x80) == 0; })) {
      std::transform(folded.begin(), folded.end(), folded.begin(),
                     [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; });
    } else {
      folded = FoldCase(word);
    }
    if (IsStopword(folded)) continue;
    terms.push_back(Stem(std::move(folded)));
  }
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

bool Contains(const std::vector<std::string>& sorted, const std::string& term) {
  return std::binary_search(sorted.begin(), sorted.end(), term);
}

// Collapses whitespace runs to one space and drops a leading list bullet.
std::string CleanSentence(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  bool space = false;
  for (char c : raw) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  for (std::string_view bullet : {"- ", "* ", "\u2022 ", "\u00b7 ", "\u2013 "}) {
    if (out.starts_with(bullet)) return out.substr(bullet.size());
  }
  return out;
}

int CountWords(std::string_view text, WordSegmenter& seg) {
  int words = 0;
  seg.Reset(text);
  for (WordSegment s; seg.Next(s);) words += s.is_word() ? 1 : 0;
  return words;
}

// The prefix of `text` holding its first `max_words` words.
std::string FirstWords(const std::string& text, int max_words, WordSegmenter& seg) {
  int words = 0;
  seg.Reset(text);
  for (WordSegment s; seg.Next(s);) {
    if (s.is_word() && ++words == max_words) return text.substr(0, s.range.end);
  }
  return text;
}

struct Candidate {
  int source = 0;    // index into request.sources
  int position = 0;  // sentence index inside the source
  std::string text;
  std::vector<std::string> terms;
  int words = 0;
  bool label = false;  // a heading or a question: never quoted
  double coverage = 0;
  double score = 0;
};

double Jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> common;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));
  const size_t all = a.size() + b.size() - common.size();
  return all == 0 ? 1.0 : double(common.size()) / double(all);
}

class ExtractiveProvider final : public LlmProvider {
 public:
  explicit ExtractiveProvider(const ExtractiveOptions& options) : options_(options) {}

  std::string name() const override { return "extractive"; }

  StatusOr<LlmResult> Generate(const LlmRequest& request, const DeltaSink& on_delta) override {
    std::string question = request.question;
    for (auto m = request.messages.rbegin(); question.empty() && m != request.messages.rend();
         ++m) {
      if (m->role == LlmMessage::Role::kUser) question = m->text;
    }
    const int max_tokens = request.generation.max_tokens > 0 ? request.generation.max_tokens
                                                             : std::numeric_limits<int>::max();
    std::vector<std::string> pieces = Answer(question, request.sources, max_tokens);
    if (pieces.empty()) pieces.emplace_back(kExtractiveNoAnswer);

    LlmResult result;
    result.stop_reason = "end_turn";
    int64_t tokens = 0;
    for (size_t p = 0; p < pieces.size(); ++p) {
      std::string_view piece = pieces[p];
      // Word by word: each delta is a word with the spaces after it.
      for (size_t i = 0; i < piece.size();) {
        size_t j = piece.find(' ', i);
        j = j == std::string_view::npos ? piece.size() : piece.find_first_not_of(' ', j);
        if (j == std::string_view::npos) j = piece.size();
        std::string delta(piece.substr(i, j - i));
        if (j == piece.size() && p + 1 < pieces.size()) delta += ' ';
        const int delta_tokens = CountTokens(delta);
        if (tokens + delta_tokens > max_tokens) {
          result.stop_reason = "max_tokens";
          break;
        }
        if (on_delta && !on_delta(delta))
          return CancelledError("extractive answer cancelled by the client");
        result.text += delta;
        tokens += delta_tokens;
        i = j;
      }
      if (result.stop_reason != "end_turn") break;
    }
    result.usage.input_tokens = CountTokens(question);
    for (const SourcePassage& s : request.sources) result.usage.input_tokens += CountTokens(s.text);
    result.usage.output_tokens = CountTokens(result.text);
    return result;
  }

 private:
  // The answer's sentences, each with its citation, in answer order; empty when nothing
  // qualifies.
  std::vector<std::string> Answer(const std::string& question,
                                  const std::vector<SourcePassage>& sources, int max_tokens) const {
    WordSegmenter seg;
    const std::vector<std::string> asked = Terms(question, seg);
    if (asked.empty() || sources.empty()) return {};
    std::vector<Candidate> cands = Candidates(sources, seg);
    if (cands.empty()) return {};
    Score(asked, sources, cands, seg);

    std::vector<const Candidate*> ranked;
    for (const Candidate& c : cands) {
      if (!c.label && c.words > 0 && c.coverage >= options_.min_coverage) ranked.push_back(&c);
    }
    std::sort(ranked.begin(), ranked.end(), [](const Candidate* a, const Candidate* b) {
      if (a->score != b->score) return a->score > b->score;
      if (a->source != b->source) return a->source < b->source;
      return a->position < b->position;
    });
    if (ranked.empty()) return {};

    struct Pick {
      const Candidate* c;
      std::string piece;
    };
    std::vector<Pick> picks;
    int words = 0, tokens = 0;
    for (const Candidate* c : ranked) {
      if (static_cast<int>(picks.size()) >= options_.max_sentences) break;
      if (!picks.empty() && c->score < options_.relative_cutoff * ranked.front()->score) break;
      const bool duplicate = std::any_of(picks.begin(), picks.end(), [c](const Pick& p) {
        return p.c->text == c->text || Jaccard(p.c->terms, c->terms) >= 0.8;
      });
      if (duplicate) continue;
      std::string text = c->text;
      int w = c->words;
      if (picks.empty() && w > options_.max_words) {
        text = FirstWords(text, options_.max_words, seg);
        w = options_.max_words;
      }
      std::string piece = text + " [" + std::to_string(sources[c->source].number) + "]";
      const int t = CountTokens(piece);
      if (!picks.empty() && (words + w > options_.max_words || tokens + t > max_tokens)) continue;
      words += w;
      tokens += t;
      picks.push_back({c, std::move(piece)});
    }
    // Group by source (groups by their best pick, which comes first in `picks`), then document
    // order inside a group.
    std::vector<int> group_rank(sources.size(), -1);
    for (size_t i = 0; i < picks.size(); ++i) {
      int& g = group_rank[picks[i].c->source];
      if (g < 0) g = static_cast<int>(i);
    }
    std::stable_sort(picks.begin(), picks.end(), [&](const Pick& a, const Pick& b) {
      const int ga = group_rank[a.c->source], gb = group_rank[b.c->source];
      return ga != gb ? ga < gb : a.c->position < b.c->position;
    });
    std::vector<std::string> pieces;
    for (Pick& p : picks) pieces.push_back(std::move(p.piece));
    return pieces;
  }

  static std::vector<Candidate> Candidates(const std::vector<SourcePassage>& sources,
                                           WordSegmenter& seg) {
    std::vector<Candidate> cands;
    for (size_t i = 0; i < sources.size(); ++i) {
      const SourcePassage& src = sources[i];
      std::vector<std::string> headings = src.heading_path;
      headings.push_back(src.title);
      for (std::string& h : headings) h = CleanSentence(h);
      int position = 0;
      for (const ByteRange& r : SplitSentences(src.text)) {
        Candidate c;
        c.source = static_cast<int>(i);
        c.position = position++;
        c.text = CleanSentence(std::string_view(src.text).substr(r.begin, r.size()));
        if (c.text.empty()) continue;
        c.terms = Terms(c.text, seg);
        c.words = CountWords(c.text, seg);
        c.label = c.text.ends_with("?") || c.text.ends_with("\uff1f") ||
                  std::find(headings.begin(), headings.end(), c.text) != headings.end();
        cands.push_back(std::move(c));
      }
    }
    return cands;
  }

  static void Score(const std::vector<std::string>& asked,
                    const std::vector<SourcePassage>& sources, std::vector<Candidate>& cands,
                    WordSegmenter& seg) {
    const double n = static_cast<double>(cands.size());
    std::vector<double> idf;
    double total = 0;
    for (const std::string& t : asked) {
      double df = 0;
      for (const Candidate& c : cands) df += Contains(c.terms, t) ? 1 : 0;
      idf.push_back(std::log(1 + (n - df + 0.5) / (df + 0.5)));
      total += idf.back();
    }
    std::vector<std::vector<std::string>> context;  // title and headings of each source
    for (const SourcePassage& s : sources) {
      std::string text = s.title;
      for (const std::string& h : s.heading_path) text += "\n" + h;
      context.push_back(Terms(text, seg));
    }
    double carried = 0;  // coverage a heading or question passes to the sentence after it
    for (size_t k = 0; k < cands.size(); ++k) {
      Candidate& c = cands[k];
      if (k > 0 && cands[k - 1].source != c.source) carried = 0;
      double matched = 0;
      for (size_t q = 0; q < asked.size(); ++q) {
        if (Contains(c.terms, asked[q])) {
          matched += idf[q];
        } else if (Contains(context[c.source], asked[q])) {
          matched += 0.5 * idf[q];
        }
      }
      c.coverage = matched / total;
      if (c.label) {
        carried = std::max(carried, c.coverage) * 0.8;
        continue;
      }
      c.coverage = std::max(c.coverage, carried);
      carried = 0;
      const double length = c.words < 4 ? 0.7 : c.words > 60 ? 0.8 : 1.0;
      c.score = c.coverage * length * (1 + 0.15 / (c.source + 1));
    }
  }

  const ExtractiveOptions options_;
};

}  // namespace

std::unique_ptr<LlmProvider> NewExtractiveProvider(const ExtractiveOptions& options) {
  return std::make_unique<ExtractiveProvider>(options);
}

}  // namespace ragd
