// The document flow of the real binary, as a browser uses it: POST a document, PUT the bytes to
// the presigned URL, watch it become indexed and searchable; duplicates, deletes, bad files,
// expired URLs and malformed requests.
#include <signal.h>

#include <thread>

#include "tests/blackbox/documents_util.h"

namespace ragd::testing {
namespace {

const nlohmann::json kFastBot = {{"knowledge", {{"embedder", {{"provider", "hashing"}}}}}};

nlohmann::json BotStats(DocumentServerTest& t, const std::string& url, const std::string& key) {
  (void)t;
  return JsonOf(Get(url, key))["stats"];
}

using DocumentFlowTest = DocumentServerTest;

TEST_F(DocumentFlowTest, UploadedPdfBecomesSearchableWithPagesAndCitations) {
  CreateBot("kb", kFastBot);
  const std::string id = Upload("kb", "tracemonkey.pdf", "application/pdf",
                                PdfFixture("multi-column/tracemonkey.pdf"));
  const nlohmann::json doc = WaitDone("kb", id);
  ASSERT_EQ(doc["status"], "indexed") << doc.dump();
  EXPECT_EQ(doc["page_count"], 14);
  EXPECT_GT(doc["chunk_count"].get<int>(), 10);
  EXPECT_EQ(doc["progress"]["done"], doc["progress"]["total"]);
  EXPECT_FALSE(doc["sha256"].is_null());

  const nlohmann::json results = Search("kb", "trace trees type specialization")["results"];
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results[0]["document_id"], id);
  EXPECT_GE(results[0]["page_start"].get<int>(), 1);
  EXPECT_LE(results[0]["page_end"].get<int>(), 14);
  EXPECT_NE(results[0]["text"].get<std::string>().find("trace"), std::string::npos);

  const nlohmann::json stats = BotStats(*this, Url("/v1/bots/kb"), admin_key_);
  EXPECT_EQ(stats["chunks"], doc["chunk_count"]);
  EXPECT_EQ(stats["vectors"], doc["chunk_count"]);
}

TEST_F(DocumentFlowTest, SameContentTwiceIsRecognisedAndDeleteRemovesEverything) {
  CreateBot("kb", kFastBot);
  const std::string text =
      "Returns are accepted within 30 days of purchase with the receipt.\n\n"
      "Frames carry a lifetime warranty against manufacturing defects.\n";
  const std::string first = Upload("kb", "policy.txt", "text/plain", text);
  const nlohmann::json a = WaitDone("kb", first);
  ASSERT_EQ(a["status"], "indexed") << a.dump();
  const std::string second = Upload("kb", "policy-copy.txt", "text/plain", text);
  const nlohmann::json b = WaitDone("kb", second);
  EXPECT_EQ(b["status"], "indexed");
  EXPECT_EQ(b["duplicate_of"], first);
  EXPECT_EQ(b["chunk_count"], 0);
  EXPECT_EQ(BotStats(*this, Url("/v1/bots/kb"), admin_key_)["chunks"], a["chunk_count"]);

  auto listed = JsonOf(Get(Url("/v1/bots/kb/documents"), admin_key_));
  ASSERT_EQ(listed["documents"].size(), 2u);
  EXPECT_EQ(listed["documents"][0]["document_id"], second);  // newest first

  // Deleting the original hands its role to the copy, which is indexed in its own right.
  auto del = Send("DELETE", Url("/v1/bots/kb/documents/" + first), "", admin_key_);
  ASSERT_EQ(del->status, 204);
  EXPECT_EQ(Get(Url("/v1/bots/kb/documents/" + first), admin_key_)->status, 404);
  const nlohmann::json heir = WaitDone("kb", second);
  EXPECT_EQ(heir["status"], "indexed");
  EXPECT_TRUE(heir["duplicate_of"].is_null());
  EXPECT_EQ(heir["chunk_count"], a["chunk_count"]);
  nlohmann::json results = Search("kb", "lifetime warranty frames")["results"];
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results[0]["document_id"], second);

  ASSERT_EQ(Send("DELETE", Url("/v1/bots/kb/documents/" + second), "", admin_key_)->status, 204);
  const nlohmann::json stats = BotStats(*this, Url("/v1/bots/kb"), admin_key_);
  EXPECT_EQ(stats["chunks"], 0);
  EXPECT_EQ(stats["vectors"], 0);
  EXPECT_TRUE(Search("kb", "lifetime warranty frames")["results"].empty());
}

