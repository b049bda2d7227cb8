#include "tests/engine/engine_fixture_util.h"

#include "core/crypto.h"
#include "core/schema.h"

namespace ragd {

namespace fs = std::filesystem;

void EngineTest::SetUp() {
  dir_ = fs::temp_directory_path() / ("ragd-engine-" + RandomAlnum(10));
  fs::create_directories(dir_);
  Open();
}

void EngineTest::TearDown() {
  Close();
  fs::remove_all(dir_);
}

void EngineTest::Open() {
  auto db = Database::Open((dir_ / "ragd.db").string(), RagdMigrations());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  db_ = *std::move(db);
  auto store = LocalObjectStore::Create(*db_, (dir_ / "objects").string(), Clock::Real());
  ASSERT_TRUE(store.ok());
  store_ = *std::move(store);
  EngineOptions options;
  options.data_dir = dir_;
  options.model_dir = dir_ / "no-model";  // hashing fallback for "local"
  options.ingest_workers = 2;
  options.lexical_memory_min_chunks = lexical_memory_min_chunks_;
  auto engine = Engine::Create(options, *db_, Clock::Real(), store_.get(), nullptr);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  engine_ = *std::move(engine);
  ASSERT_TRUE(engine_->Start().ok());
}

void EngineTest::Close() {
  engine_.reset();
  store_.reset();
  db_.reset();
}

Bot EngineTest::MakeBot(const std::string& key) {
  BotConfig config;
  config.knowledge.embedder.provider = "hashing";
  auto bot = engine_->CreateBot(key, Caller{"owner", true}, config);
  EXPECT_TRUE(bot.ok()) << bot.status().ToString();
  return *bot;
}

Document EngineTest::Stage(const Bot& bot, const std::string& name, const std::string& text) {
  NewDocument d;
  d.bot_id = bot.id;
  d.bot_key = bot.key;
  d.filename = name;
  d.content_type = "text/plain";
  d.size = static_cast<int64_t>(text.size());
  auto doc = engine_->documents().Create(d);
  EXPECT_TRUE(doc.ok());
  EXPECT_TRUE(store_->Put("ragd-uploads", doc->object_key, text, {}).ok());
  return *doc;
}

Document EngineTest::Ingest(const Bot& bot, const std::string& name, const std::string& text) {
  Document doc = Stage(bot, name, text);
  auto queued = engine_->OnObjectStored(doc.object_key, static_cast<int64_t>(text.size()), "");
  EXPECT_TRUE(queued.ok() && queued->has_value());
  EXPECT_TRUE(engine_->WaitIdle(std::chrono::seconds(30)));
  return *engine_->documents().Get(doc.id);
}

std::vector<SearchHit> EngineTest::Find(const Bot& bot, const std::string& q,
                                        const std::string& mode) {
  SearchRequest r;
  r.query = q;
  r.search_type = mode;
  auto hits = engine_->Search(bot, r);
  EXPECT_TRUE(hits.ok()) << hits.status().ToString();
  return hits.ok() ? *hits : std::vector<SearchHit>{};
}

}  // namespace ragd
