// Caching and refresh of temporary credentials, driven by a FakeClock, and concurrent callers.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "aws/credentials.h"
#include "tests/aws/credentials_test_util.h"

namespace ragd {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class CredentialCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { endpoint_.Start(); }
  EnvLookup Env() { return EnvFromMap({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint_.Url()}}); }

  // Calls GetCredentials from `n` threads at once; returns the key ids (or error codes) seen.
  std::vector<std::string> CallConcurrently(AwsCredentialChain& chain, int n) {
    std::vector<std::string> seen(n);
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        ++ready;
        while (ready < n) std::this_thread::yield();
        auto got = chain.GetCredentials();
        seen[i] = got.ok() ? got->access_key_id : std::string(StatusCodeName(got.status().code()));
      });
    }
    for (auto& t : threads) t.join();
    return seen;
  }

  FakeClock clock_{cred_test::TestEpoch()};
  cred_test::FakeCredentialsEndpoint endpoint_{clock_};
  cred_test::RecordingTransport transport_;
};

TEST_F(CredentialCacheTest, CredentialSecondCallMakesNoRequest) {
  AwsCredentialChain chain(Env(), transport_, clock_, cred_test::FastOptions());
  ASSERT_EQ(chain.GetCredentials()->access_key_id, "AKID1");
  clock_.Advance(minutes(50));  // 10 minutes left: still fresh
  ASSERT_EQ(chain.GetCredentials()->access_key_id, "AKID1");
  EXPECT_EQ(transport_.count(), 1u);
  EXPECT_EQ(endpoint_.hits, 1);
}

TEST_F(CredentialCacheTest, CredentialRefreshBeforeExpiry) {
  AwsCredentialChain chain(Env(), transport_, clock_, cred_test::FastOptions());
  ASSERT_EQ(chain.GetCredentials()->access_key_id, "AKID1");
  clock_.Advance(minutes(56));  // 4 minutes left: inside the 5-minute window
  auto got = chain.GetResolvedCredentials();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->credentials.access_key_id, "AKID2");
  EXPECT_EQ(*got->expiration, clock_.Now() + minutes(60));
  EXPECT_EQ(endpoint_.hits, 2);
  ASSERT_EQ(chain.GetCredentials()->access_key_id, "AKID2");
  EXPECT_EQ(endpoint_.hits, 2);
}

TEST_F(CredentialCacheTest, CredentialFailedRefreshKeepsValidCache) {
  AwsCredentialChainOptions options = cred_test::FastOptions();
  options.container_attempts = 1;
  AwsCredentialChain chain(Env(), transport_, clock_, options);
  ASSERT_EQ(chain.GetCredentials()->access_key_id, "AKID1");

  endpoint_.fail_status = 500;
  clock_.Advance(minutes(57));  // 3 minutes left
  EXPECT_EQ(chain.GetCredentials()->access_key_id, "AKID1");
  EXPECT_EQ(endpoint_.hits, 2);
  // Within min_refresh_interval (10 s) of the failed attempt: not asked again.
  clock_.Advance(seconds(5));
  EXPECT_EQ(chain.GetCredentials()->access_key_id, "AKID1");
  EXPECT_EQ(endpoint_.hits, 2);
  clock_.Advance(seconds(6));
  EXPECT_EQ(chain.GetCredentials()->access_key_id, "AKID1");
  EXPECT_EQ(endpoint_.hits, 3);

  // Expired and the endpoint still failing: the error surfaces.
  clock_.Advance(minutes(3));
  auto got = chain.GetCredentials();
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(endpoint_.hits, 4);

  // And the endpoint recovering is picked up on the next call.
  endpoint_.fail_status = 0;
  EXPECT_EQ(chain.GetCredentials()->access_key_id, "AKID5");
}

TEST_F(CredentialCacheTest, CredentialConcurrentCallersShareOneFetch) {
  endpoint_.delay_ms = 300;
  AwsCredentialChain chain(Env(), transport_, clock_, cred_test::FastOptions());
  std::vector<std::string> seen = CallConcurrently(chain, 8);
  EXPECT_EQ(endpoint_.hits, 1);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), std::set<std::string>{"AKID1"});
}

TEST_F(CredentialCacheTest, CredentialConcurrentCallersDuringRefreshUseValidCache) {
  AwsCredentialChain chain(Env(), transport_, clock_, cred_test::FastOptions());
  ASSERT_EQ(chain.GetCredentials()->access_key_id, "AKID1");
  clock_.Advance(minutes(58));
  endpoint_.delay_ms = 300;
  std::vector<std::string> seen = CallConcurrently(chain, 8);
  EXPECT_EQ(endpoint_.hits, 2);  // the first fetch plus exactly one refresh
  // The refreshing caller got the new key; the others the still-valid old one (or the new one
  // if they arrived after the refresh finished).
  EXPECT_EQ(
      std::count(seen.begin(), seen.end(), "AKID2") + std::count(seen.begin(), seen.end(), "AKID1"),
      8);
  EXPECT_GE(std::count(seen.begin(), seen.end(), "AKID2"), 1);
  EXPECT_EQ(chain.GetCredentials()->access_key_id, "AKID2");
  EXPECT_EQ(endpoint_.hits, 2);
}

TEST_F(CredentialCacheTest, CredentialConcurrentCallersShareOneFailure) {
  endpoint_.delay_ms = 300;
  endpoint_.fail_status = 404;
  AwsCredentialChain chain(Env(), transport_, clock_, cred_test::FastOptions());
  std::vector<std::string> seen = CallConcurrently(chain, 8);
  EXPECT_EQ(endpoint_.hits, 1);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()),
            std::set<std::string>{"FAILED_PRECONDITION"});
}

TEST_F(CredentialCacheTest, CredentialExpiredCacheIsNeverReturned) {
  AwsCredentialChain chain(Env(), transport_, clock_, cred_test::FastOptions());
  endpoint_.lifetime_minutes = 2;  // already inside the refresh window when handed out
  ASSERT_EQ(chain.GetCredentials()->access_key_id, "AKID1");
  // Still valid, refresh attempted at most every 10 s.
  EXPECT_EQ(chain.GetCredentials()->access_key_id, "AKID1");
  EXPECT_EQ(endpoint_.hits, 1);
  clock_.Advance(seconds(11));
  EXPECT_EQ(chain.GetCredentials()->access_key_id, "AKID2");
  EXPECT_EQ(endpoint_.hits, 2);
  endpoint_.fail_status = 500;
  clock_.Advance(minutes(3));  // AKID2 expired
  EXPECT_FALSE(chain.GetCredentials().ok());
}

}  // namespace
}  // namespace ragd
