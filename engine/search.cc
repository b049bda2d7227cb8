// Engine::Search: embeds the query, runs the bot's search type over its vector and lexical
// indexes (retrieval/hybrid.h) and joins the hits with their chunk rows for citations.
#include <nlohmann/json.hpp>

#include "engine/engine_internal.h"
#include "retrieval/hybrid.h"

namespace ragd {
namespace {

// Vector search always returns its k nearest chunks, however far they are, and rank fusion hides
// how far. A chunk found only by the vector side must be at least this similar to the question to
// count as relevant (unrelated sentences score about 0 with USE-lite and within +-0.1 with the
// hashing embedder; paraphrases 0.5-0.7).
constexpr double kMinVectorOnlySimilarity = 0.15;

StatusOr<SearchType> ParseSearchType(const std::string& s) {
  if (s == "semantic") return SearchType::kSemantic;
  if (s == "lexical") return SearchType::kLexical;
  if (s == "hybrid") return SearchType::kHybrid;
  return UnprocessableError("mode", "must be one of semantic, lexical, hybrid");
}

Status FillHit(Connection& conn, SearchHit& hit) {
  RAGD_ASSIGN_OR_RETURN(
      Statement stmt,
      conn.Prepare(
          "SELECT c.document_id, CASE WHEN d.title != '' THEN d.title ELSE d.filename END, "
          "c.page_start, c.page_end, c.heading_path, c.text, coalesce(p.text, '') "
          "FROM chunks c JOIN documents d ON d.id = c.document_id "
          "LEFT JOIN chunk_parents p ON p.id = c.parent_id WHERE c.id = ?"));
  stmt.Bind(1, hit.chunk_id);
  RAGD_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFoundError("chunk deleted");
  hit.document_id = stmt.Text(0);
  hit.title = stmt.Text(1);
  hit.page_start = static_cast<int>(stmt.Int(2));
  hit.page_end = static_cast<int>(stmt.Int(3));
  nlohmann::json path = nlohmann::json::parse(stmt.Text(4), nullptr, false);
  if (path.is_array()) {
    for (const auto& h : path) {
      if (h.is_string()) hit.heading_path.push_back(h.get<std::string>());
    }
  }
  hit.text = stmt.Text(5);
  hit.context = stmt.Text(6);
  RAGD_ASSIGN_OR_RETURN(row, stmt.Step());
  return OkStatus();
}

}  // namespace

StatusOr<std::vector<SearchHit>> Engine::Search(const Bot& bot, const SearchRequest& request) {
  const KnowledgeConfig& k = bot.config.knowledge;
  RAGD_ASSIGN_OR_RETURN(
      SearchType type,
      ParseSearchType(request.search_type.empty() ? k.search_type : request.search_type));
  HybridOptions options;
  options.type = type;
  options.max_results = request.max_results > 0 ? request.max_results : k.max_results;
  options.min_score = request.min_score.value_or(k.min_score);
  options.filter.document_ids = request.document_ids;
  options.filter.tags = request.tags;

  std::shared_ptr<VectorIndex> index;
  std::vector<float> query_vector;
  if (type != SearchType::kLexical) {
    RAGD_ASSIGN_OR_RETURN(index, in_->VectorsFor(bot));
    if (index) {
      RAGD_ASSIGN_OR_RETURN(std::shared_ptr<Embedder> embedder, in_->embedders.Get(k.embedder));
      const std::string query = request.query;
      RAGD_ASSIGN_OR_RETURN(query_vector, embedder->Embed(std::span<const std::string>(&query, 1),
                                                          EmbedPurpose::kQuery));
      if (static_cast<int>(query_vector.size()) != index->dim()) {
        return FailedPreconditionError(
            "the bot's index was built with another embedder; it is "
            "being re-embedded");
      }
    }
  }
  std::vector<SearchHit> hits;
  RAGD_RETURN_IF_ERROR(in_->db.Read([&](Connection& conn) -> Status {
    HybridSources sources;
    sources.vectors = index.get();
    sources.lexical = &in_->lexical;
    sources.conn = &conn;
    sources.bot_key = bot.key;
    std::shared_ptr<const LexicalMemoryIndex> memory;
    if (type != SearchType::kSemantic && options.filter.empty()) {
      // The in-memory BM25 index is used only if it reflects this snapshot's generation.
      RAGD_ASSIGN_OR_RETURN(Statement gen,
                            conn.Prepare("SELECT index_generation FROM bots WHERE id = ?"));
      gen.Bind(1, bot.id);
      RAGD_ASSIGN_OR_RETURN(bool row, gen.Step());
      if (row) {
        const auto generation = static_cast<uint64_t>(gen.Int(0));
        memory = in_->lexical_memory->Find(bot.id, bot.key, generation, [&]() -> int64_t {
          StatusOr<int64_t> rows = in_->lexical.Count(conn, bot.key);
          return rows.ok() ? *rows : 0;
        });
      }
      sources.memory = memory.get();
    }
    RAGD_ASSIGN_OR_RETURN(std::vector<HybridHit> fused,
                          HybridSearch(sources, request.query, query_vector, options));
    for (const HybridHit& f : fused) {
      if (f.lexical_rank == 0 && f.vector_score < kMinVectorOnlySimilarity) continue;
      SearchHit hit;
      hit.chunk_id = f.chunk_id;
      hit.score = f.score;
      hit.vector_score = f.vector_score;
      hit.lexical_score = f.lexical_score;
      Status s = FillHit(conn, hit);
      if (s.code() == StatusCode::kNotFound) continue;  // deleted since the index was read
      RAGD_RETURN_IF_ERROR(s);
      hits.push_back(std::move(hit));
    }
    return OkStatus();
  }));
  return hits;
}

}  // namespace ragd
