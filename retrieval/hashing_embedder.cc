#include "retrieval/hashing_embedder.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <unordered_map>

namespace ragd {
namespace {

constexpr float kUnigramWeight = 1.0f;
constexpr float kStopwordWeight = 0.2f;
constexpr float kBigramWeight = 0.5f;
constexpr float kStopBigramWeight = 0.2f;
// The trigrams of one word share this much weight (L2), however long the word is.
constexpr float kTrigramMass = 1.0f;

// Common English function words (case-folded), sorted for binary search.
constexpr std::string_view kStopwords[] = {
    "a",      "about", "all",  "am",    "an",    "and",  "any",  "are",   "as",    "at",    "be",
    "been",   "but",   "by",   "can",   "could", "did",  "do",   "does",  "for",   "from",  "had",
    "has",    "have",  "he",   "her",   "his",   "how",  "i",    "if",    "in",    "into",  "is",
    "it",     "its",   "me",   "my",    "no",    "not",  "of",   "on",    "or",    "our",   "she",
    "should", "so",    "that", "the",   "their", "them", "then", "there", "these", "they",  "this",
    "those",  "to",    "us",   "was",   "we",    "were", "what", "when",  "where", "which", "who",
    "why",    "will",  "with", "would", "you",   "your",
};

static_assert(std::is_sorted(std::begin(kStopwords), std::end(kStopwords)));

bool IsStopword(std::string_view word) {
  return std::binary_search(std::begin(kStopwords), std::end(kStopwords), word);
}

// FNV-1a over a feature kind byte and the feature's UTF-8, then a splitmix64 finaliser so that
// both the bucket (low bits) and the sign (top bit) are well mixed.
uint64_t HashFeature(char kind, std::string_view a, std::string_view b = {}) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto add = [&h](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ull;
  };
  add(static_cast<unsigned char>(kind));
  for (unsigned char c : a) add(c);
  if (!b.empty()) {
    add(0xff);  // never part of UTF-8: keeps ("ab","c") apart from ("a","bc")
    for (unsigned char c : b) add(c);
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

bool IsWordChar(UChar32 c) {
  if (u_isalnum(c)) return true;
  const int8_t type = u_charType(c);
  return type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK || type == U_ENCLOSING_MARK;
}

bool IsStandaloneChar(UChar32 c) {
  return u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC) || ublock_getCode(c) == UBLOCK_HIRAGANA ||
         ublock_getCode(c) == UBLOCK_KATAKANA;
}

std::string ToUtf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

// Words of the NFKC-case-folded text, as UTF-8.
std::vector<std::string> Words(std::string_view text) {
  icu::UnicodeString source = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* folding = icu::Normalizer2::getNFKCCasefoldInstance(error);
  icu::UnicodeString folded;
  if (U_SUCCESS(error)) folded = folding->normalize(source, error);
  if (U_FAILURE(error)) folded = source.foldCase();

  std::vector<std::string> words;
  icu::UnicodeString word;
  auto flush = [&] {
    if (!word.isEmpty()) words.push_back(ToUtf8(word));
    word.remove();
  };
  for (int32_t i = 0; i < folded.length(); i = folded.moveIndex32(i, 1)) {
    const UChar32 c = folded.char32At(i);
    if (IsStandaloneChar(c)) {
      flush();
      word.append(c);
      flush();
    } else if (IsWordChar(c)) {
      word.append(c);
    } else {
      flush();
    }
  }
  flush();
  return words;
}

class HashingEmbedder : public Embedder {
 public:
  explicit HashingEmbedder(int dim) : dim_(std::max(dim, 1)) {}

  std::string id() const override { return "hashing-" + std::to_string(dim_); }
  int dim() const override { return dim_; }
  int max_batch() const override { return 1024; }

  StatusOr<std::vector<float>> Embed(std::span<const std::string> texts,
                                     EmbedPurpose /*purpose*/) override {
    std::vector<float> out(texts.size() * size_t(dim_), 0.0f);
    for (size_t i = 0; i < texts.size(); ++i) EmbedOne(texts[i], out.data() + i * dim_);
    NormalizeRows(out, dim_);
    return out;
  }

 private:
  struct Feature {
    float weight = 0;
    int count = 0;
  };

  void EmbedOne(std::string_view text, float* row) const {
    const std::vector<std::string> words = Words(text);
    std::unordered_map<uint64_t, Feature> features;
    auto add = [&features](uint64_t hash, float weight) {
      Feature& f = features[hash];
      f.weight = std::max(f.weight, weight);
      ++f.count;
    };
    std::vector<bool> stop(words.size());
    for (size_t i = 0; i < words.size(); ++i) {
      stop[i] = IsStopword(words[i]);
      add(HashFeature('w', words[i]), stop[i] ? kStopwordWeight : kUnigramWeight);
      if (i > 0 && !(stop[i] && stop[i - 1])) {
        add(HashFeature('b', words[i - 1], words[i]),
            stop[i] || stop[i - 1] ? kStopBigramWeight : kBigramWeight);
      }
      if (!stop[i]) AddTrigrams(words[i], add);
    }
    if (words.empty()) add(HashFeature('e', {}), 1.0f);
    // Accumulate in hash order: the map's iteration order depends on the standard library, and
    // colliding features must add up in the same order everywhere.
    std::vector<std::pair<uint64_t, Feature>> ordered(features.begin(), features.end());
    std::sort(ordered.begin(), ordered.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [hash, f] : ordered) {
      const float value = f.weight * (1.0f + std::log(float(f.count)));
      row[hash % uint64_t(dim_)] += (hash >> 63) ? -value : value;
    }
  }

  template <typename Add>
  static void AddTrigrams(const std::string& word, Add& add) {
    // Code point boundaries of "<word>" so that trigrams never split a UTF-8 sequence.
    const std::string marked = "<" + word + ">";
    std::vector<size_t> starts;
    for (size_t i = 0; i < marked.size(); ++i) {
      if ((static_cast<unsigned char>(marked[i]) & 0xC0) != 0x80) starts.push_back(i);
    }
    starts.push_back(marked.size());
    if (starts.size() < 5) return;  // a one-letter word: its unigram says it all
    const size_t count = starts.size() - 3;
    const float weight = kTrigramMass / std::sqrt(float(count));
    for (size_t i = 0; i < count; ++i) {
      add(HashFeature('t', std::string_view(marked).substr(starts[i], starts[i + 3] - starts[i])),
          weight);
    }
  }

  const int dim_;
};

}  // namespace

std::unique_ptr<Embedder> NewHashingEmbedder(int dim) {
  return std::make_unique<HashingEmbedder>(dim);
}

}  // namespace ragd
