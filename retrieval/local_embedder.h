// The embedder a single-machine ragd uses by default.
#pragma once

#include <filesystem>
#include <memory>

#include "core/status.h"
#include "retrieval/embedder.h"

namespace ragd {

// USE-lite (retrieval/use_lite_embedder.h) from `model_dir` when its files are there; when they
// are absent, the hashing embedder (retrieval/hashing_embedder.h, 512-d) and a warning in the
// log saying so and how to fetch the model. Files that are present but truncated or corrupt are
// an error (DataLoss), not a silent fallback: an index built with one embedder cannot be
// searched with the other.
StatusOr<std::unique_ptr<Embedder>> LoadDefaultLocalEmbedder(
    const std::filesystem::path& model_dir);

}  // namespace ragd
