#include "ingest/parsers/csv_parser.h"

#include <map>

#include "ingest/normalize.h"
#include "ingest/parsers/block_builder.h"
#include "ingest/parsers/text_encoding.h"

namespace ragd {
namespace {

constexpr int kSniffRecords = 20;
constexpr int kDeadlineEvery = 1024;

bool IsBlankRecord(const std::vector<std::string>& fields) {
  return fields.size() == 1 && fields[0].find_first_not_of(" \t") == std::string::npos;
}

}  // namespace

bool ReadCsvRecord(std::string_view text, char delimiter, size_t* pos,
                   std::vector<std::string>* fields) {
  fields->clear();
  size_t i = *pos;
  if (i >= text.size()) return false;
  std::string field;
  bool quoted = false;      // inside a quoted section
  bool field_start = true;  // nothing read for this field yet
  while (i < text.size()) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field.push_back(c);
      }
      ++i;
      continue;
    }
    if (c == '"' && field_start) {
      quoted = true;
      field_start = false;
      ++i;
      continue;
    }
    if (c == delimiter) {
      fields->push_back(std::move(field));
      field.clear();
      field_start = true;
      ++i;
      continue;
    }
    if (c == '\n' || c == '\r') {
      i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
      break;
    }
    field.push_back(c);
    field_start = false;
    ++i;
  }
  fields->push_back(std::move(field));
  *pos = i;
  return true;
}

char SniffCsvDelimiter(std::string_view text) {
  char best = ',';
  double best_score = 0;
  for (const char delimiter : {',', ';', '\t', '|'}) {
    std::map<size_t, int> counts;  // field count -> records
    std::vector<std::string> fields;
    size_t pos = 0;
    int records = 0;
    while (records < kSniffRecords && ReadCsvRecord(text, delimiter, &pos, &fields)) {
      if (IsBlankRecord(fields)) continue;
      counts[fields.size()]++;
      records++;
    }
    size_t mode = 0;
    int mode_count = 0;
    for (const auto& [n, count] : counts) {
      if (count > mode_count || (count == mode_count && n > mode)) {
        mode = n;
        mode_count = count;
      }
    }
    if (mode < 2 || records == 0) continue;
    // Consistency first, then more columns.
    const double score =
        static_cast<double>(mode_count) / records + 0.001 * static_cast<double>(mode);
    if (score > best_score) {
      best_score = score;
      best = delimiter;
    }
  }
  return best;
}

StatusOr<ParsedDocument> CsvParser::ParseText(std::string_view text, const ParseOptions& options) {
  const char delimiter = SniffCsvDelimiter(text);
  BlockBuilder builder(options);
  std::vector<std::string> header;
  std::vector<std::string> fields;
  size_t pos = 0;
  bool have_header = false;
  int64_t records = 0;
  while (ReadCsvRecord(text, delimiter, &pos, &fields)) {
    if (IsBlankRecord(fields)) continue;
    if (!have_header) {
      have_header = true;
      for (size_t i = 0; i < fields.size(); ++i) {
        std::string name = NormalizeText(fields[i]);
        header.push_back(name.empty() ? "column " + std::to_string(i + 1) : std::move(name));
      }
      continue;
    }
    std::string record;
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string value = NormalizeText(fields[i]);
      if (value.empty()) continue;
      if (!record.empty()) record += "; ";
      record += i < header.size() ? header[i] : "column " + std::to_string(i + 1);
      record += ": ";
      record += value;
    }
    RAGD_RETURN_IF_ERROR(builder.AddNormalized(TextBlock::Kind::kRecord, std::move(record)));
    if (++records % kDeadlineEvery == 0) {
      RAGD_RETURN_IF_ERROR(builder.CheckDeadline("after " + std::to_string(records) + " records"));
    }
  }
  ParsedDocument& doc = builder.document();
  for (const std::string& name : header) {
    if (!doc.csv_header.empty()) doc.csv_header += " | ";
    doc.csv_header += name;
  }
  if (options.progress) options.progress(1, 1);
  return std::move(builder).Finish();
}

StatusOr<ParsedDocument> CsvParser::Parse(const std::filesystem::path& file,
                                          const ParseOptions& options) const {
  RAGD_ASSIGN_OR_RETURN(const std::string bytes, ReadFileBytes(file, MaxInputBytes(options)));
  return ParseText(DecodeToUtf8(bytes).text, options);
}

}  // namespace ragd
