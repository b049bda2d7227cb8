#include "retrieval/use_lite_tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ragd {
namespace {

constexpr int kReservedIds = 6;  // unk, <s>, </s>, three extra ids: never produced by matching
constexpr char32_t kWordBoundary = 0x2581;

// Code points of the TF.js pre-processed input: NFKC, then U+2581 in front and for every space.
std::vector<char32_t> PreprocessedSymbols(std::string_view text) {
  icu::UnicodeString source = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(error);
  icu::UnicodeString normalized;
  if (U_SUCCESS(error)) normalized = nfkc->normalize(source, error);
  if (U_FAILURE(error)) normalized = source;  // ICU data missing: tokenise unnormalised

  std::vector<char32_t> symbols;
  if (normalized.isEmpty()) return symbols;
  symbols.reserve(static_cast<size_t>(normalized.length()) + 1);
  symbols.push_back(kWordBoundary);
  for (int32_t i = 0; i < normalized.length(); i = normalized.moveIndex32(i, 1)) {
    const char32_t cp = static_cast<char32_t>(normalized.char32At(i));
    symbols.push_back(cp == U' ' ? kWordBoundary : cp);
  }
  return symbols;
}

}  // namespace

StatusOr<UseLiteTokenizer> UseLiteTokenizer::Load(const std::filesystem::path& vocab_json) {
  std::ifstream in(vocab_json, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + vocab_json.string());
  std::stringstream content;
  content << in.rdbuf();
  if (in.bad()) return DataLossError("cannot read " + vocab_json.string());
  auto tokenizer = FromJson(content.str());
  if (!tokenizer.ok()) return tokenizer.status().WithContext(vocab_json.string());
  return tokenizer;
}

StatusOr<UseLiteTokenizer> UseLiteTokenizer::FromJson(std::string_view vocab_json) {
  nlohmann::json vocab = nlohmann::json::parse(vocab_json, nullptr, /*allow_exceptions=*/false);
  if (!vocab.is_array() || vocab.size() <= kReservedIds) {
    return DataLossError("vocabulary is not a JSON list of [piece, score] pairs");
  }
  UseLiteTokenizer tokenizer;
  tokenizer.pieces_.resize(vocab.size());
  tokenizer.node_piece_.push_back(-1);  // root
  for (size_t id = 0; id < vocab.size(); ++id) {
    const nlohmann::json& entry = vocab[id];
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() ||
        !(entry[1].is_number() || entry[1].is_null())) {
      return DataLossError("vocabulary entry " + std::to_string(id) + " is not [piece, score]");
    }
    const std::string& text = entry[0].get_ref<const std::string&>();
    icu::UnicodeString piece = icu::UnicodeString::fromUTF8(
        icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
    Piece& info = tokenizer.pieces_[id];
    info.score = entry[1].is_null() ? 0.0 : entry[1].get<double>();
    info.utf16_length = std::max<int32_t>(1, piece.length());
    if (id < kReservedIds || piece.isEmpty()) continue;

    int32_t node = 0;
    for (int32_t i = 0; i < piece.length(); i = piece.moveIndex32(i, 1)) {
      const uint64_t edge = (uint64_t(node) << 21) | uint64_t(piece.char32At(i));
      auto [it, inserted] =
          tokenizer.edges_.emplace(edge, static_cast<int32_t>(tokenizer.node_piece_.size()));
      if (inserted) tokenizer.node_piece_.push_back(-1);
      node = it->second;
    }
    tokenizer.node_piece_[node] = static_cast<int32_t>(id);  // a duplicate piece keeps the last id
  }
  return tokenizer;
}

int32_t UseLiteTokenizer::Child(int32_t node, char32_t cp) const {
  auto it = edges_.find((uint64_t(node) << 21) | uint64_t(cp));
  return it == edges_.end() ? -1 : it->second;
}

std::vector<int32_t> UseLiteTokenizer::Encode(std::string_view text) const {
  const std::vector<char32_t> symbols = PreprocessedSymbols(text);
  const size_t n = symbols.size();
  if (n == 0) return {};

  // best[end] / words[end]: score and last piece of the best path over symbols[0, end). TF.js
  // relaxes each end position from start positions in ascending order and treats a score of 0 as
  // "unset"; relaxing forward from each start in ascending order visits the same pairs in the
  // same order.
  std::vector<double> best(n + 1, 0.0);
  std::vector<int32_t> words(n + 1, 0);
  auto relax = [&](size_t end, double score, int32_t id) {
    if (best[end] == 0.0 || score >= best[end]) {
      best[end] = score;
      words[end] = id;
    }
  };
  for (size_t start = 0; start < n; ++start) {
    bool matched = false;
    int32_t node = 0;
    for (size_t end = start + 1; end <= n; ++end) {
      node = Child(node, symbols[end - 1]);
      if (node < 0) break;
      const int32_t id = node_piece_[node];
      if (id < 0) continue;
      matched = true;
      relax(end, pieces_[id].score + best[start], id);
    }
    if (!matched) relax(start + 1, best[start], 0);  // unknown symbol: id 0, score 0
  }

  std::vector<int32_t> reversed;
  for (size_t at = n; at > 0;) {
    const int32_t id = words[at];
    if (!(id == 0 && !reversed.empty() && reversed.back() == 0)) reversed.push_back(id);
    const size_t step = static_cast<size_t>(pieces_[id].utf16_length);
    at = step >= at ? 0 : at - step;
  }
  std::reverse(reversed.begin(), reversed.end());
  return reversed;
}

}  // namespace ragd
