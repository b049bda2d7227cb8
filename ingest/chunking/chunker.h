// Chunking: ParsedDocument -> ChunkSet (ingest/chunk.h).
//
// Offsets. Every chunk's [char_begin, char_end) is a byte range of DocumentText(doc), trimmed of
// whitespace, and chunk.text is exactly that range, except that chunks of CSV records start with
// the CSV header line and a "\n" (see below). Headings are part of the document text, so a chunk
// that starts a section starts with its heading and reads well on its own.
//
// kFixedSize. The text is cut into units: sentences (text_segmentation.h: ICU sentence boundaries
// plus a list of abbreviations that never end a sentence), whole blocks for headings, table rows
// and CSV records, and words (ICU word boundaries, so CJK text without spaces is cut between
// words) for a sentence longer than the budget. Units are packed greedily up to max_tokens. When
// the next unit does not fit, the chunk ends at the last paragraph (block) boundary that keeps it
// at least half full, else at the last sentence boundary that does, else where it stopped; so a
// chunk never ends mid-word and ends mid-sentence only inside a sentence longer than the budget.
// The next chunk starts with up to overlap_percentage% of max_tokens carried over from the end of
// the previous one, as whole units (sentences, or words inside a giant sentence).
// Sections: a chunk never spans a heading change. A heading block (or a block whose heading path
// differs from the previous block's) starts a new chunk as soon as the current chunk holds any
// non-heading text, with no overlap across the change; consecutive headings ("Chapter 2",
// "2.1 Setup") stay together with the text that follows them. Short sections therefore make short
// chunks: a FAQ entry is one chunk, which is what retrieval wants.
// Metadata: page_start/page_end are the smallest/largest page of the blocks the chunk touches;
// heading_path is the path of the chunk's section: the first block's heading_path, plus the
// block's own text when it is a heading (for a chunk opening with several headings, the last of
// them: "Warranty", "Coverage", text -> {"Warranty", "Coverage"}).
//
// kHierarchical. Parents are packed like kFixedSize with max_parent_tokens and no overlap;
// inside each parent, children are packed with max_child_tokens and overlap_tokens (never crossing
// the parent). ChunkSet::chunks holds the children, each with `parent` indexing ChunkSet::parents.
//
// kNone. One chunk per page for paged documents (any block with page > 0), else one chunk for the
// whole document; no token limit (an embedder sees only its first tokens).
//
// CSV. Records (TextBlock::Kind::kRecord) are never split unless a single record exceeds the
// budget, are never carried over as overlap (a record stands alone), and when the document has a
// CSV header (ParsedDocument::csv_header) every chunk holding a record starts with "<header>\n";
// the header's tokens count towards the budget (a header is never given more than half of it).
//
// token_count is the sum of the counts of the chunk's units (plus the CSV header's), which is what
// the budget bounds; it equals CountTokens(text) except where ICU segments the join of two units
// differently from the units alone (malformed UTF-8, Thai-like dictionary scripts): off by a token.
//
// Degenerate input: whitespace-only documents give zero chunks; chunks are never empty; invalid
// UTF-8 is read as U+FFFD (never crashes; chunk text keeps the original bytes). Time and memory are
// linear in the document size.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "ingest/chunk.h"
#include "ingest/document.h"

namespace ragd {

struct ChunkingConfig {
  enum class Strategy { kFixedSize, kHierarchical, kNone };
  Strategy strategy = Strategy::kFixedSize;
  int max_tokens = 300;          // kFixedSize: 20..8192
  int overlap_percentage = 20;   // kFixedSize: 0..50, of max_tokens
  int max_parent_tokens = 1500;  // kHierarchical: 40..32768
  int max_child_tokens = 300;    // kHierarchical: 20..8192 and less than max_parent_tokens
  int overlap_tokens = 60;       // kHierarchical: 0..max_child_tokens/2
};

// OK, or UnprocessableError(field, message) naming the first bad field by its name above
// (e.g. "max_tokens: must be between 20 and 8192"). All fields are checked whatever the strategy.
Status ValidateChunkingConfig(const ChunkingConfig& config);

// The text chunk offsets refer to: the blocks' text joined by "\n\n".
std::string DocumentText(const ParsedDocument& doc);

// A deterministic estimate of LLM (BPE / sentencepiece) tokens, used for every budget in ragd.
// Text is split at ICU word boundaries; then
//   - whitespace: 0;
//   - punctuation and symbols: 1 per segment (ICU gives one segment per mark; an emoji is one);
//   - Latin, Greek, Cyrillic and Armenian words: 1 up to 6 code points, plus 1 per further 5
//     ("the" 1, "returns" 2, "information" 2, "internationalization" 4), since subword
//     vocabularies keep common short words whole and cut long ones;
//   - numbers: 1 per 3 code points (digits are grouped in threes by current tokenizers);
//   - other letters (Arabic, Hebrew, Indic, Thai, Hangul, ...): 1 per 2 code points;
//   - kana and ideographs: 1 per code point.
// English prose comes out at about 1.3-1.4 tokens per word, close to GPT/Claude tokenizers and on
// the safe (high) side. Note that the USE-lite embedder (retrieval/) reads at most 128 of its own
// sentencepiece tokens (about 100 English words) and ignores the rest of a longer chunk, so its
// vectors describe the beginning of a 300-token chunk; BM25 still sees all of it.
// Additive at word boundaries: CountTokens(a + b) == CountTokens(a) + CountTokens(b) when a ends at
// a word boundary (except inside dictionary-segmented Thai/Lao/Khmer words). Thread-safe.
int CountTokens(std::string_view text);

// Cuts `doc` into chunks according to `config` (validated first: an invalid config returns its
// UnprocessableError). Thread-safe; `doc` is only read.
StatusOr<ChunkSet> ChunkDocument(const ParsedDocument& doc, const ChunkingConfig& config);

}  // namespace ragd
