#include "tests/blackbox/documents_util.h"

#include <fstream>
#include <thread>

#include "aws/uri_encode.h"

namespace ragd::testing {

nlohmann::json JsonOf(const StatusOr<HttpResponse>& r) {
  return r.ok() ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string PdfFixture(const std::string& relative) {
  return ReadFileBytes(std::string(RAGD_SHARED_DIR) + "/testdata/pdf/" + relative);
}

void DocumentServerTest::SetUp() {
  CommandResult created =
      RunRagd({"keys", "create", "--name", "admin", "--role", "admin", "--data-dir", dir_.path()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  admin_key_ = created.out.substr(created.out.find("rgd_"), 49);
  StartServer();
}

void DocumentServerTest::StartServer(const std::vector<std::string>& extra,
                                     const std::map<std::string, std::string>& env) {
  server_.reset();
  std::vector<std::string> args = extra;
  server_ = std::make_unique<RagdServer>(dir_.path(), args, env);
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
}

nlohmann::json DocumentServerTest::CreateBot(const std::string& key, nlohmann::json config) {
  config["key"] = key;
  auto r = Send("POST", Url("/v1/bots"), config.dump(), admin_key_);
  EXPECT_TRUE(r.ok() && r->status == 201) << (r.ok() ? r->body : r.status().ToString());
  return JsonOf(r);
}

std::string DocumentServerTest::Upload(const std::string& bot, const std::string& filename,
                                       const std::string& content_type, const std::string& bytes,
                                       nlohmann::json extra) {
  extra["filename"] = filename;
  extra["content_type"] = content_type;
  extra["size"] = bytes.size();
  auto created = Send("POST", Url("/v1/bots/" + bot + "/documents"), extra.dump(), admin_key_);
  EXPECT_TRUE(created.ok() && created->status == 201)
      << (created.ok() ? created->body : created.status().ToString());
  const nlohmann::json doc = JsonOf(created);
  if (!doc.contains("upload")) return "";
  EXPECT_EQ(doc["status"], "pending_upload");
  HttpHeaders headers;
  for (const auto& [name, value] : doc["upload"]["headers"].items()) {
    headers.emplace_back(name, value.get<std::string>());
  }
  // No API key: the presigned URL is the permission.
  auto put = Send(doc["upload"]["method"], doc["upload"]["url"], bytes, "", headers);
  EXPECT_TRUE(put.ok() && put->status == 200) << (put.ok() ? put->body : put.status().ToString());
  return doc["document_id"];
}

nlohmann::json DocumentServerTest::WaitDone(const std::string& bot, const std::string& id,
                                            int seconds) {
  nlohmann::json doc;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    doc = JsonOf(Get(Url("/v1/bots/" + bot + "/documents/" + id), admin_key_));
    if (doc.value("status", "") == "indexed" || doc.value("status", "") == "failed") return doc;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "document " << id << " not done: " << doc.dump();
  return doc;
}

nlohmann::json DocumentServerTest::Search(const std::string& bot, const std::string& query) {
  std::string q;
  for (char c : query) q += c == ' ' ? std::string("+") : UriEncode(std::string(1, c));
  auto r = Get(Url("/v1/bots/" + bot + "/search?q=" + q), admin_key_);
  EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
  return JsonOf(r);
}

}  // namespace ragd::testing
