#include "ingest/parsers/pdf_parser.h"

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ingest/normalize.h"
#include "ingest/parsers/block_builder.h"
#include "ingest/parsers/pdf_layout.h"

namespace ragd {
namespace {

// poppler reports problems through one process-wide callback, always on the thread doing the
// work; each parse collects them in a thread-local sink.
thread_local std::vector<std::string>* tls_poppler_errors = nullptr;
constexpr size_t kMaxErrorsKept = 32;

void CollectPopplerError(const std::string& message, void* /*closure*/) {
  std::vector<std::string>* sink = tls_poppler_errors;
  if (sink == nullptr || sink->size() >= kMaxErrorsKept) return;
  // "error (1234): Couldn't ..." / "error: Couldn't ..." -> "Couldn't ..."
  std::string_view text = message;
  if (text.substr(0, 5) == "error") {
    const size_t colon = text.find(": ");
    if (colon != std::string_view::npos) text.remove_prefix(colon + 2);
  }
  for (const std::string& seen : *sink) {
    if (seen == text) return;
  }
  sink->emplace_back(text);
}

class ErrorCapture {
 public:
  ErrorCapture() : previous_(tls_poppler_errors) { tls_poppler_errors = &errors_; }
  ~ErrorCapture() { tls_poppler_errors = previous_; }
  ErrorCapture(const ErrorCapture&) = delete;
  ErrorCapture& operator=(const ErrorCapture&) = delete;

  std::string Summary() const {
    std::string out;
    for (const std::string& e : errors_) {
      if (!out.empty()) out += "; ";
      out += e;
    }
    return out.empty() ? "not a readable PDF" : out;
  }

 private:
  std::vector<std::string> errors_;
  std::vector<std::string>* previous_;
};

// The smallest PDF poppler opens (it rebuilds the missing xref table).
constexpr char kSentinelPdf[] =
    "%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 3 3]>>endobj\n"
    "trailer<</Root 1 0 R>>\n%%EOF\n";

// Installs the error hook before any document exists (poppler reads the hook without a lock),
// and keeps one document open so poppler's GlobalParams (font and CMap caches) are built once
// per process rather than torn down with the last open document.
void InitPoppler() {
  static std::once_flag once;
  static std::unique_ptr<poppler::document> sentinel;
  std::call_once(once, [] {
    poppler::set_debug_error_function(&CollectPopplerError, nullptr);
    sentinel.reset(poppler::document::load_from_raw_data(
        kSentinelPdf, static_cast<int>(sizeof(kSentinelPdf) - 1)));
  });
}

std::string ToUtf8(const poppler::ustring& text) {
  const poppler::byte_array bytes = text.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

StatusOr<ParsedDocument> ParsePdf(const std::filesystem::path& file, const ParseOptions& options) {
  // The whole file in memory: poppler reads files through 256-byte pread() calls (100k system
  // calls for a 50-page paper); from memory it parses ~5% faster. poppler reads but never writes
  // the buffer, which outlives `doc`.
  RAGD_ASSIGN_OR_RETURN(const std::string bytes,
                        ReadFileBytes(file, std::numeric_limits<int>::max()));
  // poppler-cpp refuses buffers under 10 bytes without saying why.
  if (bytes.empty()) return DataLossError("cannot open PDF: Document stream is empty");
  if (bytes.size() < 10) {
    return DataLossError("cannot open PDF: file is too short to be a PDF (" +
                         std::to_string(bytes.size()) + " bytes)");
  }
  InitPoppler();
  ErrorCapture capture;
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_raw_data(
      bytes.data(), static_cast<int>(bytes.size()), options.password, options.password));
  if (!doc) return DataLossError("cannot open PDF: " + capture.Summary());
  if (doc->is_locked()) {
    return FailedPreconditionError(options.password.empty() ? "password required"
                                                            : "wrong password");
  }
  const int pages = doc->pages();
  if (pages > options.max_pages) {
    return ResourceExhaustedError("document has " + std::to_string(pages) +
                                  " pages; the limit is " + std::to_string(options.max_pages));
  }
  if (pages <= 0) return DataLossError("cannot open PDF: the document has no pages");

  BlockBuilder builder(options);
  std::string first_page_text;
  for (int i = 0; i < pages; ++i) {
    RAGD_RETURN_IF_ERROR(builder.CheckDeadline("after " + std::to_string(i) + " of " +
                                               std::to_string(pages) + " pages"));
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (page) {
      const std::string text =
          ToUtf8(page->text(poppler::rectf(), poppler::page::non_raw_non_physical_layout));
      for (const std::string& paragraph : SplitPdfPageText(text)) {
        // Lone bullets, rules and symbol-font glyphs are layout, not text.
        if (!HasAlphanumeric(paragraph)) continue;
        RAGD_RETURN_IF_ERROR(builder.Add(TextBlock::Kind::kParagraph, paragraph, i + 1));
      }
      if (i == 0) first_page_text = text;
    }
    if (options.progress) options.progress(i + 1, pages);
  }
  if (builder.blocks().empty()) {
    return FailedPreconditionError("no text layer (scanned document; OCR not supported)");
  }
  ParsedDocument& parsed = builder.document();
  parsed.page_count = pages;
  parsed.title = NormalizeText(ToUtf8(doc->get_title()));
  // Office's PDF printer titles documents "Microsoft Word - <file name>".
  for (std::string_view prefix : {"Microsoft Word - ", "Microsoft PowerPoint - "}) {
    if (parsed.title.rfind(prefix, 0) == 0) parsed.title.erase(0, prefix.size());
  }
  if (parsed.title.empty()) parsed.title = NormalizeText(GuessPdfTitle(first_page_text));
  return std::move(builder).Finish();
}

}  // namespace

StatusOr<ParsedDocument> PdfParser::Parse(const std::filesystem::path& file,
                                          const ParseOptions& options) const {
  try {
    return ParsePdf(file, options);
  } catch (const std::exception& e) {  // poppler-cpp may throw std::bad_alloc and friends
    return InternalError(std::string("PDF parser failed: ") + e.what());
  }
}

}  // namespace ragd
