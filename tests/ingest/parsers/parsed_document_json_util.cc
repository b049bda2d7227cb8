#include "tests/ingest/parsers/parsed_document_json_util.h"

namespace ragd::testing {

std::string KindName(TextBlock::Kind kind) {
  switch (kind) {
    case TextBlock::Kind::kParagraph:
      return "paragraph";
    case TextBlock::Kind::kHeading:
      return "heading";
    case TextBlock::Kind::kListItem:
      return "list_item";
    case TextBlock::Kind::kTableRow:
      return "table_row";
    case TextBlock::Kind::kRecord:
      return "record";
  }
  return "?";
}

nlohmann::json ToJson(const ParsedDocument& doc) {
  nlohmann::json out = nlohmann::json::object();
  out["title"] = doc.title;
  if (doc.page_count != 0) out["page_count"] = doc.page_count;
  if (!doc.csv_header.empty()) out["csv_header"] = doc.csv_header;
  nlohmann::json blocks = nlohmann::json::array();
  for (const TextBlock& block : doc.blocks) {
    nlohmann::json b = nlohmann::json::object();
    b["kind"] = KindName(block.kind);
    if (block.kind == TextBlock::Kind::kHeading) b["level"] = block.heading_level;
    b["text"] = block.text;
    if (!block.heading_path.empty()) b["path"] = block.heading_path;
    if (block.page != 0) b["page"] = block.page;
    blocks.push_back(std::move(b));
  }
  out["blocks"] = std::move(blocks);
  return out;
}

std::string JoinedText(const ParsedDocument& doc) {
  std::string text;
  for (const TextBlock& block : doc.blocks) {
    if (!text.empty()) text += ' ';
    text += block.text;
  }
  return text;
}

}  // namespace ragd::testing
