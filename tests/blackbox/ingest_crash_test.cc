// kill -9 during ingestion, several times, then restart: every document ends up indexed exactly
// once. No lost, duplicated or orphaned chunks, lexical rows or vectors.
#include <signal.h>

#include <random>
#include <set>
#include <thread>

#include "core/schema.h"
#include "core/sqlite.h"
#include "tests/blackbox/documents_util.h"

namespace ragd::testing {
namespace {

// Distinct, deterministic prose: a few thousand words per document, so each one takes a while.
std::string MakeDocument(int n) {
  static const char* kWords[] = {"bicycle", "frame", "warranty",  "brake",      "chain",
                                 "gear",    "wheel", "saddle",    "pedal",      "service",
                                 "tyre",    "spoke", "handlebar", "derailleur", "cassette",
                                 "hub",     "rim",   "fork",      "shock",      "cable"};
  std::mt19937 rng(static_cast<unsigned>(n) * 7919u + 1);
  std::string text = "# Manual " + std::to_string(n) + "\n\n";
  for (int para = 0; para < 40; ++para) {
    if (para % 10 == 0) text += "## Section " + std::to_string(para / 10 + 1) + "\n\n";
    for (int sentence = 0; sentence < 6; ++sentence) {
      std::string s = "Item " + std::to_string(n * 1000 + para * 10 + sentence);
      for (int w = 0; w < 14; ++w) s += std::string(" ") + kWords[rng() % 20];
      text += s + ". ";
    }
    text += "\n\n";
  }
  return text;
}

int64_t Count(Database& db, const std::string& sql) {
  int64_t n = -1;
  EXPECT_TRUE(db.Read([&](Connection& conn) -> Status {
                  RAGD_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
                  RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
                  if (row) n = stmt.Int(0);
                  return OkStatus();
                }).ok());
  return n;
}

using IngestCrashTest = DocumentServerTest;

TEST_F(IngestCrashTest, KillNineAtAnyMomentThenRestartIndexesEverythingExactlyOnce) {
  CreateBot("crash");  // the default (local) embedder: slow enough to be killed mid-way
  CreateBot("reference", {{"knowledge", {{"embedder", {{"provider", "hashing"}}}}}});
  constexpr int kDocs = 12;
  std::vector<std::string> ids;
  for (int i = 0; i < kDocs; ++i) {
    ids.push_back(
        Upload("crash", "manual-" + std::to_string(i) + ".md", "text/markdown", MakeDocument(i)));
  }
  // Kill at staggered moments: while parsing, while embedding, while committing.
  std::mt19937 rng(42);
  int interrupted_rounds = 0;
  for (int round = 0; round < 4; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 700));
    int indexed = 0;
    for (const std::string& id : ids) {
      indexed +=
          JsonOf(Get(Url("/v1/bots/crash/documents/" + id), admin_key_))["status"] == "indexed";
    }
    interrupted_rounds += indexed < kDocs;
    ASSERT_EQ(kill(server_->pid(), SIGKILL), 0);
    server_->StopWith(SIGKILL);
    StartServer();
  }
  // The kills must land while work is in progress, or the test proves nothing.
  EXPECT_GE(interrupted_rounds, 3);
  std::map<std::string, int64_t> chunks_by_name;
  for (const std::string& id : ids) {
    const nlohmann::json doc = WaitDone("crash", id, 180);
    ASSERT_EQ(doc["status"], "indexed") << doc.dump();
    chunks_by_name[doc["filename"]] = doc["chunk_count"];
  }
  // The same files ingested without interruption give the same chunks.
  for (int i = 0; i < kDocs; ++i) {
    const std::string id = Upload("reference", "manual-" + std::to_string(i) + ".md",
                                  "text/markdown", MakeDocument(i));
    const nlohmann::json doc = WaitDone("reference", id);
    EXPECT_EQ(doc["chunk_count"], chunks_by_name[doc["filename"]]) << doc["filename"];
  }
  const nlohmann::json stats = JsonOf(Get(Url("/v1/bots/crash"), admin_key_))["stats"];
  int64_t total = 0;
  for (const auto& [name, n] : chunks_by_name) total += n;
  EXPECT_EQ(stats["chunks"], total);
  EXPECT_EQ(stats["vectors"], total);
  EXPECT_EQ(stats["indexed_documents"], kDocs);
  ASSERT_EQ(server_->StopWith(SIGTERM), 0);

  auto db = Database::Open(dir_.path() + "/ragd.db", RagdMigrations());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(Count(**db, "SELECT count(*) FROM ingest_jobs"), 0);
  EXPECT_EQ(Count(**db,
                  "SELECT count(*) FROM chunks c JOIN bots b ON b.id = c.bot_id "
                  "WHERE b.key = 'crash'"),
            total);
  // seq runs 0..n-1 in every document: nothing lost, nothing twice.
  EXPECT_EQ(Count(**db,
                  "SELECT count(*) FROM (SELECT document_id FROM chunks GROUP BY document_id "
                  "HAVING max(seq) + 1 != count(*) OR min(seq) != 0)"),
            0);
  EXPECT_EQ(Count(**db,
                  "SELECT count(*) FROM documents d WHERE chunk_count != "
                  "(SELECT count(*) FROM chunks c WHERE c.document_id = d.id) "
                  "AND duplicate_of IS NULL"),
            0);
  // Every chunk's text is searchable exactly once (lexical rows match chunks).
  StartServer();
  const nlohmann::json hits = Search("crash", "Item 5123");
  ASSERT_FALSE(hits["results"].empty());
  EXPECT_NE(hits["results"][0]["text"].get<std::string>().find("Item 5123"), std::string::npos);
}

}  // namespace
}  // namespace ragd::testing
