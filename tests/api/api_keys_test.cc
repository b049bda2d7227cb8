#include "api/api_keys.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/schema.h"

namespace ragd {
namespace {

using namespace std::chrono_literals;

class ApiKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("ragd_keys_test_" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path_);
    db_ = std::move(Database::Open(path_.string(), RagdMigrations())).value();
  }
  void TearDown() override {
    db_.reset();
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_.string() + suffix);
  }
  std::filesystem::path path_;
  std::unique_ptr<Database> db_;
  FakeClock clock_{std::chrono::system_clock::time_point(1'800'000'000s)};
};

TEST_F(ApiKeysTest, OnlyTheHashIsStoredAndTheKeyAuthenticates) {
  ApiKeyStore keys(*db_, clock_);
  auto created = keys.Create("ci", Role::kAdmin);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->key.rfind("rgd_" + created->info.id + "_", 0), 0u);
  int rows_with_key = 0;
  ASSERT_TRUE(db_->Read([&](Connection& c) -> Status {
                   RAGD_ASSIGN_OR_RETURN(
                       Statement st, c.Prepare("SELECT COUNT(*) FROM api_keys WHERE key_hash = ? "
                                               "OR id = ? OR name = ?"));
                   st.Bind(1, created->key).Bind(2, created->key).Bind(3, created->key);
                   RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
                   if (row) rows_with_key = static_cast<int>(st.Int(0));
                   return OkStatus();
                 })
                  .ok());
  EXPECT_EQ(rows_with_key, 0);
  auto principal = keys.Authenticate(created->key);
  ASSERT_TRUE(principal.ok());
  EXPECT_TRUE(principal->is_admin());
  // One changed character in the secret is refused.
  std::string tampered = created->key;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(keys.Authenticate(tampered).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(ApiKeysTest, RevocationHereIsImmediateAndElsewhereWithinTheCacheTtl) {
  ApiKeyStore server(*db_, clock_);
  ApiKeyStore cli(*db_, clock_);  // another process's view of the same database
  auto a = server.Create("a", Role::kUser);
  auto b = server.Create("b", Role::kUser);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(server.Authenticate(a->key).ok());

  ASSERT_TRUE(server.Revoke(a->info.id).ok());
  EXPECT_FALSE(server.Authenticate(a->key).ok());

  ASSERT_TRUE(server.Authenticate(b->key).ok());

  ASSERT_TRUE(cli.Revoke(b->info.id).ok());
  EXPECT_TRUE(server.Authenticate(b->key).ok());  // cached
  clock_.Advance(std::chrono::milliseconds(kAuthCacheTtlMs + 1));
  EXPECT_FALSE(server.Authenticate(b->key).ok());
}

TEST_F(ApiKeysTest, RotateReplacesTheNamedKey) {
  ApiKeyStore keys(*db_, clock_);
  auto first = keys.Rotate("demo-admin", Role::kAdmin);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(keys.Authenticate(first->key).ok());
  auto second = keys.Rotate("demo-admin", Role::kAdmin);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(keys.Authenticate(first->key).ok());
  EXPECT_TRUE(keys.Authenticate(second->key).ok());
}

TEST_F(ApiKeysTest, ConfiguredKeysOfAnyFormatAreAccepted) {
  ApiKeyStore keys(*db_, clock_);
  const std::string configured = "a-deployment-secret-of-32-chars!!";
  ASSERT_TRUE(keys.Ensure(configured, "configured-admin", Role::kAdmin).ok());
  ASSERT_TRUE(keys.Ensure(configured, "configured-admin", Role::kAdmin).ok());  // idempotent
  EXPECT_TRUE(keys.Authenticate(configured).ok());
  EXPECT_FALSE(keys.Ensure("short", "x", Role::kAdmin).ok());
}

}  // namespace
}  // namespace ragd
