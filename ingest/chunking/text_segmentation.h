// Sentence and word segmentation of UTF-8 text (ICU), shared by the chunker and the extractive
// answerer.
//
// All offsets are byte offsets into the text that was passed in. Input is UTF-8; invalid byte
// sequences are read as U+FFFD (ICU's UText rules), never crash and never produce a boundary
// inside a valid multi-byte character. Results depend only on the text: ICU's root rules are used,
// never the process or user locale.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ragd {

struct ByteRange {
  int64_t begin = 0;
  int64_t end = 0;  // exclusive
  int64_t size() const { return end - begin; }
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

// Sentences of `text` in order: UAX #29 sentence boundaries (ICU root rules, which also break after
// every line feed), except that a break directly after a common abbreviation ("Dr.", "Mr.", "e.g.",
// "i.e.", "vs.", "No.", single-letter initials like "J. Smith", ...) is ignored, because ICU's own
// suppression lists are per locale and miss most of these. Each range is trimmed of surrounding
// whitespace; whitespace-only sentences are dropped. Thread-safe (per-thread ICU iterators).
std::vector<ByteRange> SplitSentences(std::string_view text);

// Trims Unicode whitespace (White_Space property, including NBSP and ideographic space) from both
// ends of text[range].
ByteRange TrimWhitespace(std::string_view text, ByteRange range);

// A run between two ICU word boundaries.
struct WordSegment {
  enum class Kind { kSpace, kPunctuation, kNumber, kLetter, kKana, kIdeographic };
  ByteRange range;
  Kind kind = Kind::kSpace;
  bool is_word() const { return kind >= Kind::kNumber; }
};

// Iterates the UAX #29 word segments of a text (dictionary-based for CJK and Thai). Reusable:
// Reset() on a new text is cheap. Not thread-safe; use one per thread.
class WordSegmenter {
 public:
  WordSegmenter();
  ~WordSegmenter();
  WordSegmenter(const WordSegmenter&) = delete;
  WordSegmenter& operator=(const WordSegmenter&) = delete;

  // `text` must stay alive until iteration ends or the next Reset().
  void Reset(std::string_view text);
  // The next segment, or false at the end.
  bool Next(WordSegment& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Case-folded (Unicode full case folding) copy of `text`, for matching terms. Invalid UTF-8 bytes
// become U+FFFD.
std::string FoldCase(std::string_view text);

// Number of code points in `text`; each invalid byte counts as one.
int64_t CountCodePoints(std::string_view text);

}  // namespace ragd
