// A real server with an admin key, plus helpers for bots and the presigned document upload flow.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/blackbox/ragd_process_util.h"

namespace ragd::testing {

nlohmann::json JsonOf(const StatusOr<HttpResponse>& r);
std::string ReadFileBytes(const std::string& path);
std::string PdfFixture(const std::string& relative);  // ../shared/testdata/pdf/<relative>

class DocumentServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Starts (or restarts) the server on the same data directory.
  void StartServer(const std::vector<std::string>& extra = {},
                   const std::map<std::string, std::string>& env = {});
  std::string Url(const std::string& path) const { return server_->base_url() + path; }

  // Creates a bot; `config` is merged into {"key": key}.
  nlohmann::json CreateBot(const std::string& key,
                           nlohmann::json config = nlohmann::json::object());
  // POST .../documents then PUT the bytes to the returned URL exactly as a browser would.
  // Returns the document id ("" on failure, with test failures recorded).
  std::string Upload(const std::string& bot, const std::string& filename,
                     const std::string& content_type, const std::string& bytes,
                     nlohmann::json extra = nlohmann::json::object());
  // Polls GET .../documents/{id} until it is indexed or failed (or `seconds` pass).
  nlohmann::json WaitDone(const std::string& bot, const std::string& id, int seconds = 60);
  nlohmann::json Search(const std::string& bot, const std::string& query);

  TempDir dir_;
  std::string admin_key_;
  std::unique_ptr<RagdServer> server_;
};

}  // namespace ragd::testing
