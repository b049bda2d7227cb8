// The environment and shared-file links of the credentials chain, the INI parser, the region
// chain and the "nothing found" error.
#include "aws/credentials.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <map>
#include <string>

#include "aws/credentials_internal.h"
#include "tests/aws/credentials_test_util.h"

namespace ragd {
namespace {

using cred_test::RecordingTransport;
using cred_test::TempDir;

class CredentialFilesTest : public ::testing::Test {
 protected:
  // An environment with HOME pointing at the temp dir and IMDS off, plus `extra`.
  EnvLookup Env(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env = {{"HOME", dir_.path()},
                                              {"AWS_EC2_METADATA_DISABLED", "true"}};
    for (auto& [k, v] : extra) env[k] = v;
    return EnvFromMap(std::move(env));
  }
  StatusOr<ResolvedAwsCredentials> Resolve(const EnvLookup& env) {
    AwsCredentialChain chain(env, transport_, clock_);
    return chain.GetResolvedCredentials();
  }

  TempDir dir_;
  RecordingTransport transport_;
  FakeClock clock_{cred_test::TestEpoch()};
};

TEST_F(CredentialFilesTest, CredentialEnvironmentWinsOverFiles) {
  dir_.Write(".aws/credentials",
             "[default]\naws_access_key_id = FILEKEY\n"
             "aws_secret_access_key = filesecret\n");
  auto got = Resolve(Env({{"AWS_ACCESS_KEY_ID", "ENVKEY"},
                          {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                          {"AWS_SESSION_TOKEN", "envtoken"}}));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(got->credentials.secret_access_key, "envsecret");
  EXPECT_EQ(got->credentials.session_token, "envtoken");
  EXPECT_EQ(got->source, "environment");
  EXPECT_FALSE(got->expiration.has_value());
  EXPECT_EQ(transport_.count(), 0u);
}

TEST_F(CredentialFilesTest, CredentialEnvironmentNeedsBothKeys) {
  dir_.Write(".aws/credentials",
             "[default]\naws_access_key_id = FILEKEY\n"
             "aws_secret_access_key = filesecret\n");
  auto got = Resolve(Env({{"AWS_ACCESS_KEY_ID", "ENVKEY"}, {"AWS_SECRET_ACCESS_KEY", ""}}));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->credentials.access_key_id, "FILEKEY");
  EXPECT_EQ(got->source, "shared-files (profile default)");
}

TEST_F(CredentialFilesTest, CredentialEnvironmentExpiration) {
  auto got = Resolve(Env({{"AWS_ACCESS_KEY_ID", "K"},
                          {"AWS_SECRET_ACCESS_KEY", "S"},
                          {"AWS_CREDENTIAL_EXPIRATION", "2026-01-01T01:00:00Z"}}));
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->expiration.has_value());
  EXPECT_EQ(*got->expiration, cred_test::TestEpoch() + std::chrono::hours(1));
}

TEST_F(CredentialFilesTest, CredentialProfileSelection) {
  dir_.Write(".aws/credentials",
             "[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsecret\n"
             "[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = devsecret\n"
             "aws_session_token = devtoken\n");
  auto got = Resolve(Env({{"AWS_PROFILE", "dev"}}));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->credentials.access_key_id, "DEVKEY");
  EXPECT_EQ(got->credentials.session_token, "devtoken");
  EXPECT_EQ(got->source, "shared-files (profile dev)");

  got = Resolve(Env());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->credentials.access_key_id, "DEFKEY");
  EXPECT_EQ(got->credentials.session_token, "");

  got = Resolve(Env({{"AWS_PROFILE", "missing"}}));
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(got.status().message().find("profile \"missing\" not found"), std::string::npos)
      << got.status().message();
}

TEST_F(CredentialFilesTest, CredentialConfigFileOnly) {
  // [profile dev] in the config file; a bare [dev] section there is not a profile.
  dir_.Write(".aws/config",
             "[dev]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n"
             "[profile dev]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n"
             "[default]\naws_access_key_id = CFGDEF\naws_secret_access_key = cfgdefsecret\n");
  auto got = Resolve(Env({{"AWS_PROFILE", "dev"}}));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->credentials.access_key_id, "CFGKEY");
  got = Resolve(Env());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->credentials.access_key_id, "CFGDEF");
}

