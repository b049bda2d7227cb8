#include "engine/provider_registry.h"

#include "engine/providers/bedrock_provider.h"
#include "engine/providers/extractive_provider.h"
#include "engine/providers/openai_provider.h"

namespace ragd {

std::shared_ptr<LlmProvider> ProviderRegistry::Extractive() {
  std::lock_guard lock(mu_);
  auto& slot = by_name_["extractive"];
  if (!slot) slot = NewExtractiveProvider();
  return slot;
}

StatusOr<std::shared_ptr<LlmProvider>> ProviderRegistry::Get(const std::string& provider) {
  if (provider == "extractive") return Extractive();
  std::lock_guard lock(mu_);
  if (auto it = by_name_.find(provider); it != by_name_.end()) return it->second;
  std::shared_ptr<LlmProvider> made;
  if (provider == "bedrock") {
    if (credentials_ == nullptr) return FailedPreconditionError("Bedrock needs AWS credentials");
    BedrockOptions options;
    options.region = remote_.aws_region;
    options.endpoint = remote_.bedrock_endpoint;
    options.credentials = credentials_;
    options.transport = transport_;
    options.clock = &clock_;
    options.breakers = &breakers_;
    RAGD_ASSIGN_OR_RETURN(std::unique_ptr<LlmProvider> p, NewBedrockProvider(options));
    made = std::move(p);
  } else if (provider == "openai") {
    OpenAiOptions options;
    options.base_url = remote_.openai_base_url;
    options.api_key = remote_.openai_api_key;
    options.transport = transport_;
    options.clock = &clock_;
    options.breakers = &breakers_;
    RAGD_ASSIGN_OR_RETURN(std::unique_ptr<LlmProvider> p, NewOpenAiProvider(options));
    made = std::move(p);
  } else {
    return InvalidArgumentError("unknown model provider '" + provider + "'");
  }
  by_name_[provider] = made;
  return made;
}

}  // namespace ragd
