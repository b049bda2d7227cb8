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

bool MatchSegments(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                   std::map<std::string, std::string>* params) {
  const bool rest = !pattern.empty() && pattern.back().size() > 3 &&
                    pattern.back().substr(pattern.back().size() - 2) == "+}";
  if (rest ? path.size() < pattern.size() : pattern.size() != path.size()) return false;
  std::map<std::string, std::string> captured;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (rest && i + 1 == pattern.size()) {
      std::string joined;
      for (size_t j = i; j < path.size(); ++j) joined += (j > i ? "/" : "") + path[j];
      if (joined.empty()) return false;
      captured[p.substr(1, p.size() - 3)] = PercentDecode(joined, false);
      break;
    }
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (path[i].empty()) return false;
      captured[p.substr(1, p.size() - 2)] = PercentDecode(path[i], false);
    } else if (p != path[i]) {
      return false;
    }
  }
  if (params != nullptr) *params = std::move(captured);
  return true;
}

}  // namespace

void Router::Add(Route route) {
  segments_.push_back(Split(route.pattern));
  routes_.push_back(std::move(route));
}

Router::Match Router::Find(const std::string& method, const std::string& path,
                           std::map<std::string, std::string>* params) const {
  Match match;
  if (path.empty() || path[0] != '/') return match;
  const std::vector<std::string> parts = Split(path);
  // HEAD is served by GET routes.
  const std::string& wanted = method == "HEAD" ? std::string("GET") : method;
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (!MatchSegments(segments_[i], parts, nullptr)) continue;
    if (routes_[i].method == wanted) {
      MatchSegments(segments_[i], parts, params);
      match.route = &routes_[i];
      match.method_mismatch = false;
      return match;
    }
    match.method_mismatch = true;
  }
  return match;
}

}  // namespace ragd
