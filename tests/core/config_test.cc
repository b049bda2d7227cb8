#include "core/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ragd {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  std::string WriteToml(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("ragd_config_test_" + std::to_string(::getpid()) + ".toml");
    std::ofstream(path_) << text;
    return path_.string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

TEST_F(ConfigTest, DefaultsWithoutAnySource) {
  auto config = LoadConfig({});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server_port, 8080);
  EXPECT_EQ(config->server_host, "127.0.0.1");
  EXPECT_EQ(config->data_dir, "ragd-data");
}

TEST_F(ConfigTest, FileThenEnvironmentThenFlagsInIncreasingPrecedence) {
  ConfigSources sources;
  sources.toml_path = WriteToml(
      "[server]\nport = 9001\nhost = \"0.0.0.0\"\nmax_body_bytes = 4096\n[log]\nlevel = "
      "\"warn\"\n");
  sources.env = {{"RAGD_SERVER_PORT", "9002"}, {"RAGD_LOG_LEVEL", "debug"}};
  sources.flags = {{"server.port", "9003"}};
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server_port, 9003);       // flag beats env and file
  EXPECT_EQ(config->log_level, "debug");      // env beats file
  EXPECT_EQ(config->server_host, "0.0.0.0");  // file beats default
  EXPECT_EQ(config->server_max_body_bytes, 4096);
  EXPECT_EQ(config->data_dir, "ragd-data");  // default when nobody sets it

  sources.flags.clear();
  config = LoadConfig(sources);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->server_port, 9002);
  sources.env.clear();
  config = LoadConfig(sources);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->server_port, 9001);
}

TEST_F(ConfigTest, UnknownTomlKeyIsAnError) {
  ConfigSources sources;
  sources.toml_path = WriteToml("[server]\nprot = 9001\n");
  auto config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("unknown option 'server.prot'"), std::string::npos)
      << config.status().message();
}

TEST_F(ConfigTest, UnknownEnvironmentVariableIsAnError) {
  ConfigSources sources;
  sources.env = {{"RAGD_SERVER_PROT", "1"}};
  auto config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("RAGD_SERVER_PROT"), std::string::npos);
}

TEST_F(ConfigTest, BadValuesNameTheirSourceAndKey) {
  ConfigSources sources;
  sources.env = {{"RAGD_SERVER_PORT", "eighty"}};
  auto config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("RAGD_SERVER_PORT"), std::string::npos);
  EXPECT_NE(config.status().message().find("not an integer"), std::string::npos);

  sources.env = {};
  sources.flags = {{"server.port", "70000"}};
  config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("--server-port"), std::string::npos);
  EXPECT_NE(config.status().message().find("out of range"), std::string::npos);

  sources.flags = {{"log.level", "loud"}};
  EXPECT_FALSE(LoadConfig(sources).ok());
}

TEST_F(ConfigTest, MalformedTomlReportsLine) {
  ConfigSources sources;
  sources.toml_path = WriteToml("[server]\nport = = 3\n");
  auto config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(":2:"), std::string::npos) << config.status().message();
}

TEST_F(ConfigTest, ExplicitMissingFileIsAnErrorButDefaultMissingFileIsNot) {
  ConfigSources sources;
  sources.toml_path = "/nonexistent/ragd.toml";
  EXPECT_TRUE(LoadConfig(sources).ok());
  sources.toml_required = true;
  auto config = LoadConfig(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
}

TEST(ConfigNames, DerivedSpellings) {
  EXPECT_EQ(EnvNameFor("server.max_body_bytes"), "RAGD_SERVER_MAX_BODY_BYTES");
  EXPECT_EQ(FlagNameFor("server.max_body_bytes"), "server-max-body-bytes");
  for (const OptionSpec& spec : ConfigOptions()) {
    EXPECT_FALSE(spec.help.empty()) << spec.key;
  }
}

}  // namespace
}  // namespace ragd
