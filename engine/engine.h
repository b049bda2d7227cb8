// Engine: the facade the API layer talks to. It wires bots, documents, ingestion (ingest/),
// retrieval (retrieval/) and, later, chat together; nothing here sees HTTP.
//
// Thread safety: every method may be called concurrently from request threads. Ingestion runs
// on the engine's own worker threads (Start()/Stop()).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/sqlite.h"
#include "core/status.h"
#include "engine/bot_store.h"
#include "engine/document_store.h"
#include "engine/embedder_registry.h"
#include "ingest/object_store.h"
#include "ingest/upload_urls.h"

namespace ragd {

struct EngineInternals;

struct EngineOptions {
  std::filesystem::path data_dir;   // indexes under data_dir/indexes
  std::filesystem::path model_dir;  // USE-lite files; hashing embedder when absent
  std::string bucket = "ragd-uploads";
  int ingest_workers = 0;  // 0: one per core
  int64_t max_document_bytes = 100LL << 20;
  int64_t max_pages = 5000;
  int64_t max_text_bytes = 64LL << 20;
  int document_time_limit_s = 600;
  int max_attempts = 5;  // transient failures (embedding provider) before giving up
  uint64_t index_memory_budget = 2ULL << 30;
  // In-memory BM25 indexes for bots of at least lexical_memory_min_chunks chunks, within this
  // many bytes in all (0: every bot searches SQLite FTS5); see engine/lexical_cache.h.
  uint64_t lexical_memory_budget = 512ULL << 20;
  int64_t lexical_memory_min_chunks = 20000;
  // Remote embedders: endpoints and keys, plus the transport and credentials they use (both
  // may be null; remote embedders then fail with a clear message). Must outlive the engine.
  RemoteProviderOptions remote;
  HttpTransport* transport = nullptr;
  AwsCredentialsProvider* credentials = nullptr;
};

struct DocumentUpload {
  Document document;
  UploadUrl upload;
};

struct BotStats {
  int64_t documents = 0;
  int64_t indexed_documents = 0;
  int64_t chunks = 0;
  int64_t vectors = 0;  // in the vector index; equals chunks when consistent
  // A background build is making searches faster (HNSW graph, in-memory BM25); searches work
  // meanwhile, slower.
  bool optimizing = false;
  bool lexical_in_memory = false;  // keyword search uses an in-memory BM25 index, not SQLite FTS5
};

// One search hit with what a citation needs.
struct SearchHit {
  int64_t chunk_id = 0;
  std::string document_id;
  std::string title;  // document title, or its filename
  int page_start = 0;
  int page_end = 0;
  std::vector<std::string> heading_path;
  std::string text;
  std::string context;  // parent chunk text for hierarchical chunking, else empty
  double score = 0;
  double vector_score = 0;
  double lexical_score = 0;
};

struct SearchRequest {
  std::string query;
  std::string search_type;  // empty: the bot's
  int max_results = 0;      // 0: the bot's
  std::optional<double> min_score;
  std::vector<std::string> document_ids;
  std::vector<std::string> tags;
};

class Engine {
 public:
  // `objects` and `uploads` may be null (no uploads then); they must outlive the engine.
  static StatusOr<std::unique_ptr<Engine>> Create(const EngineOptions& options, Database& db,
                                                  Clock& clock, ObjectStore* objects,
                                                  UploadUrlIssuer* uploads);
  ~Engine();

  // Reconciles indexes with the database, re-queues interrupted jobs, starts ingestion workers.
  Status Start();
  // Stops workers after their current stage and saves dirty indexes.
  void Stop();

  BotStore& bots();
  DocumentStore& documents();

  // Bots. Validation errors are 422 naming the field; a taken key is 409.
  StatusOr<Bot> CreateBot(const std::string& key, const Caller& owner, const BotConfig& config);
  // Applies a new config; a changed embedder re-embeds every document.
  StatusOr<Bot> UpdateBot(const Bot& bot, const BotConfig& config);
  // Removes the bot, its documents, objects, chunks and indexes.
  Status DeleteBot(const Bot& bot);
  StatusOr<BotStats> Stats(const Bot& bot);

  // Documents.
  StatusOr<DocumentUpload> CreateDocument(const Bot& bot, NewDocument doc);
  // Ingests a file already on disk (the CLI): stores it as the document's object and queues it.
  StatusOr<Document> AddLocalFile(const Bot& bot, const std::filesystem::path& file,
                                  const std::string& content_type,
                                  const std::string& password = "");
  // The object store received an object (local endpoint hook, S3 event notification).
  // Unknown keys are ignored (OK, nullopt).
  StatusOr<std::optional<Document>> OnObjectStored(const std::string& key, int64_t size,
                                                   const std::string& sha256);
  // Explicit (re-)ingestion, e.g. after an S3 upload: checks the object exists, then queues.
  StatusOr<Document> RequestIngest(const Document& doc);
  Status DeleteDocument(const Bot& bot, const Document& doc);
  // Blocks until no job is queued or running, or `timeout` passes (CLI and tests).
  bool WaitIdle(std::chrono::milliseconds timeout);

  // Retrieval.
  StatusOr<std::vector<SearchHit>> Search(const Bot& bot, const SearchRequest& request);

 private:
  Engine() = default;
  std::unique_ptr<EngineInternals> in_;
};

}  // namespace ragd
