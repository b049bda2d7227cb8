#include "ingest/chunking/packing.h"

#include <unicode/utf8.h>

#include "ingest/chunking/chunker.h"
#include "ingest/chunking/text_segmentation.h"

namespace ragd::chunking {
namespace {

class UnitBuilder {
 public:
  UnitBuilder(std::vector<Unit>& out, int max_unit_tokens)
      : out_(out), max_(std::max(1, max_unit_tokens)) {}

  // Adds text[range] (a block's text; `base` is the block's offset in the document text).
  void AddBlock(std::string_view text, int64_t base, int block, const TextBlock& meta) {
    text_ = text;
    base_ = base;
    block_ = block;
    heading_ = meta.kind == TextBlock::Kind::kHeading;
    record_ = meta.kind == TextBlock::Kind::kRecord;
    const size_t before = out_.size();
    const bool whole = heading_ || record_ || meta.kind == TextBlock::Kind::kTableRow;
    const ByteRange all = TrimWhitespace(text, {0, static_cast<int64_t>(text.size())});
    if (all.size() == 0) return;
    if (whole && CountTokens(Slice(all)) <= max_) {
      Push(all, CountTokens(Slice(all)), Unit::Break::kSentence);
    } else {
      for (const ByteRange& sentence : SplitSentences(text)) AddSentence(sentence);
    }
    if (out_.size() > before) out_.back().after = Unit::Break::kBlock;
  }

 private:
  std::string_view Slice(ByteRange r) const { return text_.substr(r.begin, r.size()); }

  void Push(ByteRange r, int tokens, Unit::Break after) {
    if (tokens <= 0) return;
    out_.push_back({base_ + r.begin, base_ + r.end, tokens, block_, after, heading_, record_});
  }

  void AddSentence(ByteRange sentence) {
    const int tokens = CountTokens(Slice(sentence));
    if (tokens <= max_) {
      Push(sentence, tokens, Unit::Break::kSentence);
      return;
    }
    // A giant sentence: one unit per word, with its trailing punctuation and spaces. Punctuation
    // after a space opens the next word ("(see"), and adjacent words (CJK) are separate units.
    const size_t before = out_.size();
    words_.Reset(Slice(sentence));
    WordSegment seg;
    int64_t group = 0;
    bool prev_space = false, prev_word = false, first = true;
    while (words_.Next(seg)) {
      const bool space = seg.kind == WordSegment::Kind::kSpace;
      const bool starts = !first && !space && (prev_space || (prev_word && seg.is_word()));
      if (starts) {
        AddWord({sentence.begin + group, sentence.begin + seg.range.begin});
        group = seg.range.begin;
      }
      prev_space = space;
      prev_word = seg.is_word();
      first = false;
    }
    AddWord({sentence.begin + group, sentence.end});
    if (out_.size() > before) out_.back().after = Unit::Break::kSentence;
  }

  void AddWord(ByteRange range) {
    const ByteRange word = TrimWhitespace(text_, range);
    if (word.size() == 0) return;
    const int tokens = CountTokens(Slice(word));
    if (tokens <= max_) {
      Push(word, tokens, Unit::Break::kWord);
      return;
    }
    // A "word" over the budget (base64, a URL, a run of symbols): a token never spans more than
    // one code point's worth of the budget, so pieces of max_ code points fit.
    const auto* s = reinterpret_cast<const uint8_t*>(text_.data());
    int64_t piece = word.begin;
    int64_t i = word.begin;
    int count = 0;
    while (i < word.end) {
      UChar32 c;
      U8_NEXT(s, i, word.end, c);
      if (++count == max_ || i == word.end) {
        const ByteRange r = TrimWhitespace(text_, {piece, i});
        if (r.size() > 0) Push(r, CountTokens(Slice(r)), Unit::Break::kWord);
        piece = i;
        count = 0;
      }
    }
  }

