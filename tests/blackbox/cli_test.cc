// The `ragd` command line as a user meets it: help, configuration errors, key management.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "core/config.h"
#include "tests/blackbox/ragd_process_util.h"

namespace ragd::testing {
namespace {

TEST(CliTest, HelpListsCommandsAndServeHelpDocumentsEveryOption) {
  CommandResult top = RunRagd({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("serve"), std::string::npos);
  EXPECT_NE(top.out.find("keys"), std::string::npos);
  CommandResult serve = RunRagd({"serve", "--help"});
  EXPECT_EQ(serve.exit_code, 0);
  for (const OptionSpec& spec : ConfigOptions()) {
    EXPECT_NE(serve.out.find("--" + FlagNameFor(spec.key)), std::string::npos) << spec.key;
    EXPECT_NE(serve.out.find(EnvNameFor(spec.key)), std::string::npos) << spec.key;
  }
}

TEST(CliTest, UnknownEnvironmentVariableStopsStartup) {
  TempDir dir;
  CommandResult r = RunRagd({"keys", "list", "--data-dir", dir.path()}, {{"RAGD_SERVR_PORT", "1"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("RAGD_SERVR_PORT"), std::string::npos) << r.err;
}

TEST(CliTest, ConfigFileIsReadAndFlagsOverrideIt) {
  TempDir dir;
  const std::string toml = dir.path() + "/ragd.toml";
  std::ofstream(toml) << "[data]\ndir = \"" << dir.path() << "/from-file\"\n";
  CommandResult r = RunRagd({"--config", toml, "keys", "create", "--name", "a"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/from-file/ragd.db"));
  // The flag wins over the file.
  r = RunRagd(
      {"--config", toml, "keys", "create", "--name", "b", "--data-dir", dir.path() + "/from-flag"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/from-flag/ragd.db"));
  // An unknown key in the file is an error naming it.
  std::ofstream(toml) << "[data]\ndirectory = \"x\"\n";
  r = RunRagd({"--config", toml, "keys", "list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("data.directory"), std::string::npos) << r.err;
}

TEST(CliTest, KeysCreateListRevoke) {
  TempDir dir;
  CommandResult created =
      RunRagd({"keys", "create", "--name", "ci bot", "--role", "admin", "--data-dir", dir.path()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const size_t at = created.out.find("key:  rgd_");
  ASSERT_NE(at, std::string::npos) << created.out;
  const std::string id = created.out.substr(created.out.find("id:   ") + 6, 12);

  CommandResult list = RunRagd({"keys", "list", "--data-dir", dir.path()});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find(id), std::string::npos);
  EXPECT_NE(list.out.find("ci bot"), std::string::npos);
  EXPECT_NE(list.out.find("active"), std::string::npos);
  EXPECT_EQ(list.out.find("rgd_"), std::string::npos) << "list must never show secrets";

  CommandResult revoke = RunRagd({"keys", "revoke", id, "--data-dir", dir.path()});
  EXPECT_EQ(revoke.exit_code, 0) << revoke.err;
  list = RunRagd({"keys", "list", "--data-dir", dir.path()});
  EXPECT_NE(list.out.find("revoked"), std::string::npos);
  CommandResult missing = RunRagd({"keys", "revoke", "nope", "--data-dir", dir.path()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no API key"), std::string::npos);
}

TEST(CliTest, RefusesADatabaseFromANewerRagd) {
  TempDir dir;
  ASSERT_EQ(RunRagd({"keys", "list", "--data-dir", dir.path()}).exit_code, 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() + "/ragd.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  RagdServer server(dir.path());
  EXPECT_FALSE(server.started());
  CommandResult r = RunRagd({"keys", "list", "--data-dir", dir.path()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("schema version 999"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("upgrade ragd"), std::string::npos);
}

}  // namespace
}  // namespace ragd::testing
