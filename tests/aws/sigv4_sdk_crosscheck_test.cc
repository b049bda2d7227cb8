// Cross-check against the official AWS SDK for JavaScript v3: 600 random requests (fixed seed),
// signed by ragd and by tests/js/sigv4_reference.js (@smithy/signature-v4 and
// @aws-sdk/s3-request-presigner), must give byte-identical Authorization headers and presigned
// URLs. Half are S3 object requests (PutObject/GetObject through getSignedUrl; keys with spaces,
// unicode, + ~ % = /, empty segments; virtual-hosted and path-style), half other services (paths
// normalised and double-encoded). Random query parameters and headers (including ones the SDK
// never signs and x-amz-* ones it hoists into presigned URLs), session tokens on and off,
// expiries from 1 s to 7 days.
//
// Needs node on PATH and tests/js/node_modules (npm ci --prefix tests/js); fails, never skips,
// without them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "aws/sigv4_verify.h"
#include "tests/aws/sigv4_crosscheck_util.h"
#include "tests/aws/sigv4_test_util.h"

namespace ragd {
namespace {

using testing::CrossCase;

constexpr int kCases = 600;
constexpr uint64_t kSeed = 0x5167'7634'2024'0001;

// Absolute path of `name` on $PATH, or "".
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t colon = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, colon - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = colon + 1;
  }
  return "";
}

// Checks an S3 URL presigned by the SDK with ragd's verifier, as ragd's S3-compatible endpoint
// would on receiving it: the raw path and query from the URL, Host, the non-hoisted headers the
// client sends, an unsigned payload.
Status VerifySdkUrl(const CrossCase& c, const std::string& url) {
  const size_t scheme_end = url.find("://");
  const size_t path_start = url.find('/', scheme_end + 3);
  const size_t query_start = url.find('?', path_start);
  if (scheme_end == std::string::npos || path_start == std::string::npos ||
      query_start == std::string::npos) {
    return InvalidArgumentError("unexpected URL shape");
  }
  SignableRequest incoming;
  incoming.method = c.presign_request.method;
  incoming.path = url.substr(path_start, query_start - path_start);
  RAGD_ASSIGN_OR_RETURN(incoming.query, ParseQueryString(url.substr(query_start + 1)));
  incoming.headers = {{"Host", url.substr(scheme_end + 3, path_start - scheme_end - 3)}};
  for (const auto& header : c.presign_request.headers) {
    const std::string lower = AsciiLower(header.first);
    if (lower == "content-length" || lower.starts_with("x-amz-server-side-encryption")) {
      incoming.headers.push_back(header);
    }
  }
  incoming.payload_hash = std::string(kUnsignedPayload);
  PresignVerifyOptions options;
  options.region = c.options.region;
  const AwsCredentials credentials = c.credentials;
  return VerifyPresignedRequest(
      incoming, options,
      [&](std::string_view access_key_id) -> StatusOr<AwsCredentials> {
        if (access_key_id != credentials.access_key_id) return NotFoundError("no such key");
        return credentials;
      },
      c.options.time);  // within even a 1 s expiry: the signing time has only its ms on top
}