TEST_F(DocumentFlowTest, BadFilesFailWithAReasonAndTheServerKeepsServing) {
  CreateBot("kb", kFastBot);
  struct Case {
    std::string fixture;
    std::string password;
    std::string expect_status;
    std::string expect_error;
  };
  const std::vector<Case> cases = {
      {"malformed/qpdf-bad1.pdf", "", "failed", ""},
      {"encrypted/pypdf-r6-both-passwords.pdf", "", "failed", "password required"},
      {"encrypted/pdfminer-aes-256.pdf", "baz", "indexed", ""},
      {"image-only/imagemagick-CCITTFaxDecode.pdf", "", "failed", "no text layer"},
      {"malformed/qpdf-bad2.pdf", "", "indexed", ""},
  };
  for (const Case& c : cases) {
    nlohmann::json extra = nlohmann::json::object();
    if (!c.password.empty()) extra["password"] = c.password;
    const std::string id = Upload("kb", c.fixture, "application/pdf", PdfFixture(c.fixture), extra);
    const nlohmann::json doc = WaitDone("kb", id);
    EXPECT_EQ(doc["status"], c.expect_status) << c.fixture << ": " << doc.dump();
    if (c.expect_status == "failed") {
      ASSERT_TRUE(doc["error"].is_string()) << c.fixture;
      EXPECT_NE(doc["error"].get<std::string>().find(c.expect_error), std::string::npos)
          << c.fixture << ": " << doc["error"];
    }
    EXPECT_EQ(doc.dump().find(c.password.empty() ? "\x01" : c.password), std::string::npos)
        << "the password must never be returned";
    EXPECT_EQ(Get(Url("/health"))->status, 200);
  }
  EXPECT_EQ(server_->stderr_text().find("\"baz\""), std::string::npos) << "password in the log";
}

TEST_F(DocumentFlowTest, MalformedRequestsGetClearErrors) {
  CreateBot("kb", kFastBot);
  auto post = [&](const std::string& body) {
    return Send("POST", Url("/v1/bots/kb/documents"), body, admin_key_);
  };
  auto r = post(R"({"filename":"a.pdf","content_type":"application/pdf"})");
  EXPECT_EQ(r->status, 422);
  EXPECT_NE(r->body.find("size"), std::string::npos);
  r = post(R"({"filename":"a.exe","content_type":"application/x-msdownload","size":10})");
  EXPECT_EQ(r->status, 415) << r->body;
  r = post(R"({"filename":"a.pdf","content_type":"application/pdf","size":999999999999})");
  EXPECT_EQ(r->status, 413) << r->body;
  r = post("{not json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Send("POST", Url("/v1/bots/nope/documents"),
                 R"({"filename":"a.pdf","content_type":"application/pdf","size":10})", admin_key_)
                ->status,
            404);
  r = Send("POST", Url("/v1/bots"), R"({"key":"bad key!"})", admin_key_);
  EXPECT_EQ(r->status, 422);
  r = Send("POST", Url("/v1/bots"), R"({"key":"x","knowledge":{"max_results":0}})", admin_key_);
  EXPECT_EQ(r->status, 422);
  EXPECT_NE(r->body.find("knowledge.max_results"), std::string::npos) << r->body;
  r = Send("POST", Url("/v1/bots"), R"({"key":"kb"})", admin_key_);
  EXPECT_EQ(r->status, 409);
}

TEST_F(DocumentFlowTest, PrivateBotsAreInvisibleToOtherUsers) {
  auto key = [&](const std::string& name) {
    auto r =
        Send("POST", Url("/v1/keys"), R"({"name":")" + name + R"(","role":"user"})", admin_key_);
    return JsonOf(r)["key"].get<std::string>();
  };
  const std::string alice = key("alice"), bob = key("bob");
  auto r = Send("POST", Url("/v1/bots"),
                R"({"key":"alices","knowledge":{"embedder":{"provider":"hashing"}}})", alice);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(Get(Url("/v1/bots/alices"), alice)->status, 200);
  EXPECT_EQ(Get(Url("/v1/bots/alices"), bob)->status, 404);
  EXPECT_EQ(Get(Url("/v1/bots/alices/documents"), bob)->status, 404);
  EXPECT_EQ(JsonOf(Get(Url("/v1/bots"), bob))["bots"].size(), 0u);
  // Only admins share bots.
  r = Send("PATCH", Url("/v1/bots/alices"), R"({"visibility":"shared"})", alice);
  EXPECT_EQ(r->status, 403);
  r = Send("PATCH", Url("/v1/bots/alices"), R"({"visibility":"shared"})", admin_key_);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Get(Url("/v1/bots/alices"), bob)->status, 200);
  // Readers of a shared bot cannot change it or add documents.
  EXPECT_EQ(Send("PATCH", Url("/v1/bots/alices"), R"({"title":"x"})", bob)->status, 403);
  EXPECT_EQ(Send("POST", Url("/v1/bots/alices/documents"),
                 R"({"filename":"a.txt","content_type":"text/plain","size":3})", bob)
                ->status,
            403);
}

