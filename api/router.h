// Route table: method + path pattern -> handler, with who may call it and how it runs.
// Patterns are literal segments, "{name}" capturing one segment ("/v1/keys/{id}"), and a final
// "{name+}" capturing the rest of the path, slashes included ("/{bucket}/{key+}"). Captured values
// are percent-decoded into Request::path_params.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/http.h"
#include "api/server.h"
#include "core/status.h"

namespace ragd {

enum class Access {
  kPublic,  // no key (health, readiness, metrics, static web assets)
  kUser,    // any valid key
  kAdmin,   // a key with the admin role
};

// Handlers return a Response or a Status; a non-OK Status becomes the JSON error shape.
using Handler = std::function<StatusOr<Response>(Request&)>;

struct Route {
  std::string method;
  std::string pattern;
  Access access;
  Handler handler;
  bool run_inline = false;  // never blocks: run on the network thread
  size_t body_limit = 0;    // 0: the server default
  // For routes with large bodies: runs on the network thread once the head is read (must not
  // block) and decides where the body goes (RouteTraits::body_file) or rejects the request.
  std::function<RouteTraits(Request&)> before_body;
};

class Router {
 public:
  void Add(Route route);

  struct Match {
    const Route* route = nullptr;  // null: no route for this path (or method, see below)
    bool method_mismatch = false;  // the path exists under another method (405)
  };
  // Fills request.path_params on success.
  Match Find(const std::string& method, const std::string& path,
             std::map<std::string, std::string>* params) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Pattern {
    std::vector<std::string> segments;  // the pattern split on '/'
    bool rest = false;                  // the last segment is "{name+}"
  };
  std::vector<Route> routes_;
  std::vector<Pattern> patterns_;  // parallel to routes_
};

}  // namespace ragd
