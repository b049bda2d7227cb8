// CountTokens (declared in chunker.h): the token estimate behind every budget.
#include <unicode/utf8.h>

#include <limits>

#include "ingest/chunking/chunker.h"
#include "ingest/chunking/text_segmentation.h"

namespace ragd {
namespace {

// Scripts whose words subword tokenizers handle like English: Latin, Greek, Cyrillic, Armenian
// (all below U+0590) and Latin Extended Additional / Greek Extended.
bool IsAlphabetLikeLatin(UChar32 c) { return c < 0x0590 || (c >= 0x1E00 && c <= 0x1FFF); }

int64_t WordTokens(std::string_view word, WordSegment::Kind kind) {
  const int64_t cps = CountCodePoints(word);
  switch (kind) {
    case WordSegment::Kind::kSpace:
      return 0;
    case WordSegment::Kind::kPunctuation:
      return 1;
    case WordSegment::Kind::kNumber:
      return (cps + 2) / 3;
    case WordSegment::Kind::kKana:
    case WordSegment::Kind::kIdeographic:
      return cps;
    case WordSegment::Kind::kLetter:
      break;
  }
  const auto* s = reinterpret_cast<const uint8_t*>(word.data());
  int32_t i = 0;
  UChar32 first;
  U8_NEXT(s, i, static_cast<int32_t>(std::min<size_t>(word.size(), 4)), first);
  if (first >= 0 && !IsAlphabetLikeLatin(first)) return (cps + 1) / 2;
  return cps <= 6 ? 1 : 1 + (cps - 6 + 4) / 5;
}

}  // namespace

int CountTokens(std::string_view text) {
  thread_local WordSegmenter segmenter;
  segmenter.Reset(text);
  WordSegment segment;
  int64_t total = 0;
  while (segmenter.Next(segment)) {
    total += WordTokens(text.substr(segment.range.begin, segment.range.size()), segment.kind);
  }
  return static_cast<int>(std::min<int64_t>(total, std::numeric_limits<int>::max()));
}

}  // namespace ragd
