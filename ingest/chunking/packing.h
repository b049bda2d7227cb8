// Internal to the chunker: cutting a document into units and packing units into chunks.
// See chunker.h for the policy these implement.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "ingest/document.h"

namespace ragd::chunking {

// A piece of the document text that is never split: a sentence, a whole heading / table row /
// record, or a word of a sentence longer than the budget.
struct Unit {
  enum class Break : uint8_t { kWord, kSentence, kBlock };  // what ends at this unit's end
  int64_t begin = 0;  // byte range in DocumentText, trimmed of whitespace, never empty
  int64_t end = 0;
  int tokens = 0;  // CountTokens of the range, > 0
  int block = 0;   // index into ParsedDocument::blocks
  Break after = Break::kSentence;
  bool heading = false;  // part of a heading block
  bool record = false;   // part of a CSV record
};

// The units of `doc` in order. `block_offsets[i]` is where block i starts in DocumentText.
// No unit has more than `max_unit_tokens` tokens (>= 1): longer sentences become words, longer
// words are cut every max_unit_tokens code points.
std::vector<Unit> BuildUnits(const ParsedDocument& doc, const std::vector<int64_t>& block_offsets,
                             int max_unit_tokens);

// Per block, a section number: it changes at every heading block and wherever a block's section
// path (heading_path, plus its own text for a heading) differs from the previous block's.
std::vector<int> SectionIds(const ParsedDocument& doc);

struct UnitSpan {
  size_t first = 0;  // [first, last) into the unit vector
  size_t last = 0;
};

struct PackLimits {
  int budget = 0;   // max tokens per chunk (sum of unit tokens)
  int overlap = 0;  // max tokens carried over from the previous chunk
};

// Packs units[first, last) into spans (see chunker.h). Every span is non-empty, holds at least one
// unit the previous span did not, and spans are in order. Linear in last - first.
std::vector<UnitSpan> PackUnits(const std::vector<Unit>& units, size_t first, size_t last,
                                const std::vector<int>& section_of_block, const PackLimits& limits);

}  // namespace ragd::chunking
