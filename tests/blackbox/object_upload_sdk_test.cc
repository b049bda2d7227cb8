// The AWS SDK for JavaScript v3 against the real binary's upload endpoint (tests/js/
// s3_upload_reference.js): URLs presigned by @aws-sdk/s3-request-presigner for ragd's endpoint
// and credentials are accepted, @aws-sdk/client-s3 PutObject uploads with default settings, and
// the objects land intact. Also: the generated key pair survives a restart.
//
// Needs node on PATH and tests/js/node_modules (npm ci --prefix tests/js); fails, never skips,
// without them.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/checksums.h"
#include "core/crypto.h"
#include "tests/blackbox/object_upload_util.h"

namespace ragd::testing {
namespace {

std::string FindNode() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin:/usr/local/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = dir + "/node";
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string Body(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 37 + seed + (i >> 7));
  return s;
}

std::string Etag(const std::string& body) {
  Checksummer md5(ChecksumAlgorithm::kMd5);
  md5.Update(body);
  return "\"" + HexEncode(md5.Finish()) + "\"";
}

class SdkUploadTest : public ObjectServerTest {
 protected:
  // Runs the reference script on `cases`; results by case name.
  std::map<std::string, nlohmann::json> RunSdk(const nlohmann::json& cases) {
    const std::string js_dir = std::string(RAGD_SOURCE_DIR) + "/tests/js";
    for (const char* module : {"@aws-sdk/client-s3", "@aws-sdk/s3-request-presigner"}) {
      EXPECT_TRUE(std::filesystem::exists(js_dir + "/node_modules/" + module + "/package.json"))
          << js_dir << "/node_modules/" << module
          << " is missing: run `npm ci --prefix tests/js` in the repository";
    }
    const std::string node = FindNode();
    EXPECT_FALSE(node.empty()) << "node is not on PATH; install Node.js (Debian: apt-get install "
                                  "nodejs) and run `npm ci --prefix tests/js`";
    if (node.empty()) return {};
    nlohmann::json input = {{"endpoint", server_->base_url()},
                            {"region", "us-east-1"},
                            {"bucket", kBucket},
                            {"accessKeyId", kObjectKeyId},
                            {"secretAccessKey", kObjectSecret},
                            {"cases", cases}};
    const std::string input_file = dir_.path() + "-sdk-input.json";
    std::ofstream(input_file) << input.dump();
    const std::string command =
        "'" + node + "' '" + js_dir + "/s3_upload_reference.js' < '" + input_file + "' 2>/dev/null";
    FILE* pipe = popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr) << command;
    std::string out;
    char buf[4096];
    size_t n;
    while (pipe != nullptr && (n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
    const int status = pipe ? pclose(pipe) : -1;
    std::filesystem::remove(input_file);
    EXPECT_EQ(status, 0) << command << "\n" << out;
    const nlohmann::json results = nlohmann::json::parse(out, nullptr, false);
    EXPECT_TRUE(results.is_array()) << out;
    std::map<std::string, nlohmann::json> by_name;
    if (results.is_array()) {
      for (const auto& r : results) by_name[r["name"]] = r;
    }
    return by_name;
  }
};

TEST_F(SdkUploadTest, AwsSdkPresignedUrlsAndPutObjectUploadThroughRagd) {
  struct Upload {
    std::string name, mode, key, content_type, body, checksum;
    bool sign_content_type = false;
  };
  const std::vector<Upload> good = {
      {"presign", "presign", "sdk/presigned/a b+c ü (1).txt", "text/plain", Body(200000, 1), ""},
      {"presign-pinned-type", "presign", "sdk/presigned/pinned.csv", "text/csv", Body(1000, 2), "",
       true},
      {"put", "put", "sdk/put/a b+c ü.bin", "application/octet-stream", Body(2500000, 3), ""},
      {"put-crc32c", "put", "sdk/put/crc32c", "text/plain", Body(70000, 4), "CRC32C"},
      {"put-crc64nvme", "put", "sdk/put/crc64nvme", "text/plain", Body(70000, 5), "CRC64NVME"},
      {"put-sha1", "put", "sdk/put/sha1", "text/plain", Body(70000, 6), "SHA1"},
      {"put-sha256", "put", "sdk/put/sha256", "text/plain", Body(70000, 7), "SHA256"},
  };
  nlohmann::json cases = nlohmann::json::array();
  for (const Upload& u : good) {
    nlohmann::json c = {{"name", u.name},
                        {"mode", u.mode},
                        {"key", u.key},
                        {"contentType", u.content_type},
                        {"bodyBase64", Base64Encode(u.body)}};
    if (!u.checksum.empty()) c["checksumAlgorithm"] = u.checksum;
    if (u.sign_content_type) c["signContentType"] = true;
    cases.push_back(c);
  }
  const std::string small = Base64Encode("refused body");
  // A default client presigns x-amz-checksum-crc32 of the empty body into the URL; S3 answers the
  // upload with BadDigest, and so does ragd (requestChecksumCalculation WHEN_REQUIRED avoids it).
  cases.push_back({{"name", "presign-default"},
                   {"mode", "presign-default"},
                   {"key", "sdk/refused/default"},
                   {"contentType", "text/plain"},
                   {"bodyBase64", small}});
  cases.push_back({{"name", "wrong-secret"},
                   {"mode", "put"},
                   {"key", "sdk/refused/secret"},
                   {"contentType", "text/plain"},
                   {"bodyBase64", small},
                   {"secretAccessKey", "wrong-secret-0123456789"}});
  cases.push_back({{"name", "stream"},
                   {"mode", "put-stream"},
                   {"key", "sdk/refused/stream"},
                   {"contentType", "text/plain"},
                   {"bodyBase64", small}});

  std::map<std::string, nlohmann::json> results = RunSdk(cases);
  ASSERT_EQ(results.size(), cases.size());
  for (const Upload& u : good) {
    SCOPED_TRACE(u.name);
    const nlohmann::json& r = results[u.name];
    ASSERT_EQ(r.value("status", 0), 200) << r.dump();
    EXPECT_EQ(r.value("etag", ""), Etag(u.body));
    StatusOr<ObjectInfo> info = store().Head(kBucket, u.key);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->sha256, Sha256Hex(u.body));
    EXPECT_EQ(info->content_type, u.content_type);
    EXPECT_EQ(ReadObject(u.key), u.body);
  }
  // What PutObject with a Buffer body sends by default (header auth, signed payload hash, CRC32).
  const nlohmann::json& sent = results["put"]["requestHeaders"];
  EXPECT_EQ(sent.value("x-amz-content-sha256", ""), Sha256Hex(good[2].body));
  EXPECT_EQ(sent.value("x-amz-sdk-checksum-algorithm", ""), "CRC32");
  EXPECT_EQ(sent.value("x-amz-checksum-crc32", ""),
            ChecksumBase64(ChecksumAlgorithm::kCrc32, good[2].body));
  EXPECT_EQ(results["presign-pinned-type"].value("url", "").find("content-type%3Bhost") !=
                std::string::npos,
            true)
      << results["presign-pinned-type"].dump();

