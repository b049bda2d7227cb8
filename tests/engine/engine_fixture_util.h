// An Engine over a real SQLite file in a temp dir, a local object store and the hashing
// embedder, for in-process engine and chat tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "core/sqlite.h"
#include "engine/engine.h"
#include "ingest/local_object_store.h"

namespace ragd {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  void Open();
  void Close();
  Bot MakeBot(const std::string& key);
  // Creates a document and stores its object without the HTTP hook, as S3 would.
  Document Stage(const Bot& bot, const std::string& name, const std::string& text);
  // Stage + the object-stored notification, then waits for ingestion.
  Document Ingest(const Bot& bot, const std::string& name, const std::string& text);
  std::vector<SearchHit> Find(const Bot& bot, const std::string& q, const std::string& mode = "");

  int64_t lexical_memory_min_chunks_ = 20000;  // engine default; lower it, then Close/Open
  std::filesystem::path dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace ragd
