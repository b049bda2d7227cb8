#include "ingest/chunking/chunker.h"

#include <algorithm>
#include <limits>
#include <string>

#include "ingest/chunking/packing.h"
#include "ingest/chunking/text_segmentation.h"

namespace ragd {
namespace {

using chunking::Unit;
using chunking::UnitSpan;

constexpr std::string_view kBlockSeparator = "\n\n";

Status CheckRange(std::string_view field, int value, int low, int high) {
  if (value >= low && value <= high) return OkStatus();
  return UnprocessableError(field, "must be between " + std::to_string(low) + " and " +
                                       std::to_string(high) + " (got " + std::to_string(value) +
                                       ")");
}

// Everything the chunk builders share for one document.
struct DocContext {
  const ParsedDocument& doc;
  std::string text;                    // DocumentText(doc)
  std::vector<int64_t> block_offsets;  // where each block starts in `text`
  std::vector<int> sections;           // chunking::SectionIds(doc)
  std::string_view csv_header;
  int csv_header_tokens = 0;
};

// Blocks joined by kBlockSeparator; offsets[i] is where block i starts.
std::string JoinBlocks(const ParsedDocument& doc, std::vector<int64_t>& offsets) {
  size_t size = 0;
  for (const TextBlock& b : doc.blocks) size += b.text.size() + kBlockSeparator.size();
  std::string text;
  text.reserve(size);
  offsets.clear();
  offsets.reserve(doc.blocks.size());
  for (const TextBlock& b : doc.blocks) {
    if (!offsets.empty()) text += kBlockSeparator;
    offsets.push_back(static_cast<int64_t>(text.size()));
    text += b.text;
  }
  return text;
}

DocContext MakeContext(const ParsedDocument& doc) {
  DocContext ctx{doc, {}, {}, chunking::SectionIds(doc), doc.csv_header, 0};
  ctx.text = JoinBlocks(doc, ctx.block_offsets);
  ctx.csv_header =
      TrimWhitespace(ctx.csv_header, {0, static_cast<int64_t>(ctx.csv_header.size())}).size() > 0
          ? ctx.csv_header
          : std::string_view();
  if (!ctx.csv_header.empty()) ctx.csv_header_tokens = CountTokens(ctx.csv_header);
  return ctx;
}

std::vector<std::string> SectionPath(const TextBlock& block) {
  std::vector<std::string> path = block.heading_path;
  if (block.kind == TextBlock::Kind::kHeading) path.push_back(block.text);
  return path;
}

// A chunk for text[begin, end) covering blocks [first_block, last_block]. `body_tokens` is
// CountTokens of the range when the caller knows it (-1: count here).
Chunk MakeChunk(const DocContext& ctx, int64_t begin, int64_t end, int first_block, int last_block,
                int64_t body_tokens = -1) {
  Chunk chunk;
  chunk.char_begin = begin;
  chunk.char_end = end;
  bool has_record = false;
  chunk.page_start = std::numeric_limits<int>::max();
  for (int b = first_block; b <= last_block; ++b) {
    const TextBlock& block = ctx.doc.blocks[b];
    chunk.page_start = std::min(chunk.page_start, block.page);
    chunk.page_end = std::max(chunk.page_end, block.page);
    has_record |= block.kind == TextBlock::Kind::kRecord;
  }
  // A chunk opening with "Warranty" / "Coverage" / text is about Warranty > Coverage.
  int section_block = first_block;
  while (section_block < last_block &&
         ctx.doc.blocks[section_block].kind == TextBlock::Kind::kHeading &&
         ctx.doc.blocks[section_block + 1].kind == TextBlock::Kind::kHeading) {
    ++section_block;
  }
  chunk.heading_path = SectionPath(ctx.doc.blocks[section_block]);
  const std::string_view body(ctx.text.data() + begin, end - begin);
  // A header the parser also kept as the first record is not repeated in front of itself.
  if (has_record && !ctx.csv_header.empty() && !body.starts_with(ctx.csv_header)) {
    chunk.text.reserve(ctx.csv_header.size() + 1 + body.size());
    chunk.text.append(ctx.csv_header).append("\n");
  }
  const bool prefixed = !chunk.text.empty();
  chunk.text.append(body);
  // Units are cut at word boundaries, so their counts add up to the count of the range; summing
  // them saves a second segmentation pass over every chunk.
  if (body_tokens < 0) body_tokens = CountTokens(body);
  chunk.token_count = static_cast<int>(body_tokens + (prefixed ? ctx.csv_header_tokens : 0));
  return chunk;
}

Chunk MakeChunk(const DocContext& ctx, const std::vector<Unit>& units, UnitSpan span) {
  const Unit& first = units[span.first];
  const Unit& last = units[span.last - 1];
  int64_t tokens = 0;
  for (size_t u = span.first; u < span.last; ++u) tokens += units[u].tokens;
  return MakeChunk(ctx, first.begin, last.end, first.block, last.block, tokens);
}

// The token budget of one chunk: the CSV header is repeated in every chunk, so it is paid for
// (but a header never takes more than half the budget).
int Budget(const DocContext& ctx, int max_tokens) {
  return std::max(max_tokens - ctx.csv_header_tokens, (max_tokens + 1) / 2);
}

ChunkSet ChunkFixed(const DocContext& ctx, const ChunkingConfig& config) {
  const int budget = Budget(ctx, config.max_tokens);
  const std::vector<Unit> units = chunking::BuildUnits(ctx.doc, ctx.block_offsets, budget);
  const chunking::PackLimits limits{budget, config.max_tokens * config.overlap_percentage / 100};
  ChunkSet set;
  for (const UnitSpan& span : chunking::PackUnits(units, 0, units.size(), ctx.sections, limits)) {
    set.chunks.push_back(MakeChunk(ctx, units, span));
  }
  return set;
}

ChunkSet ChunkHierarchical(const DocContext& ctx, const ChunkingConfig& config) {
  const int child_budget = Budget(ctx, config.max_child_tokens);
  const std::vector<Unit> units = chunking::BuildUnits(ctx.doc, ctx.block_offsets, child_budget);
  const chunking::PackLimits parent_limits{Budget(ctx, config.max_parent_tokens), 0};
  const chunking::PackLimits child_limits{child_budget, config.overlap_tokens};
  ChunkSet set;
  for (const UnitSpan& parent :
       chunking::PackUnits(units, 0, units.size(), ctx.sections, parent_limits)) {
    const int parent_index = static_cast<int>(set.parents.size());
    set.parents.push_back(MakeChunk(ctx, units, parent));
    for (const UnitSpan& child :
         chunking::PackUnits(units, parent.first, parent.last, ctx.sections, child_limits)) {
      set.chunks.push_back(MakeChunk(ctx, units, child));
      set.chunks.back().parent = parent_index;
    }
  }
  return set;
}

ChunkSet ChunkNone(const DocContext& ctx) {
  const std::vector<TextBlock>& blocks = ctx.doc.blocks;
  const bool paged =
      std::any_of(blocks.begin(), blocks.end(), [](const TextBlock& b) { return b.page > 0; });
  ChunkSet set;
  size_t b = 0;
  while (b < blocks.size()) {
    size_t e = b + 1;
    while (e < blocks.size() && (!paged || blocks[e].page == blocks[b].page)) ++e;
    // Blocks [b, e): trim to the first and last block with text.
    int first = -1, last = -1;
    int64_t begin = 0, end = 0;
    for (size_t i = b; i < e; ++i) {
      const int64_t off = ctx.block_offsets[i];
      const ByteRange r = TrimWhitespace(ctx.text, {off, off + int64_t(blocks[i].text.size())});
      if (r.size() == 0) continue;
      if (first < 0) first = static_cast<int>(i), begin = r.begin;
      last = static_cast<int>(i);
      end = r.end;
    }
    if (first >= 0) set.chunks.push_back(MakeChunk(ctx, begin, end, first, last));
    b = e;
  }
  return set;
}

}  // namespace

Status ValidateChunkingConfig(const ChunkingConfig& c) {
  using S = ChunkingConfig::Strategy;
  if (c.strategy != S::kFixedSize && c.strategy != S::kHierarchical && c.strategy != S::kNone) {
    return UnprocessableError("strategy", "must be fixed_size, hierarchical or none");
  }
  RAGD_RETURN_IF_ERROR(CheckRange("max_tokens", c.max_tokens, 20, 8192));
  RAGD_RETURN_IF_ERROR(CheckRange("overlap_percentage", c.overlap_percentage, 0, 50));
  RAGD_RETURN_IF_ERROR(CheckRange("max_parent_tokens", c.max_parent_tokens, 40, 32768));
  RAGD_RETURN_IF_ERROR(CheckRange("max_child_tokens", c.max_child_tokens, 20, 8192));
  if (c.max_child_tokens >= c.max_parent_tokens) {
    return UnprocessableError("max_child_tokens", "must be less than max_parent_tokens (" +
                                                      std::to_string(c.max_parent_tokens) + ")");
  }
  return CheckRange("overlap_tokens", c.overlap_tokens, 0, c.max_child_tokens / 2);
}

std::string DocumentText(const ParsedDocument& doc) {
  std::vector<int64_t> offsets;
  return JoinBlocks(doc, offsets);
}

StatusOr<ChunkSet> ChunkDocument(const ParsedDocument& doc, const ChunkingConfig& config) {
  RAGD_RETURN_IF_ERROR(ValidateChunkingConfig(config));
  const DocContext ctx = MakeContext(doc);
  switch (config.strategy) {
    case ChunkingConfig::Strategy::kFixedSize:
      return ChunkFixed(ctx, config);
    case ChunkingConfig::Strategy::kHierarchical:
      return ChunkHierarchical(ctx, config);
    case ChunkingConfig::Strategy::kNone:
      return ChunkNone(ctx);
  }
  return InternalError("unknown chunking strategy");
}

}  // namespace ragd
