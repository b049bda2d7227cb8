// ParsedDocument <-> JSON for the golden tests (tests/testdata/parsers/).
//
//   {"title": "...", "page_count": 0, "csv_header": "...",
//    "blocks": [{"kind": "heading", "level": 1, "text": "...", "path": ["..."], "page": 1}, ...]}
// "level" only for headings, "path" only when non-empty, "page" only when non-zero,
// "page_count"/"csv_header" only when set.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ingest/document.h"

namespace ragd::testing {

nlohmann::json ToJson(const ParsedDocument& doc);
std::string KindName(TextBlock::Kind kind);
// All block texts joined with " " (for substring checks across block boundaries).
std::string JoinedText(const ParsedDocument& doc);

}  // namespace ragd::testing
