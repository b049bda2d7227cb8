// A SQLite file in the temp directory, named after the running test, removed (with its WAL and
// shared-memory files) when the object goes away. For retrieval tests that need a real Database.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/sqlite.h"

namespace ragd::testing {

class TempDatabase {
 public:
  explicit TempDatabase(const std::string& prefix)
      : path_(std::filesystem::temp_directory_path() /
              (prefix + std::to_string(getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db")) {
    RemoveFiles();
    db_ = Database::Open(path_.string(), {}).value();
  }
  ~TempDatabase() {
    db_.reset();
    RemoveFiles();
  }
  TempDatabase(const TempDatabase&) = delete;
  TempDatabase& operator=(const TempDatabase&) = delete;

  Database& db() { return *db_; }

 private:
  void RemoveFiles() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path_.string() + suffix);
    }
  }

  std::filesystem::path path_;
  std::unique_ptr<Database> db_;
};

}  // namespace ragd::testing
