// The web UI of the real binary: its static files over HTTP (types, caching, security headers),
// and the documents page driven in a real Chromium (tests/browser/documents_page.js,
// puppeteer-core) through the whole presigned upload flow.
//
// The browser test needs Debian's `chromium` (scripts/setup.sh installs it) and is skipped, saying
// so, only when it is absent. node and `npm ci --prefix tests/js` are required, as for the other
// tests that use tests/js.
#include <stdio.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "tests/blackbox/documents_util.h"

namespace ragd::testing {
namespace {

const nlohmann::json kFastBot = {{"knowledge", {{"embedder", {{"provider", "hashing"}}}}}};

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

std::string FindExecutable(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  dirs += ":/usr/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t colon = dirs.find(':', start);
    const std::string dir = dirs.substr(start, colon == std::string::npos ? colon : colon - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

using WebUiTest = DocumentServerTest;

TEST_F(WebUiTest, RootRedirectsToTheUiAndFilesCarryTypesAndSecurityHeaders) {
  auto root = Get(Url("/"));
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->status, 302);
  EXPECT_EQ(HeaderOf(*root, "Location"), "/ui/");

  struct Case {
    std::string path;
    std::string type;
    std::string contains;
  };
  const std::vector<Case> cases = {
      {"/ui/", "text/html; charset=utf-8", "<input id=\"files\" type=\"file\" multiple"},
      {"/ui/documents.js", "text/javascript; charset=utf-8", "upload.headers"},
      {"/ui/app.css", "text/css; charset=utf-8", ".documents"},
      {"/ui/favicon.svg", "image/svg+xml", "<svg"},
  };
  for (const Case& c : cases) {
    auto r = Get(Url(c.path));  // no key: the files are public
    ASSERT_TRUE(r.ok()) << c.path;
    EXPECT_EQ(r->status, 200) << c.path;
    EXPECT_EQ(HeaderOf(*r, "Content-Type"), c.type) << c.path;
    EXPECT_NE(r->body.find(c.contains), std::string::npos) << c.path;
    EXPECT_EQ(HeaderOf(*r, "X-Content-Type-Options"), "nosniff") << c.path;
    EXPECT_EQ(HeaderOf(*r, "Cache-Control"), "no-cache") << c.path;
    const std::string csp = HeaderOf(*r, "Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    EXPECT_NE(csp.find("form-action 'none'"), std::string::npos) << csp;

    // Revalidation: the ETag answers 304 without a body.
    const std::string etag = HeaderOf(*r, "ETag");
    ASSERT_EQ(etag.size(), 66u) << c.path << ": " << etag;  // "<sha256 hex>"
    auto again = Get(Url(c.path), "", {{"If-None-Match", etag}});
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->status, 304) << c.path;
    EXPECT_TRUE(again->body.empty());
    auto changed = Get(Url(c.path), "", {{"If-None-Match", "\"0123\""}});
    EXPECT_EQ(changed->status, 200) << c.path;
  }
  // The page has no inline script for the policy to block.
  const std::string html = Get(Url("/ui/"))->body;
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("<script src=\"documents.js\""), std::string::npos);
  EXPECT_EQ(html.find("onclick="), std::string::npos);

  auto missing = Get(Url("/ui/nope.js"));
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(HeaderOf(*missing, "Content-Type").find("application/json"), std::string::npos);
  EXPECT_EQ(Get(Url("/ui/..%2Fdocuments.js"))->status, 404);
  EXPECT_EQ(Send("POST", Url("/ui/"), "{}", admin_key_)->status, 405);
  // The API stays behind the key.
  EXPECT_EQ(Get(Url("/v1/bots"))->status, 401);
}

// Runs `node tests/browser/documents_page.js <config.json>`; returns its exit code and output.
int RunNode(const std::string& node, const std::string& config_path, std::string* output) {
  const std::string script = std::string(RAGD_SOURCE_DIR) + "/tests/browser/documents_page.js";
  const std::string cmd = "'" + node + "' '" + script + "' '" + config_path + "' 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output->append(buffer, n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(WebUiTest, ChromiumUploadsThroughThePresignedUrlAndShowsStatus) {
  std::string chromium =
      std::getenv("RAGD_CHROMIUM") != nullptr ? std::getenv("RAGD_CHROMIUM") : "";
  if (chromium.empty()) chromium = FindExecutable("chromium");
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium is not installed, so the web UI was not tested in a real browser "
                    "(Debian: apt-get install chromium; scripts/setup.sh installs it)";
  }
  const std::string node = FindExecutable("node");
  ASSERT_FALSE(node.empty()) << "node is not on PATH; install Node.js and run "
                                "`npm ci --prefix tests/js`";

  CreateBot("kb", kFastBot);
  CreateBot("other", kFastBot);
  const std::filesystem::path files = std::filesystem::path(dir_.path()) / "browser-files";
  std::filesystem::create_directories(files);
  const nlohmann::json config = {
      {"url", server_->base_url()},
      {"key", admin_key_},
      {"bot", "kb"},
      {"chromium", chromium},
      {"pdf", std::string(RAGD_SHARED_DIR) + "/testdata/pdf/multi-column/naacl06-shinyama.pdf"},
      {"corrupt_pdf", std::string(RAGD_SHARED_DIR) + "/testdata/pdf/malformed/qpdf-bad1.pdf"},
      {"work_dir", files.string()},
      {"screenshot", "/tmp/ragd-web-ui-documents.png"},
  };
  const std::string config_path = dir_.path() + "/browser-test.json";
  std::ofstream(config_path) << config.dump(2);

  std::string output;
  const int rc = RunNode(node, config_path, &output);
  EXPECT_EQ(rc, 0) << output << "\n--- server log ---\n" << server_->stderr_text();
  EXPECT_NE(output.find("browser test passed"), std::string::npos) << output;
  if (rc == 0) std::cout << output;  // what the page showed, step by step
}

}  // namespace
}  // namespace ragd::testing
