// The engine in-process: the ingestion pipeline over a real SQLite file, a local object store and
// the hashing embedder; S3 notifications, embedder changes, index recovery, deletes.
#include <filesystem>
#include <fstream>
#include <thread>

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

// Large bots search an in-memory BM25 index built in the background; it gives FTS5's results and
// follows every commit (new documents, deletes) without a rebuild.
TEST_F(EngineTest, InMemoryLexicalIndexFollowsIngestionAndDeletes) {
  lexical_memory_min_chunks_ = 1;
  Close();
  Open();
  Bot bot = MakeBot("kb");
  Document w = Ingest(bot, "warranty.txt", kWarranty);
  Ingest(bot, "returns.txt", kReturns);
  auto ids = [&](const std::string& q) {
    std::vector<std::pair<int64_t, double>> out;
    for (const SearchHit& h : Find(bot, q, "lexical")) out.emplace_back(h.chunk_id, h.score);
    return out;
  };
  auto wait_built = [&] {
    for (int i = 0; i < 500 && engine_->Stats(bot)->optimizing; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  EXPECT_FALSE(engine_->Stats(bot)->lexical_in_memory);
  const auto from_fts = ids("warranty on brakes and gears, refunds");  // queues the build
  ASSERT_GE(from_fts.size(), 2u);
  wait_built();
  ASSERT_TRUE(engine_->Stats(bot)->lexical_in_memory);
  const auto from_memory = ids("warranty on brakes and gears, refunds");
  ASSERT_EQ(from_memory.size(), from_fts.size());
  for (size_t i = 0; i < from_fts.size(); ++i) {
    EXPECT_EQ(from_memory[i].first, from_fts[i].first);
    EXPECT_NEAR(from_memory[i].second, from_fts[i].second, 1e-9);
  }

  Document s = Ingest(bot, "shipping.txt", "Shipping. Bikes ship in a recyclable crate.");
  auto hits = Find(bot, "recyclable crate", "lexical");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].document_id, s.id);
  EXPECT_TRUE(engine_->Stats(bot)->lexical_in_memory);  // updated in place, not rebuilt
  EXPECT_FALSE(engine_->Stats(bot)->optimizing);

  ASSERT_TRUE(engine_->DeleteDocument(bot, w).ok());
  for (const SearchHit& h : Find(bot, "lifetime warranty frame", "hybrid")) {
    EXPECT_NE(h.document_id, w.id);
  }
  EXPECT_TRUE(engine_->Stats(bot)->lexical_in_memory);

  // After a restart the index is built again from SQLite, with the same results.
  const auto before = ids("crate refunds gears");
  Close();
  Open();
  ids("crate refunds gears");
  wait_built();
  EXPECT_TRUE(engine_->Stats(bot)->lexical_in_memory);
  const auto after = ids("crate refunds gears");
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i].first, before[i].first);
}

}  // namespace
}  // namespace ragd
