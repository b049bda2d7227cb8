#include "ingest/parsers/registry.h"

#include <algorithm>
#include <cctype>

#include "ingest/parsers/csv_parser.h"
#include "ingest/parsers/docx_parser.h"
#include "ingest/parsers/html_parser.h"
#include "ingest/parsers/markdown_parser.h"
#include "ingest/parsers/pdf_parser.h"
#include "ingest/parsers/text_parser.h"

namespace ragd {
namespace {

struct Format {
  std::vector<std::string_view> content_types;
  std::vector<std::string_view> extensions;
  const DocumentParser* parser;
};

const std::vector<Format>& Formats() {
  static const PdfParser pdf;
  static const HtmlParser html;
  static const MarkdownParser markdown;
  static const TextParser text;
  static const DocxParser docx;
  static const CsvParser csv;
  static const std::vector<Format> formats = {
      {{"application/pdf"}, {".pdf"}, &pdf},
      {{"text/html", "application/xhtml+xml"}, {".html", ".htm", ".xhtml"}, &html},
      {{"text/markdown", "text/x-markdown"}, {".md", ".markdown"}, &markdown},
      {{"text/plain"}, {".txt", ".text"}, &text},
      {{"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
       {".docx"},
       &docx},
      {{"text/csv", "application/csv", "text/tab-separated-values"}, {".csv", ".tsv"}, &csv},
  };
  return formats;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "Text/HTML; charset=UTF-8" -> "text/html"
std::string MediaType(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  const size_t first = content_type.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const size_t last = content_type.find_last_not_of(" \t");
  return Lower(content_type.substr(first, last - first + 1));
}

std::string Extension(std::string_view filename) {
  const size_t slash = filename.find_last_of("/\\");
  if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
  const size_t dot = filename.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return Lower(filename.substr(dot));
}

}  // namespace

StatusOr<const DocumentParser*> ParserFor(std::string_view content_type,
                                          std::string_view filename) {
  const std::string media_type = MediaType(content_type);
  const std::string extension = Extension(filename);
  for (const Format& format : Formats()) {
    if (std::find(format.content_types.begin(), format.content_types.end(), media_type) !=
        format.content_types.end()) {
      return format.parser;
    }
  }
  for (const Format& format : Formats()) {
    if (!extension.empty() && std::find(format.extensions.begin(), format.extensions.end(),
                                        extension) != format.extensions.end()) {
      return format.parser;
    }
  }
  // Name what the user sent (the file, and its type when one was given) and what would work, in
  // the terms a person picks files by: extensions first, then the media types.
  std::string extensions;
  for (const Format& format : Formats()) {
    for (std::string_view ext : format.extensions) {
      if (!extensions.empty()) extensions += " ";
      extensions += ext;
    }
  }
  std::string supported;
  for (const std::string& type : SupportedContentTypes()) {
    if (!supported.empty()) supported += ", ";
    supported += type;
  }
  std::string what = filename.empty() ? "this document" : "\"" + std::string(filename) + "\"";
  if (!media_type.empty()) what += " (content type \"" + media_type + "\")";
  return UnsupportedMediaTypeError("cannot parse " + what + ": supported files are " + extensions +
                                   " (content types " + supported + ")");
}

std::vector<std::string> SupportedContentTypes() {
  std::vector<std::string> types;
  for (const Format& format : Formats()) {
    for (std::string_view type : format.content_types) types.emplace_back(type);
  }
  return types;
}

}  // namespace ragd