  EXPECT_EQ(results["presign-default"].value("status", 0), 400) << results["presign-default"];
  EXPECT_EQ(results["presign-default"].value("code", ""), "BadDigest");
  EXPECT_EQ(results["wrong-secret"].value("status", 0), 403);
  EXPECT_EQ(results["wrong-secret"].value("code", ""), "SignatureDoesNotMatch");
  EXPECT_EQ(results["stream"].value("status", 0), 501) << results["stream"];
  EXPECT_EQ(results["stream"].value("code", ""), "NotImplemented");
  EXPECT_EQ(results["stream"]["requestHeaders"].value("x-amz-content-sha256", ""),
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  for (const char* key : {"sdk/refused/default", "sdk/refused/secret", "sdk/refused/stream"}) {
    ExpectNothingStored(key);
  }
}

class GeneratedCredentialsTest : public ObjectServerTest {
 protected:
  void SetUp() override {
    StartServer({{"RAGD_OBJECTS_ACCESS_KEY_ID", ""}, {"RAGD_OBJECTS_SECRET_ACCESS_KEY", ""}});
  }
  std::string Setting(const std::string& name) {
    std::string value;
    EXPECT_TRUE(db_->Read([&](Connection& c) -> Status {
                     RAGD_ASSIGN_OR_RETURN(Statement st,
                                           c.Prepare("SELECT value FROM settings WHERE name = ?"));
                     st.Bind(1, name);
                     RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
                     if (row) value = st.Text(0);
                     return OkStatus();
                   })
                    .ok());
    return value;
  }
};

TEST_F(GeneratedCredentialsTest, GeneratedKeyPairIsKeptAcrossRestarts) {
  const std::string id = Setting("objects.access_key_id");
  const std::string secret = Setting("objects.secret_access_key");
  ASSERT_EQ(id.size(), 20u);
  ASSERT_EQ(secret.size(), 40u);
  EXPECT_EQ(server_->stderr_text().find(secret), std::string::npos);
  const std::string old_host = Host();
  const UploadUrl url = Issue("restart/doc.txt", "text/plain", 5, {}, secret, id);
  EXPECT_EQ(Put(url.url, "first", url.headers)->status, 200);

  ASSERT_EQ(server_->StopWith(SIGTERM), 0);
  StartServer({{"RAGD_OBJECTS_ACCESS_KEY_ID", ""}, {"RAGD_OBJECTS_SECRET_ACCESS_KEY", ""}});
  EXPECT_EQ(Setting("objects.access_key_id"), id);
  // The same URL, sent to the restarted server (on a new port, so the signed Host is kept).
  const std::string path_and_query = url.url.substr(url.url.find('/', 8));
  HttpHeaders headers = url.headers;
  headers.emplace_back("Host", old_host);
  auto r = Put(Url(path_and_query), "again", headers);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(ReadObject("restart/doc.txt"), "again");
}

}  // namespace
}  // namespace ragd::testing
