// S3Client::PresignPut / PresignGet give the very URL the AWS SDK for JavaScript v3 getSignedUrl
// gives (via tests/js/sigv4_reference.js), byte for byte, for virtual-hosted and path-style
// addressing. Needs node and `npm ci --prefix tests/js`; missing either fails, never skips.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/s3_client.h"
#include "tests/aws/s3_server_util.h"

namespace ragd {
namespace {

using nlohmann::json;

std::string FindNode() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path == nullptr ? "" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/node";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

struct PresignCase {
  std::string method;  // "PUT" / "GET"
  std::string region;
  std::string endpoint;  // "" = AWS
  bool force_path_style = false;
  std::string bucket;
  std::string key;
  AwsCredentials credentials;
  int64_t expires = 900;
};

TEST(S3PresignSdkTest, UrlsMatchGetSignedUrl) {
  const std::string js_dir = std::string(RAGD_SOURCE_DIR) + "/tests/js";
  const std::string node = FindNode();
  ASSERT_FALSE(node.empty()) << "node is not on PATH; install Node.js and run "
                                "`npm ci --prefix tests/js`";
  ASSERT_TRUE(std::filesystem::exists(js_dir + "/node_modules/@aws-sdk/s3-request-presigner"))
      << "run `npm ci --prefix tests/js`";

  const AwsCredentials plain{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                             ""};
  AwsCredentials temporary = plain;
  temporary.session_token = "FQoGZXIvYXdzEJr//////////wEaDOqTestToken+/=";
  const std::vector<PresignCase> cases = {
      {"GET", "eu-west-1", "", false, "my-bucket", "docs/a b+c~\xc3\xa9.pdf", plain, 900},
      {"PUT", "eu-west-1", "", false, "my-bucket", "uploads/bot 1/r\xc3\xa9sum\xc3\xa9 (2).docx",
       temporary, 3600},
      {"PUT", "us-east-1", "http://127.0.0.1:9000", true, "ragd-test", "x/y z&=?#.txt", plain, 60},
      {"GET", "us-east-1", "", false, "my.dotted.bucket", "k", plain, 604800},
      {"PUT", "ap-southeast-2", "", true, "bucket-2", "/leading//double", plain, 1},
  };
  const auto signing_time =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
  FakeClock clock(signing_time);
  testing::FakeS3Transport transport([](const HttpRequest&, int) { return HttpResponse{}; });

  json input = json::array();
  std::vector<std::string> ours;
  for (const PresignCase& c : cases) {
    S3ClientOptions options;
    options.region = c.region;
    options.endpoint = c.endpoint;
    options.addressing_style =
        c.force_path_style ? S3AddressingStyle::kPath : S3AddressingStyle::kAuto;
    auto client = S3Client::Create(options, transport, clock, FixedAwsCredentials(c.credentials));
    ASSERT_TRUE(client.ok());
    S3PresignOptions presign;
    presign.expires = std::chrono::seconds(c.expires);
    StatusOr<S3PresignedRequest> url = c.method == "PUT"
                                           ? (*client)->PresignPut(c.bucket, c.key, presign)
                                           : (*client)->PresignGet(c.bucket, c.key, presign);
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    ours.push_back(url->url);
    const S3Target target = (*client)->Target(c.bucket, c.key).value();
    input.push_back({{"region", c.region},
                     {"service", "s3"},
                     {"access_key_id", c.credentials.access_key_id},
                     {"secret_access_key", c.credentials.secret_access_key},
                     {"session_token", c.credentials.session_token},
                     {"signing_date_ms", 1700000000123},
                     {"expires", c.expires},
                     {"method", c.method},
                     {"protocol", target.scheme + ":"},
                     {"hostname", target.host},
                     {"path", target.path},
                     {"query", json::array()},
                     {"headers", json::array({json::array({"host", target.host})})},
                     {"body", nullptr},
                     {"uri_escape_path", false},
                     {"apply_checksum", true},
                     {"s3",
                      {{"op", c.method == "PUT" ? "put" : "get"},
                       {"bucket", c.bucket},
                       {"key", c.key},
                       {"endpoint", c.endpoint.empty() ? json(nullptr) : json(c.endpoint)},
                       {"force_path_style", c.force_path_style},
                       {"metadata", json::object()},
                       {"sse", nullptr},
                       {"content_length", nullptr},
                       {"response_content_disposition", nullptr},
                       {"version_id", nullptr}}}});
  }

  const std::string input_path = ::testing::TempDir() + "ragd_s3_presign_input.json";
  std::ofstream(input_path) << input.dump();
  const std::string command =
      "'" + node + "' '" + js_dir + "/sigv4_reference.js' '" + input_path + "'";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  const int exit_status = pclose(pipe);
  std::filesystem::remove(input_path);
  ASSERT_EQ(exit_status, 0) << output;
  const json results = json::parse(output, nullptr, false);
  ASSERT_TRUE(results.is_array() && results.size() == cases.size()) << output;
  for (size_t i = 0; i < cases.size(); ++i) {
    ASSERT_TRUE(results[i].contains("presigned_url")) << results[i].dump();
    EXPECT_EQ(ours[i], results[i]["presigned_url"].get<std::string>()) << "case " << i;
  }
}

}  // namespace
}  // namespace ragd
