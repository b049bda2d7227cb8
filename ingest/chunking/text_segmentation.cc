#include "ingest/chunking/text_segmentation.h"

#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <iterator>

namespace ragd {
namespace {

// ICU break iterators report int32 positions; longer texts are segmented in slices of at most this
// many bytes, cut after a line feed when there is one (else at a code point boundary).
constexpr int64_t kMaxSlice = int64_t{1} << 30;

int64_t SliceEnd(std::string_view text, int64_t begin) {
  const int64_t size = static_cast<int64_t>(text.size());
  if (size - begin <= kMaxSlice) return size;
  int64_t end = begin + kMaxSlice;
  const int64_t newline = static_cast<int64_t>(text.rfind('\n', end - 1));
  if (newline != static_cast<int64_t>(std::string_view::npos) && newline > begin)
    return newline + 1;
  while (end > begin + 1 && U8_IS_TRAIL(static_cast<uint8_t>(text[end]))) --end;
  return end;
}

struct UTextCloser {
  void operator()(UText* ut) const { utext_close(ut); }
};
using UTextPtr = std::unique_ptr<UText, UTextCloser>;

// A break iterator bound to a UTF-8 view through a reusable UText (no copy, no UTF-16 conversion).
class Segmenter {
 public:
  explicit Segmenter(std::unique_ptr<icu::BreakIterator> it) : it_(std::move(it)) {}
  bool ok() const { return it_ != nullptr; }

  // Binds the iterator to text (at most kMaxSlice bytes); returns false if ICU refused.
  bool Bind(std::string_view text) {
    if (!it_) return false;
    UErrorCode status = U_ZERO_ERROR;
    ut_.reset(
        utext_openUTF8(ut_.release(), text.data(), static_cast<int64_t>(text.size()), &status));
    if (U_FAILURE(status)) return false;
    it_->setText(ut_.get(), status);
    return U_SUCCESS(status);
  }
  icu::BreakIterator& it() { return *it_; }

 private:
  std::unique_ptr<icu::BreakIterator> it_;
  UTextPtr ut_;
};

Segmenter& ThreadSentenceSegmenter() {
  thread_local Segmenter segmenter([] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> it(
        icu::BreakIterator::createSentenceInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) it.reset();
    return it;
  }());
  return segmenter;
}

// Tokens after which a sentence break is ignored. Kept short and unambiguous: words that often end
// a sentence ("etc.", "Inc.", "U.S.") are deliberately absent.
constexpr std::string_view kAbbreviations[] = {
    "Dr.",  "Mr.",   "Mrs.",  "Ms.",  "Mx.",  "Prof.", "Sr.",    "Jr.",  "St.",  "Mt.",  "Gen.",
    "Col.", "Capt.", "Lt.",   "Sgt.", "Rev.", "Hon.",  "e.g.",   "E.g.", "i.e.", "I.e.", "vs.",
    "cf.",  "Cf.",   "ca.",   "Ca.",  "No.",  "Nos.",  "Nr.",    "Vol.", "vol.", "pp.",  "Fig.",
    "fig.", "Figs.", "Eq.",   "Ch.",  "Sec.", "Art.",  "Ref.",   "Abb.", "z.B.", "bzw.", "ggf.",
    "Hr.",  "Mme.",  "Mlle.", "Sra.", "Dra.", "Ing.",  "approx."};

bool IsOpening(char c) {
  return c == ' ' || c == '\t' || c == '(' || c == '[' || c == '"' || c == '\'';
}

// True if the ICU break at `boundary` directly follows an abbreviation and only spaces or tabs
// separate the two (a line feed always ends a sentence).
bool IsAbbreviationBreak(std::string_view text, int64_t sentence_begin, int64_t boundary) {
  int64_t q = boundary;
  while (q > sentence_begin && (text[q - 1] == ' ' || text[q - 1] == '\t')) --q;
  if (q == boundary || q == sentence_begin || text[q - 1] != '.') return false;
  int64_t w = q - 1;
  while (w > sentence_begin && q - w < 10 && !IsOpening(text[w - 1])) --w;
  if (w > sentence_begin && !IsOpening(text[w - 1])) return false;
  const std::string_view token = text.substr(w, q - w);
  if (token.size() == 2 && token[0] >= 'A' && token[0] <= 'Z') return true;  // "J. Smith"
  return std::find(std::begin(kAbbreviations), std::end(kAbbreviations), token) !=
         std::end(kAbbreviations);
}

void SplitSlice(std::string_view all, int64_t offset, int64_t slice_end,
                std::vector<ByteRange>& out) {
  const std::string_view text = all.substr(offset, slice_end - offset);
  Segmenter& seg = ThreadSentenceSegmenter();
  const int64_t size = static_cast<int64_t>(text.size());
  auto emit = [&](int64_t b, int64_t e) {
    const ByteRange r = TrimWhitespace(all, {offset + b, offset + e});
    if (r.size() > 0) out.push_back(r);
  };
  if (!seg.Bind(text)) {  // no ICU data: one sentence per line
    int64_t b = 0;
    while (b < size) {
      const size_t nl = text.find('\n', b);
      const int64_t e = nl == std::string_view::npos ? size : static_cast<int64_t>(nl) + 1;
      emit(b, e);
      b = e;
    }
    return;
  }
  icu::BreakIterator& it = seg.it();
  int64_t begin = it.first();
  for (int32_t p = it.next(); p != icu::BreakIterator::DONE; p = it.next()) {
    if (p < size && IsAbbreviationBreak(text, begin, p)) continue;
    emit(begin, p);
    begin = p;
  }
  if (begin < size) emit(begin, size);
}

}  // namespace

