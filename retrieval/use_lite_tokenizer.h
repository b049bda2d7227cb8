// The SentencePiece-unigram tokenizer of Universal Sentence Encoder Lite, ported from the TF.js
// package @tensorflow-models/universal-sentence-encoder (1.3.x) so that token ids match it
// exactly, including its quirks:
//   - input is NFKC-normalised; a non-empty result gets U+2581 prepended and every U+0020
//     replaced by U+2581 (no lower-casing); an empty result gives no tokens;
//   - the best segmentation maximises the sum of piece scores (Viterbi over code points). Ids
//     0..5 are reserved and never matched; a null score in vocab.json counts as 0 (JavaScript's
//     null + x); a duplicated piece keeps the last id; on ties the later start position wins;
//     a position no piece ends at keeps score 0, as in TF.js;
//   - a code point that starts no piece becomes id 0, and consecutive id-0 tokens merge into one.
//
// Thread safety: immutable after Load; Encode may be called concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace ragd {

class UseLiteTokenizer {
 public:
  // Parses vocab.json: a JSON list of [piece, score] pairs (id = position). NotFound if the file
  // is missing, DataLoss if it is not such a list.
  static StatusOr<UseLiteTokenizer> Load(const std::filesystem::path& vocab_json);
  // Same, from the file's content.
  static StatusOr<UseLiteTokenizer> FromJson(std::string_view vocab_json);

  // Token ids of `text` (any bytes; invalid UTF-8 becomes U+FFFD). Not clipped: the model uses
  // the first kMaxTokens.
  std::vector<int32_t> Encode(std::string_view text) const;

  int vocab_size() const { return static_cast<int>(pieces_.size()); }

 private:
  struct Piece {
    double score = 0;
    int32_t utf16_length = 0;  // TF.js steps back by the piece string's .length
  };
  // Trie over code points: node 0 is the root; an edge is (parent << 21 | code point).
  int32_t Child(int32_t node, char32_t cp) const;

  std::vector<Piece> pieces_;
  std::unordered_map<uint64_t, int32_t> edges_;
  std::vector<int32_t> node_piece_;  // piece id ending at a node, or -1
};

}  // namespace ragd
