// A chunk: the unit that is embedded, indexed and cited.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ragd {

struct Chunk {
  std::string text;
  int page_start = 0;  // 1-based; 0 when the document has no pages
  int page_end = 0;
  std::vector<std::string> heading_path;  // outermost first
  // Byte offsets into DocumentText(doc) (blocks joined by "\n\n"; see ingest/chunking/chunker.h).
  int64_t char_begin = 0;
  int64_t char_end = 0;
  int token_count = 0;
  int parent = -1;  // hierarchical chunking: index into ChunkSet::parents; -1 otherwise
};

struct ChunkSet {
  std::vector<Chunk> chunks;   // retrieved (children for hierarchical)
  std::vector<Chunk> parents;  // context given to the model (hierarchical only)
};

}  // namespace ragd
