#include "core/sqlite.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "core/schema.h"

namespace ragd {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ragd_sqlite_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path() const { return (dir_ / "test.db").string(); }
  std::filesystem::path dir_;
};

const std::vector<Migration> kV1 = {
    {1, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"}};
const std::vector<Migration> kV2 = {
    kV1[0],
    {2, "note titles",
     "ALTER TABLE notes ADD COLUMN title TEXT NOT NULL DEFAULT 'untitled';"
     "UPDATE notes SET title = substr(body, 1, 5);"}};

int64_t Count(Database& db, const std::string& sql) {
  int64_t n = -1;
  EXPECT_TRUE(db.Read([&](Connection& c) -> Status {
                  RAGD_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
                  RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
                  if (row) n = st.Int(0);
                  return OkStatus();
                }).ok());
  return n;
}

TEST_F(SqliteTest, OpensInWalModeAndAppliesMigrations) {
  auto db = Database::Open(Path(), kV1);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->schema_version(), 1);
  std::string mode;
  ASSERT_TRUE((*db)
                  ->Read([&](Connection& c) -> Status {
                    RAGD_ASSIGN_OR_RETURN(Statement st, c.Prepare("PRAGMA journal_mode"));
                    RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
                    if (row) mode = st.Text(0);
                    return OkStatus();
                  })
                  .ok());
  EXPECT_EQ(mode, "wal");
}

TEST_F(SqliteTest, MigratesAnOlderDatabaseKeepingItsData) {
  {
    auto db = Database::Open(Path(), kV1);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Write([](Connection& c) -> Status {
                      RAGD_ASSIGN_OR_RETURN(Statement st,
                                            c.Prepare("INSERT INTO notes (body) VALUES (?)"));
                      return st.Bind(1, "hello world").Run();
                    })
                    .ok());
  }
  auto db = Database::Open(Path(), kV2);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->schema_version(), 2);
  EXPECT_EQ(
      Count(**db, "SELECT COUNT(*) FROM notes WHERE title = 'hello' AND body = 'hello world'"), 1);
}

TEST_F(SqliteTest, RefusesADatabaseNewerThanTheBinary) {
  { ASSERT_TRUE(Database::Open(Path(), kV2).ok()); }
  auto db = Database::Open(Path(), kV1);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("schema version 2"), std::string::npos);
  EXPECT_NE(db.status().message().find("upgrade ragd"), std::string::npos);
}

TEST_F(SqliteTest, FailedMigrationLeavesTheOldVersionIntact) {
  { ASSERT_TRUE(Database::Open(Path(), kV1).ok()); }
  std::vector<Migration> broken = kV1;
  broken.push_back({2, "broken", "ALTER TABLE notes ADD COLUMN x TEXT; SELECT * FROM nope;"});
  auto db = Database::Open(Path(), broken);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("migration 2 (broken)"), std::string::npos);
  auto again = Database::Open(Path(), kV1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->schema_version(), 1);
  // The column added by the failed migration was rolled back.
  EXPECT_FALSE((*again)->Read([](Connection& c) { return c.Exec("SELECT x FROM notes"); }).ok());
}

TEST_F(SqliteTest, WriteRollsBackWhenTheCallbackFails) {
  auto db = Database::Open(Path(), kV1);
  ASSERT_TRUE(db.ok());
  Status s = (*db)->Write([](Connection& c) -> Status {
    RAGD_RETURN_IF_ERROR(c.Exec("INSERT INTO notes (body) VALUES ('a')"));
    return AbortedError("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(Count(**db, "SELECT COUNT(*) FROM notes"), 0);
}

TEST_F(SqliteTest, ConcurrentWritersAndReadersSeeConsistentData) {
  auto db = Database::Open(Path(), kV1);
  ASSERT_TRUE(db.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE((*db)
                        ->Write([&](Connection& c) -> Status {
                          RAGD_ASSIGN_OR_RETURN(Statement st,
                                                c.Prepare("INSERT INTO notes (body) VALUES (?)"));
                          return st.Bind(1, "x").Run();
                        })
                        .ok());
        EXPECT_GE(Count(**db, "SELECT COUNT(*) FROM notes"), 1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(Count(**db, "SELECT COUNT(*) FROM notes"), 200);
}

TEST_F(SqliteTest, ConstraintViolationIsAlreadyExists) {
  auto db = Database::Open(Path(), kV1);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)
                  ->Write([](Connection& c) {
                    return c.Exec("INSERT INTO notes (id, body) VALUES (1, 'a')");
                  })
                  .ok());
  Status s = (*db)->Write(
      [](Connection& c) { return c.Exec("INSERT INTO notes (id, body) VALUES (1, 'b')"); });
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
}

TEST_F(SqliteTest, RagdSchemaAppliesCleanly) {
  auto db = Database::Open(Path(), RagdMigrations());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->schema_version(), RagdMigrations().back().version);
}

}  // namespace
}  // namespace ragd
