#include "engine/embedder_registry.h"

#include "retrieval/hashing_embedder.h"
#include "retrieval/local_embedder.h"
#include "retrieval/remote/remote_embedder.h"

namespace ragd {
namespace {

std::string SpecKey(const EmbedderSpec& s) {
  return s.provider + "|" + s.model_id + "|" + std::to_string(s.dimensions);
}

}  // namespace

StatusOr<std::shared_ptr<Embedder>> EmbedderRegistry::Get(const EmbedderSpec& spec) {
  const std::string key = SpecKey(spec);
  std::lock_guard lock(mu_);
  if (auto it = by_spec_.find(key); it != by_spec_.end()) return it->second;
  std::shared_ptr<Embedder> embedder;
  if (spec.provider == "local") {
    RAGD_ASSIGN_OR_RETURN(std::unique_ptr<Embedder> e, LoadDefaultLocalEmbedder(model_dir_));
    embedder = std::move(e);
  } else if (spec.provider == "hashing") {
    embedder = NewHashingEmbedder(spec.dimensions > 0 ? spec.dimensions : 512);
  } else if (spec.provider == "bedrock") {
    if (transport_ == nullptr || credentials_ == nullptr) {
      return FailedPreconditionError("Bedrock embedders need AWS credentials");
    }
    BedrockEmbedderOptions options;
    options.model_id = spec.model_id;
    options.region = remote_.aws_region;
    options.endpoint = remote_.bedrock_endpoint;
    if (spec.dimensions > 0) options.dimensions = spec.dimensions;
    RAGD_ASSIGN_OR_RETURN(std::unique_ptr<Embedder> e,
                          NewBedrockEmbedder(options, *transport_, clock_, *credentials_));
    embedder = std::move(e);
  } else if (spec.provider == "openai") {
    if (transport_ == nullptr) return FailedPreconditionError("no HTTP transport");
    OpenAiEmbedderOptions options;
    options.base_url = remote_.openai_base_url;
    options.api_key = remote_.openai_api_key;
    options.model = spec.model_id;
    options.dim = spec.dimensions;
    RAGD_ASSIGN_OR_RETURN(std::unique_ptr<Embedder> e,
                          NewOpenAiEmbedder(options, *transport_, clock_));
    embedder = std::move(e);
  } else {
    return InvalidArgumentError("unknown embedder provider '" + spec.provider + "'");
  }
  by_spec_[key] = embedder;
  return embedder;
}

}  // namespace ragd
