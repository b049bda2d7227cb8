// Shared by the black-box tests of the local S3-compatible upload endpoint: a real `ragd serve`
// with a known object key pair, an issuer of upload URLs for it (the product's own
// LocalUploadUrlIssuer), and a view of its object store opened on the same data directory.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/http_client.h"
#include "core/sqlite.h"
#include "ingest/local_object_store.h"
#include "ingest/upload_urls.h"
#include "tests/blackbox/ragd_process_util.h"

namespace ragd::testing {

inline constexpr char kObjectKeyId[] = "RGDBLACKBOXKEY000000";
inline constexpr char kObjectSecret[] = "blackbox-object-secret-0123456789";
inline constexpr char kBucket[] = "ragd-uploads";

class ObjectServerTest : public ::testing::Test {
 protected:
  // Starts the server with the key pair in RAGD_OBJECTS_* plus `extra_env` and `flags`.
  void StartServer(const std::map<std::string, std::string>& extra_env = {},
                   const std::vector<std::string>& flags = {});
  void SetUp() override { StartServer({}, {"--objects-max-upload-bytes", "4194304"}); }

  std::string Url(const std::string& path) const { return server_->base_url() + path; }
  // Issues an upload URL with ragd's own issuer and credentials (`secret` overrides).
  UploadUrl Issue(const std::string& key, const std::string& content_type = "",
                  std::optional<uint64_t> size = std::nullopt,
                  std::chrono::seconds expiry = std::chrono::seconds(0),
                  const std::string& secret = kObjectSecret,
                  const std::string& key_id = kObjectKeyId);
  StatusOr<HttpResponse> Put(const std::string& url, const std::string& body,
                             const HttpHeaders& headers = {});
  // Sends `request` as is on a new connection and returns everything the server answers.
  std::string RawExchange(const std::string& request);
  std::string Host() const;  // "127.0.0.1:<port>"

  // The store as the server sees it (same ragd.db and objects/ directory).
  LocalObjectStore& store() { return *store_; }
  std::string ReadObject(const std::string& key);
  // Asserts no object `key`, no leftover body in objects/tmp, and a healthy server.
  void ExpectNothingStored(const std::string& key);

  TempDir dir_;
  std::unique_ptr<RagdServer> server_;
  std::unique_ptr<HttpTransport> http_ = NewCurlTransport();
  std::unique_ptr<LocalUploadUrlIssuer> issuer_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<LocalObjectStore> store_;
};

// The <Code> of an S3 XML error body ("" if none); also checks the document's shape.
std::string S3ErrorCode(const StatusOr<HttpResponse>& response);
std::string S3ErrorCode(const std::string& body);

}  // namespace ragd::testing