TEST(SigV4SdkCrossCheck, MatchesAwsSdkForJavaScriptOnRandomRequests) {
  const std::string js_dir = testing::SourceDir() + "/tests/js";
  for (const char* module : {"@smithy/signature-v4", "@aws-sdk/s3-request-presigner",
                             "@aws-sdk/client-s3", "@aws-crypto/sha256-js"}) {
    ASSERT_TRUE(std::filesystem::exists(js_dir + "/node_modules/" + module))
        << js_dir << "/node_modules/" << module << " is missing: run `npm ci --prefix tests/js` in "
        << testing::SourceDir();
  }
  const std::string node = FindOnPath("node");
  ASSERT_FALSE(node.empty()) << "node is not on PATH; install Node.js (Debian: apt-get install "
                                "nodejs) and run `npm ci --prefix tests/js`";

  const std::vector<CrossCase> cases = testing::MakeCrossCases(kSeed, kCases);
  nlohmann::json input = nlohmann::json::array();
  for (const CrossCase& c : cases) input.push_back(c.js);

  const std::filesystem::path input_file =
      std::filesystem::temp_directory_path() /
      ("ragd_sigv4_crosscheck_" + std::to_string(getpid()) + ".json");
  std::ofstream(input_file, std::ios::binary) << input.dump();
  const std::string command =
      "'" + node + "' '" + js_dir + "/sigv4_reference.js' < '" + input_file.string() + "'";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr) << command;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
  const int rc = pclose(pipe);
  std::filesystem::remove(input_file);
  ASSERT_EQ(rc, 0) << command << " failed; output: " << output.substr(0, 2000);

  // RAGD_SIGV4_CROSSCHECK_DUMP=<prefix> keeps <prefix>.in.json / <prefix>.out.json for debugging.
  if (const char* dump = std::getenv("RAGD_SIGV4_CROSSCHECK_DUMP"); dump != nullptr) {
    std::ofstream(std::string(dump) + ".in.json", std::ios::binary) << input.dump(1);
    std::ofstream(std::string(dump) + ".out.json", std::ios::binary) << output;
  }
  const nlohmann::json results = nlohmann::json::parse(output, nullptr, false);
  ASSERT_FALSE(results.is_discarded()) << output.substr(0, 2000);
  ASSERT_EQ(results.size(), cases.size());

  int authorization_matches = 0, url_matches = 0, reported = 0;
  int s3_cases = 0, sdk_urls_verified = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const CrossCase& c = cases[i];
    const nlohmann::json& expected = results[i];
    StatusOr<HeaderSigningResult> signed_headers =
        SignHeaders(c.sign_request, c.credentials, c.options);
    StatusOr<PresignResult> presigned = Presign(c.presign_request, c.credentials, c.options);
    const bool auth_ok = !expected.contains("error") && signed_headers.ok() &&
                         signed_headers->authorization == expected["authorization"];
    const bool url_ok = !expected.contains("error") && presigned.ok() &&
                        presigned->url == expected["presigned_url"];
    if (c.s3 && !expected.contains("error")) {
      ++s3_cases;
      const Status verified = VerifySdkUrl(c, expected["presigned_url"]);
      sdk_urls_verified += verified.ok();
      EXPECT_TRUE(verified.ok()) << "case " << i << ": ragd rejects the SDK's presigned URL "
                                 << expected["presigned_url"] << ": " << verified.ToString();
    }
    authorization_matches += auth_ok;
    url_matches += url_ok;
    if ((!auth_ok || !url_ok) && reported++ < 10) {
      ADD_FAILURE() << "case " << i << " differs\nrequest: " << c.js.dump()
                    << "\nsdk: " << expected.dump() << "\nragd authorization: "
                    << (signed_headers.ok() ? signed_headers->authorization
                                            : signed_headers.status().ToString())
                    << "\nragd url: "
                    << (presigned.ok() ? presigned->url : presigned.status().ToString())
                    << "\nragd canonical request (header): "
                    << (signed_headers.ok() ? signed_headers->details.canonical_request : "");
    }
  }
  EXPECT_EQ(authorization_matches, kCases);
  EXPECT_EQ(url_matches, kCases);
  EXPECT_EQ(s3_cases, kCases / 2);
  EXPECT_EQ(sdk_urls_verified, s3_cases);
  std::printf(
      "sigv4 cross-check: %d cases, %d Authorization headers and %d presigned URLs "
      "byte-identical to the AWS SDK for JavaScript v3; %d/%d SDK-presigned S3 URLs "
      "accepted by VerifyPresignedRequest\n",
      kCases, authorization_matches, url_matches, sdk_urls_verified, s3_cases);
}

}  // namespace
}  // namespace ragd