TEST_F(CredentialFilesTest, CredentialsFileWinsForKeysOverConfig) {
  dir_.Write(".aws/config",
             "[profile dev]\naws_access_key_id = CFGKEY\n"
             "aws_secret_access_key = cfgsecret\naws_session_token = cfgtoken\n");
  dir_.Write(".aws/credentials",
             "[dev]\naws_access_key_id = CREDKEY\n"
             "aws_secret_access_key = credsecret\n");
  auto got = Resolve(Env({{"AWS_PROFILE", "dev"}}));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->credentials.access_key_id, "CREDKEY");
  EXPECT_EQ(got->credentials.secret_access_key, "credsecret");
  // Merged key by key, as the SDKs do: the config file's token survives.
  EXPECT_EQ(got->credentials.session_token, "cfgtoken");
}

TEST_F(CredentialFilesTest, CredentialFileLocationOverrides) {
  std::string creds = dir_.Write("elsewhere/creds",
                                 "[default]\naws_access_key_id = OVR\n"
                                 "aws_secret_access_key = ovrsecret\n");
  dir_.Write(".aws/credentials",
             "[default]\naws_access_key_id = HOMEKEY\n"
             "aws_secret_access_key = homesecret\n");
  auto got = Resolve(Env({{"AWS_SHARED_CREDENTIALS_FILE", creds}}));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->credentials.access_key_id, "OVR");
  got = Resolve(Env({{"AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds"}}));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->credentials.access_key_id, "OVR");

  std::string config = dir_.Write("elsewhere/config",
                                  "[profile p]\naws_access_key_id = CFG\n"
                                  "aws_secret_access_key = cfgsecret\n");
  got = Resolve(Env({{"AWS_CONFIG_FILE", config}, {"AWS_PROFILE", "p"}}));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->credentials.access_key_id, "CFG");
}

TEST_F(CredentialFilesTest, CredentialsAreCachedUntilInvalidated) {
  dir_.Write(".aws/credentials", "[default]\naws_access_key_id = ONE\naws_secret_access_key = s\n");
  AwsCredentialChain chain(Env(), transport_, clock_);
  ASSERT_EQ(chain.GetCredentials()->access_key_id, "ONE");
  dir_.Write(".aws/credentials", "[default]\naws_access_key_id = TWO\naws_secret_access_key = s\n");
  clock_.Advance(std::chrono::hours(24 * 30));  // long-term keys never expire
  EXPECT_EQ(chain.GetCredentials()->access_key_id, "ONE");
  chain.Invalidate();
  EXPECT_EQ(chain.GetCredentials()->access_key_id, "TWO");
}

TEST(CredentialIniTest, ParsesLikeTheSdk) {
  using credentials_internal::ParseAwsIni;
  auto ini = ParseAwsIni(
      "; leading comment\r\n"
      "# another\n"
      "key_before_section = ignored\n"
      "[default]\r\n"
      "aws_access_key_id=AKID ; trailing comment\n"
      "aws_secret_access_key = a#b;c\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "region = eu-west-1\n"
      "[ profile   dev ]\n"
      "=novalue\n"
      "region=us-east-2\n"
      "[default]\n"
      "output = json\n");
  ASSERT_EQ(ini.size(), 2u);
  const auto& def = ini["default"];
  EXPECT_EQ(def.at("aws_access_key_id"), "AKID");
  EXPECT_EQ(def.at("aws_secret_access_key"), "a#b;c");
  EXPECT_EQ(def.at("s3.max_concurrent_requests"), "20");
  EXPECT_EQ(def.at("region"), "eu-west-1");  // an unindented line ends the sub-section
  EXPECT_EQ(def.at("output"), "json");       // a repeated section merges
  EXPECT_EQ(ini["profile dev"].at("region"), "us-east-2");
  EXPECT_EQ(ini["profile dev"].size(), 1u);
}

TEST(CredentialTimestampTest, ParsesAwsForms) {
  using credentials_internal::ParseAwsTimestamp;
  const auto epoch = cred_test::TestEpoch();
  EXPECT_EQ(*ParseAwsTimestamp("2026-01-01T00:00:00Z"), epoch);
  EXPECT_EQ(*ParseAwsTimestamp("2026-01-01T00:00:00.123Z"), epoch);
  EXPECT_EQ(*ParseAwsTimestamp("2026-01-01T02:00:00+02:00"), epoch);
  EXPECT_EQ(*ParseAwsTimestamp("2025-12-31T23:00:00-01:00"), epoch);
  for (const char* bad : {"", "2026-01-01", "2026-01-01T00:00:00", "2026-02-30T00:00:00Z",
                          "2026-01-01 00:00:00Z", "2026-01-01T00:00:00+0200", "xxxx"}) {
    EXPECT_FALSE(ParseAwsTimestamp(bad).ok()) << bad;
  }
}