  std::vector<Unit>& out_;
  const int max_;
  WordSegmenter words_;
  std::string_view text_;
  int64_t base_ = 0;
  int block_ = 0;
  bool heading_ = false;
  bool record_ = false;
};

// Compares the section paths (heading_path, plus the block's own text for a heading).
bool SameSectionPath(const TextBlock& a, const TextBlock& b) {
  const bool ah = a.kind == TextBlock::Kind::kHeading;
  const bool bh = b.kind == TextBlock::Kind::kHeading;
  const size_t na = a.heading_path.size() + (ah ? 1 : 0);
  const size_t nb = b.heading_path.size() + (bh ? 1 : 0);
  if (na != nb) return false;
  for (size_t i = 0; i < na; ++i) {
    const std::string& x = i < a.heading_path.size() ? a.heading_path[i] : a.text;
    const std::string& y = i < b.heading_path.size() ? b.heading_path[i] : b.text;
    if (x != y) return false;
  }
  return true;
}

// Where a chunk that stopped before unit `stop` (holding `fill` tokens from `start`) should end:
// the last block boundary keeping it at least half full, else the last sentence boundary that
// does, else `stop`. The chunk keeps at least one unit after `fresh` (the first non-overlap unit).
size_t ChooseCut(const std::vector<Unit>& units, size_t fresh, size_t stop, int64_t fill,
                 int budget) {
  size_t sentence_cut = 0;
  for (size_t p = stop; p > fresh && fill * 2 >= budget; --p) {
    const Unit::Break b = units[p - 1].after;
    if (b == Unit::Break::kBlock) return p;
    if (b == Unit::Break::kSentence && sentence_cut == 0) sentence_cut = p;
    fill -= units[p - 1].tokens;
  }
  return sentence_cut != 0 ? sentence_cut : stop;
}

}  // namespace

std::vector<Unit> BuildUnits(const ParsedDocument& doc, const std::vector<int64_t>& block_offsets,
                             int max_unit_tokens) {
  std::vector<Unit> units;
  UnitBuilder builder(units, max_unit_tokens);
  for (size_t b = 0; b < doc.blocks.size(); ++b) {
    builder.AddBlock(doc.blocks[b].text, block_offsets[b], static_cast<int>(b), doc.blocks[b]);
  }
  return units;
}

std::vector<int> SectionIds(const ParsedDocument& doc) {
  std::vector<int> ids(doc.blocks.size(), 0);
  int id = 0;
  for (size_t b = 1; b < doc.blocks.size(); ++b) {
    const TextBlock& block = doc.blocks[b];
    if (block.kind == TextBlock::Kind::kHeading || !SameSectionPath(block, doc.blocks[b - 1])) ++id;
    ids[b] = id;
  }
  return ids;
}

std::vector<UnitSpan> PackUnits(const std::vector<Unit>& units, size_t first, size_t last,
                                const std::vector<int>& section_of_block,
                                const PackLimits& limits) {
  std::vector<UnitSpan> spans;
  auto section = [&](size_t u) { return section_of_block[units[u].block]; };
  size_t start = first;  // first unit of the chunk being built (overlap included)
  size_t fresh = first;  // first unit that was not in the previous chunk
  while (fresh < last) {
    int64_t fill = 0;
    bool has_body = false;
    bool section_change = false;
    size_t stop = start;
    for (; stop < last; ++stop) {
      const Unit& u = units[stop];
      if (stop > fresh && has_body && section(stop) != section(stop - 1)) {
        section_change = true;
        break;
      }
      if (stop > fresh && fill + u.tokens > limits.budget) break;
      fill += u.tokens;
      has_body |= !u.heading;
    }
    const size_t end = (stop < last && !section_change)
                           ? ChooseCut(units, fresh, stop, fill, limits.budget)
                           : stop;
    spans.push_back({start, end});
    if (end >= last) break;

    // Overlap: whole units from the end of this chunk, same section as the next unit, never a
    // heading or a record, never the whole chunk, leaving room for the next unit.
    size_t next = end;
    int64_t carried = 0;
    while (limits.overlap > 0 && next - 1 > start) {
      const Unit& u = units[next - 1];
      if (u.heading || u.record || section(next - 1) != section(end) ||
          carried + u.tokens > limits.overlap) {
        break;
      }
      carried += u.tokens;
      --next;
    }
    while (next < end && carried + units[end].tokens > limits.budget)
      carried -= units[next++].tokens;
    start = next;
    fresh = end;
  }
  return spans;
}

}  // namespace ragd::chunking
