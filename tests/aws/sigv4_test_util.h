// Helpers shared by the SigV4 tests: locating ../shared test data and parsing raw HTTP requests
// of the AWS test suites.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4.h"

namespace ragd::testing {

// $RAGD_SHARED_DIR if set, else the compile-time RAGD_SHARED_DIR (the repository's ../shared).
std::string SharedDir();
// $RAGD_SOURCE_DIR if set, else the compile-time RAGD_SOURCE_DIR.
std::string SourceDir();

// The whole file, or nullopt if it cannot be read.
std::optional<std::string> ReadFileBytes(const std::string& path);

// Names of the sub-directories of `dir`, sorted. Empty if `dir` does not exist.
std::vector<std::string> ListSubdirs(const std::string& dir);

// A raw request as the suites write it: "METHOD target HTTP/1.1", header lines (a line starting
// with a space or tab continues the previous header), optionally a blank line and a body.
struct RawRequest {
  std::string method;
  std::string target;  // raw request-target, may contain spaces and UTF-8
  std::string version;
  std::string path;                       // target up to '?'
  std::string raw_query;                  // after '?', undecoded
  QueryParams query;                      // decoded
  HttpHeaders headers;                    // continuation lines kept in the value as "\n" + the line
  std::vector<std::string> header_lines;  // the original lines, for rebuilding signed requests
  std::optional<std::string> body;        // present if the request had a blank line
};

std::optional<RawRequest> ParseRawRequest(std::string_view text);

// A SignableRequest for `raw` (whose body must outlive the result).
SignableRequest ToSignable(const RawRequest& raw);

// "2015-08-30T12:36:00Z" (or "20150830T123600Z") as a time point; aborts the test on bad input.
std::chrono::system_clock::time_point ParseIsoTime(std::string_view s);

// `text` with every occurrence of `from` replaced by `to`.
std::string ReplaceAll(std::string text, std::string_view from, std::string_view to);

}  // namespace ragd::testing
