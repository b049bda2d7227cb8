// The web UI's files (web/*), compiled into the binary by cmake/embed_web_assets.cmake so that
// `ragd serve` needs no source tree at run time. Served by api/static_handlers.cc.
#pragma once

#include <span>
#include <string_view>

namespace ragd {

struct WebAsset {
  std::string_view name;    // file name under web/, e.g. "documents.js" (no directories)
  std::string_view bytes;   // the file's content
  std::string_view sha256;  // hex digest of `bytes`, used as the ETag
};

// Every embedded file, sorted by name. Static storage; thread-safe.
std::span<const WebAsset> WebAssets();

}  // namespace ragd
