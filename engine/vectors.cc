// The vector side of the engine: per-bot Faiss indexes kept equal to what SQLite says is indexed.
//
// SQLite is the source of truth (chunks of documents with status 'indexed', their vectors in the
// embeddings table). The index file is a cache of it, saved now and then; bots.index_generation
// is bumped by every committed change and stored in the index when the change is applied. An
// index whose generation differs from the database's (a crash between commit and save, a lost
// file) is reconciled on first use: missing chunks added, stale ones removed.
#include <set>

#include "core/log.h"
#include "engine/engine_internal.h"

namespace ragd {
namespace {

struct DbView {
  uint64_t generation = 0;
  std::vector<int64_t> ids;  // chunks of indexed documents with a vector from the bot's embedder
  int dim = 0;
};

StatusOr<DbView> ReadDbView(Database& db, const Bot& bot, bool with_ids) {
  DbView view;
  RAGD_RETURN_IF_ERROR(db.Read([&](Connection& conn) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement gen, conn.Prepare("SELECT index_generation, embedder_id FROM "
                                                      "bots WHERE id = ?"));
    gen.Bind(1, bot.id);
    RAGD_ASSIGN_OR_RETURN(bool row, gen.Step());
    if (!row) return NotFoundError("no bot named '" + bot.key + "'");
    view.generation = static_cast<uint64_t>(gen.Int(0));
    const std::string embedder_id = gen.Text(1);
    RAGD_ASSIGN_OR_RETURN(row, gen.Step());
    RAGD_ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare(std::string("SELECT c.id, length(e.vector) FROM chunks c JOIN documents d ON "
                                 "d.id = c.document_id JOIN embeddings e ON e.embedder_id = ? AND "
                                 "e.content_hash = c.content_hash WHERE c.bot_id = ? AND "
                                 "d.status = 'indexed'") +
                     (with_ids ? "" : " LIMIT 1")));
    stmt.Bind(1, embedder_id).Bind(2, bot.id);
    while (true) {
      RAGD_ASSIGN_OR_RETURN(row, stmt.Step());
      if (!row) break;
      view.ids.push_back(stmt.Int(0));
      view.dim = static_cast<int>(stmt.Int(1) / static_cast<int64_t>(sizeof(float)));
    }
    return OkStatus();
  }));
  return view;
}

// Vectors of `ids` from the embeddings table, in the order of `ids_out` (ids without one skipped).
Status ReadVectors(Database& db, const Bot& bot, const std::vector<int64_t>& ids, int dim,
                   std::vector<int64_t>& ids_out, std::vector<float>& vectors) {
  return db.Read([&](Connection& conn) -> Status {
    for (int64_t id : ids) {
      RAGD_ASSIGN_OR_RETURN(
          Statement stmt,
          conn.Prepare("SELECT e.vector FROM chunks c JOIN bots b ON b.id = c.bot_id JOIN "
                       "embeddings e ON e.embedder_id = b.embedder_id AND e.content_hash = "
                       "c.content_hash WHERE c.id = ?"));
      stmt.Bind(1, id);
      RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) continue;
      const std::string blob = stmt.Blob(0);
      if (blob.size() != static_cast<size_t>(dim) * sizeof(float)) {
        return DataLossError("stored vector of chunk " + std::to_string(id) +
                             " has the wrong size");
      }
      const size_t at = vectors.size();
      vectors.resize(at + static_cast<size_t>(dim));
      std::memcpy(vectors.data() + at, blob.data(), blob.size());
      ids_out.push_back(id);
    }
    (void)bot;
    return OkStatus();
  });
}

}  // namespace

StatusOr<std::shared_ptr<VectorIndex>> EngineInternals::VectorsFor(const Bot& bot) {
  std::lock_guard lock(commit_mu);
  return VectorsForLocked(bot);
}

StatusOr<std::shared_ptr<VectorIndex>> EngineInternals::VectorsForLocked(const Bot& bot) {
  std::shared_ptr<VectorIndex> index;
  StatusOr<std::shared_ptr<VectorIndex>> existing = vectors->GetExisting(bot.key);
  if (existing.ok()) {
    index = *existing;
    auto it = verified.find(bot.key);
    if (it != verified.end() && it->second.lock() == index) return index;
  } else if (existing.status().code() != StatusCode::kNotFound) {
    Logger().Warn("unreadable vector index; rebuilding",
                  {{"bot", bot.key}, {"error", existing.status().message()}});
    RAGD_RETURN_IF_ERROR(vectors->Drop(bot.key));
  }
  RAGD_ASSIGN_OR_RETURN(DbView quick, ReadDbView(db, bot, /*with_ids=*/false));
  if (index &&
      (index->embedder_id() != bot.embedder_id || (quick.dim && index->dim() != quick.dim))) {
    RAGD_RETURN_IF_ERROR(vectors->Drop(bot.key));  // made with another embedder: start over
    index.reset();
  }
  if (!index) {
    if (quick.ids.empty()) return std::shared_ptr<VectorIndex>();  // nothing indexed yet
    RAGD_ASSIGN_OR_RETURN(index, vectors->Get(bot.key, bot.embedder_id, quick.dim));
  }
  if (index->generation() != quick.generation) {
    RAGD_ASSIGN_OR_RETURN(DbView view, ReadDbView(db, bot, /*with_ids=*/true));
    const std::set<int64_t> want(view.ids.begin(), view.ids.end());
    std::vector<int64_t> stale;
    std::set<int64_t> have;
    for (int64_t id : index->Ids()) {
      if (want.count(id)) {
        have.insert(id);
      } else {
        stale.push_back(id);
      }
    }
    std::vector<int64_t> missing;
    for (int64_t id : view.ids) {
      if (!have.count(id)) missing.push_back(id);
    }
    std::vector<int64_t> add_ids;
    std::vector<float> add_vectors;
    RAGD_RETURN_IF_ERROR(ReadVectors(db, bot, missing, index->dim(), add_ids, add_vectors));
    RAGD_RETURN_IF_ERROR(index->Remove(stale).status());
    RAGD_RETURN_IF_ERROR(index->Add(add_ids, add_vectors));
    index->set_generation(view.generation);
    if (!stale.empty() || !add_ids.empty()) {
      Logger().Info("vector index reconciled", {{"bot", bot.key},
                                                {"added", static_cast<int64_t>(add_ids.size())},
                                                {"removed", static_cast<int64_t>(stale.size())}});
    }
  }
  verified[bot.key] = index;
  return index;
}

Status EngineInternals::DropVectors(const Bot& bot) {
  verified.erase(bot.key);
  return vectors->Drop(bot.key);
}

Status EngineInternals::ApplyVectors(const Bot& bot, const std::vector<int64_t>& chunk_ids,
                                     uint64_t generation) {
  RAGD_ASSIGN_OR_RETURN(std::shared_ptr<VectorIndex> index, VectorsForLocked(bot));
  if (!index || index->generation() == generation) return OkStatus();  // already reconciled
  std::vector<int64_t> ids;
  std::vector<float> vecs;
  RAGD_RETURN_IF_ERROR(ReadVectors(db, bot, chunk_ids, index->dim(), ids, vecs));
  RAGD_RETURN_IF_ERROR(index->Add(ids, vecs));
  index->set_generation(generation);
  return OkStatus();
}

}  // namespace ragd
