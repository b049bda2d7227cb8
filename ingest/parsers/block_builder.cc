#include "ingest/parsers/block_builder.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <limits>
#include <system_error>

#include "ingest/normalize.h"

namespace ragd {

StatusOr<std::string> ReadFileBytes(const std::filesystem::path& file, int64_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return NotFoundError("cannot read " + file.filename().string() + ": " + ec.message());
  if (static_cast<int64_t>(size) > max_bytes) {
    return ResourceExhaustedError("file is " + std::to_string(size) + " bytes; the limit is " +
                                  std::to_string(max_bytes) + " bytes");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + file.filename().string());
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

int64_t MaxInputBytes(const ParseOptions& options) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 4;
  return std::min(options.max_text_bytes, kMax) * 4;
}

Status BlockBuilder::Add(TextBlock::Kind kind, std::string_view raw, int page) {
  return AddNormalized(kind, NormalizeText(raw), page);
}

Status BlockBuilder::AddNormalized(TextBlock::Kind kind, std::string text, int page) {
  if (text.empty()) return OkStatus();
  TextBlock block;
  block.kind = kind;
  block.text = std::move(text);
  block.page = page;
  for (const auto& [level, heading] : headings_) block.heading_path.push_back(heading);
  return Append(std::move(block));
}

Status BlockBuilder::AddHeading(int level, std::string_view raw, int page) {
  std::string text = NormalizeText(raw);
  if (text.empty()) return OkStatus();
  level = std::clamp(level, 1, 6);
  while (!headings_.empty() && headings_.back().first >= level) headings_.pop_back();
  TextBlock block;
  block.kind = TextBlock::Kind::kHeading;
  block.text = text;
  block.page = page;
  block.heading_level = level;
  for (const auto& [unused, heading] : headings_) block.heading_path.push_back(heading);
  headings_.emplace_back(level, std::move(text));
  return Append(std::move(block));
}

Status BlockBuilder::Append(TextBlock block) {
  text_bytes_ += static_cast<int64_t>(block.text.size());
  if (text_bytes_ > options_.max_text_bytes) {
    return ResourceExhaustedError("document text exceeds the limit of " +
                                  std::to_string(options_.max_text_bytes) + " bytes");
  }
  doc_.blocks.push_back(std::move(block));
  return OkStatus();
}

Status BlockBuilder::CheckDeadline(std::string_view where) const {
  if (std::chrono::steady_clock::now() < options_.deadline) return OkStatus();
  return DeadlineExceededError("parsing ran past its deadline (" + std::string(where) + ")");
}

}  // namespace ragd
