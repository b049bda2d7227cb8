#include "tests/aws/sigv4_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ragd::testing {

std::string SharedDir() {
  if (const char* env = std::getenv("RAGD_SHARED_DIR"); env != nullptr && *env != '\0') return env;
  return RAGD_SHARED_DIR;
}

std::string SourceDir() {
  if (const char* env = std::getenv("RAGD_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
  return RAGD_SOURCE_DIR;
}

std::optional<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> ListSubdirs(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<RawRequest> ParseRawRequest(std::string_view text) {
  RawRequest raw;
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t nl = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, nl - start);
    if (line.empty() && nl < text.size() && !lines.empty()) {
      raw.body = std::string(text.substr(nl + 1));
      break;
    }
    if (!(line.empty() && nl == text.size())) lines.push_back(line);
    start = nl + 1;
  }
  if (lines.empty()) return std::nullopt;

  const std::string_view request_line = lines[0];
  const size_t first_space = request_line.find(' ');
  const size_t last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || last_space == first_space) return std::nullopt;
  raw.method = std::string(request_line.substr(0, first_space));
  raw.target = std::string(request_line.substr(first_space + 1, last_space - first_space - 1));
  raw.version = std::string(request_line.substr(last_space + 1));
  const size_t q = raw.target.find('?');
  raw.path = raw.target.substr(0, q);
  if (q != std::string::npos) {
    raw.raw_query = raw.target.substr(q + 1);
    StatusOr<QueryParams> query = ParseQueryString(raw.raw_query);
    if (!query.ok()) return std::nullopt;
    raw.query = *std::move(query);
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    raw.header_lines.emplace_back(line);
    if ((line.front() == ' ' || line.front() == '\t') && !raw.headers.empty()) {
      raw.headers.back().second.append("\n").append(line);
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    raw.headers.emplace_back(std::string(line.substr(0, colon)),
                             std::string(line.substr(colon + 1)));
  }
  return raw;
}

SignableRequest ToSignable(const RawRequest& raw) {
  SignableRequest request;
  request.method = raw.method;
  request.path = raw.path;
  request.query = raw.query;
  request.headers = raw.headers;
  if (raw.body) request.body = *raw.body;
  return request;
}

std::chrono::system_clock::time_point ParseIsoTime(std::string_view s) {
  std::string compact;
  for (char c : s) {
    if (c != '-' && c != ':') compact.push_back(c);
  }
  StatusOr<std::chrono::system_clock::time_point> t = ParseSigV4AmzDate(compact);
  EXPECT_TRUE(t.ok()) << s;
  return t.ok() ? *t : std::chrono::system_clock::time_point();
}

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

}  // namespace ragd::testing