std::vector<ByteRange> SplitSentences(std::string_view text) {
  std::vector<ByteRange> out;
  const int64_t size = static_cast<int64_t>(text.size());
  for (int64_t begin = 0; begin < size;) {
    const int64_t end = SliceEnd(text, begin);
    SplitSlice(text, begin, end, out);
    begin = end;
  }
  return out;
}

ByteRange TrimWhitespace(std::string_view text, ByteRange range) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  int64_t b = range.begin;
  int64_t e = range.end;
  while (b < e) {
    int64_t i = b;
    UChar32 c;
    U8_NEXT(s, i, e, c);
    if (c < 0 || !u_isUWhiteSpace(c)) break;
    b = i;
  }
  while (e > b) {
    // Step back to the lead byte of the last character, then decode it forwards.
    int64_t lead = e - 1;
    while (lead > b && e - lead < 4 && U8_IS_TRAIL(s[lead])) --lead;
    int64_t i = lead;
    UChar32 c;
    U8_NEXT(s, i, e, c);
    if (c < 0 || i != e || !u_isUWhiteSpace(c)) break;
    e = lead;
  }
  return {b, e};
}

struct WordSegmenter::Impl {
  Segmenter seg{[] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> it(
        icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) it.reset();
    return it;
  }()};
  std::string_view text;
  int64_t slice_begin = 0;  // offset of the bound slice in text
  int64_t slice_end = 0;
  int64_t pos = 0;  // end of the last segment, relative to the slice
  bool bound = false;

  bool BindNextSlice() {
    if (slice_end >= static_cast<int64_t>(text.size())) return false;
    slice_begin = slice_end;
    slice_end = SliceEnd(text, slice_begin);
    pos = 0;
    bound = seg.Bind(text.substr(slice_begin, slice_end - slice_begin));
    if (bound) seg.it().first();
    return true;
  }
};

WordSegmenter::WordSegmenter() : impl_(std::make_unique<Impl>()) {}
WordSegmenter::~WordSegmenter() = default;

void WordSegmenter::Reset(std::string_view text) {
  impl_->text = text;
  impl_->slice_begin = impl_->slice_end = 0;
  impl_->pos = 0;
  impl_->bound = false;
  impl_->BindNextSlice();
}

namespace {

bool AllWhitespace(std::string_view text) {
  return TrimWhitespace(text, {0, static_cast<int64_t>(text.size())}).size() == 0;
}

WordSegment::Kind KindOf(int32_t rule_status, std::string_view segment) {
  if (rule_status >= UBRK_WORD_IDEO) return WordSegment::Kind::kIdeographic;
  if (rule_status >= UBRK_WORD_KANA) return WordSegment::Kind::kKana;
  if (rule_status >= UBRK_WORD_LETTER) return WordSegment::Kind::kLetter;
  if (rule_status >= UBRK_WORD_NUMBER) return WordSegment::Kind::kNumber;
  return AllWhitespace(segment) ? WordSegment::Kind::kSpace : WordSegment::Kind::kPunctuation;
}

}  // namespace

bool WordSegmenter::Next(WordSegment& out) {
  Impl& m = *impl_;
  while (true) {
    const int64_t slice_size = m.slice_end - m.slice_begin;
    if (m.pos < slice_size) {
      const std::string_view slice = m.text.substr(m.slice_begin, slice_size);
      int64_t end;
      int32_t status = UBRK_WORD_NONE;
      if (m.bound) {
        const int32_t p = m.seg.it().next();
        end = p == icu::BreakIterator::DONE ? slice_size : p;
        status = m.seg.it().getRuleStatus();
      } else {  // no ICU data: whitespace-separated runs
        const bool space = slice[m.pos] == ' ' || slice[m.pos] == '\n' || slice[m.pos] == '\t';
        end = m.pos + 1;
        while (end < slice_size &&
               (slice[end] == ' ' || slice[end] == '\n' || slice[end] == '\t') == space)
          ++end;
        if (!space) status = UBRK_WORD_LETTER;
      }
      const std::string_view segment = slice.substr(m.pos, end - m.pos);
      out.range = {m.slice_begin + m.pos, m.slice_begin + end};
      out.kind = KindOf(status, segment);
      m.pos = end;
      return true;
    }
    if (!m.BindNextSlice()) return false;
  }
}

std::string FoldCase(std::string_view text) {
  text = text.substr(0, std::min<size_t>(text.size(), kMaxSlice));
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  u.foldCase();
  std::string out;
  u.toUTF8String(out);
  return out;
}

int64_t CountCodePoints(std::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int64_t size = static_cast<int64_t>(text.size());
  int64_t n = 0;
  for (int64_t i = 0; i < size; ++n) {
    UChar32 c;
    U8_NEXT(s, i, size, c);
  }
  return n;
}

}  // namespace ragd
