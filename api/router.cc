#include "api/router.h"

namespace ragd {
namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 1;  // paths begin with '/'
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string::npos ? path.size() : slash;
    parts.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool IsCapture(const std::string& p) { return p.size() > 2 && p.front() == '{' && p.back() == '}'; }

// Matches `path` (after its leading '/') segment by segment without splitting it into strings;
// captures into `params` only when it is not null.
bool MatchSegments(const std::vector<std::string>& pattern, bool rest, std::string_view path,
                   std::map<std::string, std::string>* params) {
  size_t pos = 0;  // start of the next path segment; > path.size() once all are consumed
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pos > path.size()) return false;  // fewer path segments than pattern segments
    const std::string& p = pattern[i];
    if (rest && i + 1 == pattern.size()) {
      const std::string_view remainder = path.substr(pos);
      if (remainder.empty()) return false;
      if (params != nullptr) (*params)[p.substr(1, p.size() - 3)] = PercentDecode(remainder, false);
      return true;
    }
    const size_t slash = path.find('/', pos);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    const std::string_view segment = path.substr(pos, end - pos);
    pos = end + 1;
    if (IsCapture(p)) {
      if (segment.empty()) return false;
      if (params != nullptr) (*params)[p.substr(1, p.size() - 2)] = PercentDecode(segment, false);
    } else if (p != segment) {
      return false;
    }
  }
  return pos > path.size();  // every path segment matched
}

}  // namespace

void Router::Add(Route route) {
  Pattern pattern;
  pattern.segments = Split(route.pattern);
  const std::string& last = pattern.segments.back();
  pattern.rest = last.size() > 3 && last.compare(last.size() - 2, 2, "+}") == 0;
  patterns_.push_back(std::move(pattern));
  routes_.push_back(std::move(route));
}

Router::Match Router::Find(const std::string& method, const std::string& path,
                           std::map<std::string, std::string>* params) const {
  Match match;
  if (path.empty() || path[0] != '/') return match;
  const std::string_view rest = std::string_view(path).substr(1);
  // HEAD is served by GET routes.
  const std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Pattern& pattern = patterns_[i];
    if (!MatchSegments(pattern.segments, pattern.rest, rest, nullptr)) continue;
    if (routes_[i].method == wanted) {
      if (params != nullptr) {
        params->clear();
        MatchSegments(pattern.segments, pattern.rest, rest, params);
      }
      match.route = &routes_[i];
      match.method_mismatch = false;
      return match;
    }
    match.method_mismatch = true;
  }
  return match;
}

}  // namespace ragd
