// The engine in-process: the ingestion pipeline over a real SQLite file, a local object store and
// the hashing embedder; S3 notifications, embedder changes, index recovery, deletes.
#include <filesystem>
#include <fstream>

#include "core/crypto.h"
#include "tests/engine/engine_fixture_util.h"

namespace ragd {
namespace {

namespace fs = std::filesystem;

const char kWarranty[] =
    "Warranty. Every Northwind frame has a lifetime warranty against manufacturing defects.\n\n"
    "Components such as brakes and gears are covered for two years.";
const char kReturns[] =
    "Returns. Unused bikes can be returned within 30 days with the original receipt.\n\n"
    "Refunds go back to the card used for the purchase.";

TEST_F(EngineTest, S3NotificationQueuesAndIndexesWithHashComputedOnRead) {
  Bot bot = MakeBot("kb");
  Document doc = Ingest(bot, "warranty.txt", kWarranty);
  EXPECT_EQ(doc.status, "indexed") << doc.error;
  EXPECT_EQ(doc.sha256, Sha256Hex(kWarranty));
  EXPECT_GT(doc.chunk_count, 0);
  // The same bytes under another name, also announced without a hash, become a duplicate.
  Document copy = Ingest(bot, "copy.txt", kWarranty);
  EXPECT_EQ(copy.status, "indexed");
  EXPECT_EQ(copy.duplicate_of, doc.id);
  EXPECT_EQ(copy.chunk_count, 0);
  // A repeated notification changes nothing.
  ASSERT_TRUE(engine_->OnObjectStored(doc.object_key, 1, "").ok());
  EXPECT_EQ(engine_->documents().Get(doc.id)->status, "indexed");
  // Unknown keys are ignored.
  auto unknown = engine_->OnObjectStored("bots/kb/doc_nope", 1, "");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
}

TEST_F(EngineTest, SearchModesFindTheRightDocument) {
  Bot bot = MakeBot("kb");
  Document w = Ingest(bot, "warranty.txt", kWarranty);
  Document r = Ingest(bot, "returns.txt", kReturns);
  for (const std::string mode : {"lexical", "semantic", "hybrid"}) {
    std::vector<SearchHit> hits = Find(bot, "lifetime frame warranty", mode);
    ASSERT_FALSE(hits.empty()) << mode;
    EXPECT_EQ(hits[0].document_id, w.id) << mode;
    EXPECT_EQ(hits[0].title, "warranty.txt");
    hits = Find(bot, "return within 30 days receipt", mode);
    ASSERT_FALSE(hits.empty()) << mode;
    EXPECT_EQ(hits[0].document_id, r.id) << mode;
  }
  SearchRequest only;
  only.query = "warranty";
  only.document_ids = {r.id};
  auto filtered = engine_->Search(bot, only);
  ASSERT_TRUE(filtered.ok());
  for (const SearchHit& h : *filtered) EXPECT_EQ(h.document_id, r.id);
}

TEST_F(EngineTest, LostVectorIndexIsRebuiltFromTheDatabaseOnRestart) {
  Bot bot = MakeBot("kb");
  Document w = Ingest(bot, "warranty.txt", kWarranty);
  Ingest(bot, "returns.txt", kReturns);
  const int64_t chunks = engine_->Stats(bot)->chunks;
  Close();
  for (const auto& entry : fs::directory_iterator(dir_ / "indexes")) fs::remove(entry.path());
  Open();
  auto stats = engine_->Stats(bot);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->vectors, chunks);
  std::vector<SearchHit> hits = Find(bot, "lifetime frame warranty", "semantic");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].document_id, w.id);
}

TEST_F(EngineTest, StagingFilesLeftByACrashAreRemovedOnRestart) {
  Bot bot = MakeBot("kb");
  Document w = Ingest(bot, "warranty.txt", kWarranty);
  Close();
  // What a crash mid-upload or mid-fetch leaves behind, next to a file that is not the engine's.
  for (const char* name : {"doc_dead.upload", "doc_dead.ingest", "s3-download.part"}) {
    std::ofstream(dir_ / "tmp" / name) << "partial";
  }
  Open();
  EXPECT_FALSE(fs::exists(dir_ / "tmp" / "doc_dead.upload"));
  EXPECT_FALSE(fs::exists(dir_ / "tmp" / "doc_dead.ingest"));
  EXPECT_TRUE(fs::exists(dir_ / "tmp" / "s3-download.part"));
  EXPECT_EQ(engine_->documents().Get(w.id)->status, "indexed");
}

TEST_F(EngineTest, ChangingTheEmbedderReembedsEveryDocument) {
  Bot bot = MakeBot("kb");
  Ingest(bot, "warranty.txt", kWarranty);
  EXPECT_EQ(bot.embedder_id, "hashing-512");
  BotConfig config = bot.config;
  config.knowledge.embedder.dimensions = 256;
  auto updated = engine_->UpdateBot(bot, config);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->embedder_id, "hashing-256");
  ASSERT_TRUE(engine_->WaitIdle(std::chrono::seconds(30)));
  auto stats = engine_->Stats(*updated);
  EXPECT_EQ(stats->vectors, stats->chunks);
  EXPECT_EQ(stats->indexed_documents, 1);
  EXPECT_FALSE(Find(*updated, "lifetime warranty", "semantic").empty());
}

TEST_F(EngineTest, DeletingABotRemovesItsDocumentsObjectsAndIndexes) {
  Bot bot = MakeBot("kb");
  Document w = Ingest(bot, "warranty.txt", kWarranty);
  ASSERT_TRUE(engine_->DeleteBot(bot).ok());
  EXPECT_FALSE(engine_->documents().Get(w.id).ok());
  EXPECT_EQ(store_->Head("ragd-uploads", w.object_key).status().code(), StatusCode::kNotFound);
  // A new bot with the same key starts empty.
  Bot again = MakeBot("kb");
  EXPECT_EQ(engine_->Stats(again)->vectors, 0);
  EXPECT_TRUE(Find(again, "warranty").empty());
}

TEST_F(EngineTest, UnparseableDocumentFailsWithoutRetrying) {
  Bot bot = MakeBot("kb");
  NewDocument d;
  d.bot_id = bot.id;
  d.bot_key = bot.key;
  d.filename = "broken.pdf";
  d.content_type = "application/pdf";
  d.size = 5;
  auto doc = engine_->documents().Create(d);
  ASSERT_TRUE(store_->Put("ragd-uploads", doc->object_key, "oops\n", {}).ok());
  ASSERT_TRUE(engine_->OnObjectStored(doc->object_key, 5, "").ok());
  ASSERT_TRUE(engine_->WaitIdle(std::chrono::seconds(30)));
  Document failed = *engine_->documents().Get(doc->id);
  EXPECT_EQ(failed.status, "failed");
  EXPECT_FALSE(failed.error.empty());
}

}  // namespace
}  // namespace ragd