TEST_F(CredentialFilesTest, CredentialErrorListsTriedSourcesWithoutSecrets) {
  dir_.Write(".aws/credentials", "[default]\naws_secret_access_key = FILE-SECRET-VALUE\n");
  dir_.Write(".aws/config",
             "[profile ops]\nrole_arn = arn:aws:iam::1:role/x\n"
             "source_profile = default\n");
  auto got = Resolve(
      Env({{"AWS_ACCESS_KEY_ID", "ENV-KEY-VALUE"}, {"AWS_SESSION_TOKEN", "ENV-TOKEN-VALUE"}}));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
  const std::string msg = got.status().message();
  for (const char* expected :
       {"no AWS credentials found", "environment (AWS_SECRET_ACCESS_KEY not set)",
        "profile \"default\" has no aws_access_key_id and aws_secret_access_key",
        "/.aws/credentials", "/.aws/config", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "disabled by AWS_EC2_METADATA_DISABLED"}) {
    EXPECT_NE(msg.find(expected), std::string::npos) << expected << " not in: " << msg;
  }
  for (const char* secret : {"FILE-SECRET-VALUE", "ENV-KEY-VALUE", "ENV-TOKEN-VALUE"}) {
    EXPECT_EQ(msg.find(secret), std::string::npos) << msg;
  }
  EXPECT_EQ(transport_.count(), 0u);

  got = Resolve(Env({{"AWS_PROFILE", "ops"}}));
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("uses role_arn, which ragd does not support"),
            std::string::npos)
      << got.status().message();
}

TEST_F(CredentialFilesTest, CredentialErrorWithoutHome) {
  auto got = Resolve(EnvFromMap({{"AWS_EC2_METADATA_DISABLED", "TRUE"}}));
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("HOME not set"), std::string::npos)
      << got.status().message();
}

TEST_F(CredentialFilesTest, RegionPrecedence) {
  dir_.Write(".aws/config",
             "[default]\nregion = cfg-default-1\n"
             "[profile dev]\nregion = cfg-dev-1\n");
  dir_.Write(".aws/credentials", "[dev]\nregion = cred-dev-1\n[other]\nregion = cred-other-1\n");
  EXPECT_EQ(*ResolveAwsRegion(Env({{"AWS_REGION", "r1"}, {"AWS_DEFAULT_REGION", "r2"}})), "r1");
  EXPECT_EQ(*ResolveAwsRegion(Env({{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "r2"}})), "r2");
  EXPECT_EQ(*ResolveAwsRegion(Env()), "cfg-default-1");
  EXPECT_EQ(*ResolveAwsRegion(Env({{"AWS_PROFILE", "dev"}})), "cfg-dev-1");
  EXPECT_EQ(*ResolveAwsRegion(Env({{"AWS_PROFILE", "other"}})), "cred-other-1");
  auto none = ResolveAwsRegion(Env({{"AWS_PROFILE", "nope"}}));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("AWS_DEFAULT_REGION"), std::string::npos);
  EXPECT_NE(none.status().message().find("profile \"nope\""), std::string::npos);
}

TEST(CredentialEnvTest, ProcessEnvLookupReadsTheRealEnvironment) {
  setenv("RAGD_CRED_TEST_VAR", "value-1", 1);
  EnvLookup env = ProcessEnvLookup();
  EXPECT_EQ(env("RAGD_CRED_TEST_VAR"), "value-1");
  unsetenv("RAGD_CRED_TEST_VAR");
  EXPECT_EQ(env("RAGD_CRED_TEST_VAR"), std::nullopt);
}

TEST(CredentialEnvTest, StaticProvider) {
  StaticAwsCredentialsProvider provider({"K", "S", "T"});
  auto got = provider.GetCredentials();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->access_key_id, "K");
  EXPECT_EQ(got->session_token, "T");
}

}  // namespace
}  // namespace ragd