TEST_F(DocumentFlowTest, ExpiredUploadUrlIsRefusedAndNothingIsStored) {
  StartServer({"--objects-url-expiry-seconds", "1"});
  CreateBot("kb", kFastBot);
  nlohmann::json req = {{"filename", "a.txt"}, {"content_type", "text/plain"}, {"size", 5}};
  const nlohmann::json doc =
      JsonOf(Send("POST", Url("/v1/bots/kb/documents"), req.dump(), admin_key_));
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  HttpHeaders headers;
  for (const auto& [name, value] : doc["upload"]["headers"].items())
    headers.emplace_back(name, value);
  auto put = Send("PUT", doc["upload"]["url"], "hello", "", headers);
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->status, 403);
  EXPECT_NE(put->body.find("Request has expired"), std::string::npos) << put->body;
  const nlohmann::json after = JsonOf(
      Get(Url("/v1/bots/kb/documents/" + doc["document_id"].get<std::string>()), admin_key_));
  EXPECT_EQ(after["status"], "pending_upload");
  // Asking to ingest a document that never arrived is a clear 4xx.
  auto ingest = Send(
      "POST", Url("/v1/bots/kb/documents/" + doc["document_id"].get<std::string>() + "/ingest"), "",
      admin_key_);
  EXPECT_EQ(ingest->status, 409) << ingest->body;
}

TEST_F(DocumentFlowTest, IndexesSurviveARestart) {
  CreateBot("kb", kFastBot);
  const std::string id =
      Upload("kb", "naacl.pdf", "application/pdf", PdfFixture("multi-column/naacl06-shinyama.pdf"));
  ASSERT_EQ(WaitDone("kb", id)["status"], "indexed");
  const nlohmann::json before = Search("kb", "unrestricted relation discovery");
  ASSERT_EQ(server_->StopWith(SIGTERM), 0);
  StartServer();
  EXPECT_EQ(Search("kb", "unrestricted relation discovery"), before);
  const nlohmann::json stats = BotStats(*this, Url("/v1/bots/kb"), admin_key_);
  EXPECT_EQ(stats["vectors"], stats["chunks"]);
}

}  // namespace
}  // namespace ragd::testing

namespace ragd::testing {
namespace {

TEST_F(DocumentServerTest, S3EventNotificationsQueueKnownObjectsAndSkipOddRecords) {
  CreateBot("kb", {{"knowledge", {{"embedder", {{"provider", "hashing"}}}}}});
  // Fields of the wrong type are skipped, not a failed request.
  auto r =
      Send("POST", Url("/v1/events/s3"),
           R"({"Records":[{"eventName":5},{"eventName":"ObjectCreated:Put","s3":7}]})", admin_key_);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(JsonOf(r)["accepted"], 0);
  EXPECT_EQ(Get(Url("/health"))->status, 200);

  // An SNS envelope naming an object that was stored: its document is (re)queued and indexed.
  const std::string id = Upload("kb", "a.txt", "text/plain", "Frames have a lifetime warranty.");
  ASSERT_EQ(WaitDone("kb", id)["status"], "indexed");
  const nlohmann::json event = {{"Records",
                                 {{{"eventName", "ObjectCreated:Put"},
                                   {"s3",
                                    {{"bucket", {{"name", "ragd-uploads"}}},
                                     {"object", {{"key", "bots/kb/" + id}, {"size", 32}}}}}}}}};
  r = Send("POST", Url("/v1/events/s3"), nlohmann::json{{"Message", event.dump()}}.dump(),
           admin_key_);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(JsonOf(r)["accepted"], 1);
  EXPECT_EQ(WaitDone("kb", id)["status"], "indexed");
}

}  // namespace
}  // namespace ragd::testing
