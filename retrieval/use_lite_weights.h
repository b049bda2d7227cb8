// The weights of Universal Sentence Encoder Lite as published in the TF.js graph-model format:
// model.json (topology + weightsManifest) and group1-shard{1..7}of7 (raw little-endian tensors,
// concatenated in manifest order). Internal to retrieval/use_lite_*.
//
// Loading verifies every file against the SHA-256 sums of the published package, because the
// embedder id "use-lite-en" promises identical vectors: different bytes are DataLoss, never a
// silently different model.
//
// Thread safety: immutable after Load.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace ragd::use_lite {

struct Tensor {
  std::vector<int64_t> shape;
  std::span<const float> values;  // into WeightStore::data_; int32 tensors are reinterpreted on use
  std::string dtype;              // "float32" | "int32"
};

class WeightStore {
 public:
  // NotFound naming the first missing file (with a hint to run scripts/setup.sh); DataLoss when a
  // file is truncated, corrupt or not the published one.
  static StatusOr<WeightStore> Load(const std::filesystem::path& model_dir);

  WeightStore(WeightStore&&) = default;
  WeightStore& operator=(WeightStore&&) = default;

  // The float tensor `name` with exactly `shape`, or DataLoss.
  StatusOr<std::span<const float>> Floats(const std::string& name,
                                          const std::vector<int64_t>& shape) const;
  // A float32 or int32 scalar (or one-element tensor), or DataLoss.
  StatusOr<double> Scalar(const std::string& name) const;

 private:
  WeightStore() = default;
  std::vector<float> data_;  // all shards; 4-byte tensors only, so a float array
  std::map<std::string, Tensor> tensors_;
};

// Checks, without reading them, that every model file exists (NotFound naming the first missing
// one, with a hint to run scripts/setup.sh) and has its published size (DataLoss: truncated).
Status CheckModelFiles(const std::filesystem::path& model_dir);
// Reads model_dir/name whole and checks its SHA-256 (for the published files): NotFound if
// absent, DataLoss if unreadable or different from the published file.
StatusOr<std::string> ReadVerifiedModelFile(const std::filesystem::path& model_dir,
                                            const std::string& name);

}  // namespace ragd::use_lite
