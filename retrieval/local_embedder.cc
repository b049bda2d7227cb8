#include "retrieval/local_embedder.h"

#include "core/log.h"
#include "retrieval/hashing_embedder.h"
#include "retrieval/use_lite_embedder.h"

namespace ragd {

StatusOr<std::unique_ptr<Embedder>> LoadDefaultLocalEmbedder(
    const std::filesystem::path& model_dir) {
  StatusOr<std::unique_ptr<Embedder>> use_lite = LoadUseLiteEmbedder(model_dir);
  if (use_lite.ok() || use_lite.status().code() != StatusCode::kNotFound) return use_lite;
  std::unique_ptr<Embedder> fallback = NewHashingEmbedder();
  Logger().Warn("USE-lite model not found; using the lexical hashing embedder instead",
                {{"embedder", fallback->id()},
                 {"model_dir", model_dir.string()},
                 {"reason", use_lite.status().message()},
                 {"fix", "run scripts/setup.sh (or scripts/fetch_model.sh) to fetch the model"}});
  return fallback;
}

}  // namespace ragd
