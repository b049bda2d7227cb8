// Embedders by bot configuration: one shared instance per distinct EmbedderSpec.
//
// "local" is USE-lite when its files are in model_dir, else the hashing embedder (the id says
// which, so a bot indexed with one and later served with the other is re-embedded).
// Thread safety: Get() may be called concurrently; embedders are thread-safe themselves.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "aws/credentials.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "engine/bot_config.h"
#include "retrieval/embedder.h"

namespace ragd {

struct RemoteProviderOptions {
  std::string aws_region = "us-east-1";
  std::string bedrock_endpoint;  // empty: AWS
  std::string openai_base_url;
  std::string openai_api_key;
};

class EmbedderRegistry {
 public:
  // `transport`, `credentials` and `clock` must outlive the registry; they are only used by
  // remote embedders. `credentials` may be null (Bedrock embedders then fail to create).
  EmbedderRegistry(std::filesystem::path model_dir, RemoteProviderOptions remote,
                   HttpTransport* transport, AwsCredentialsProvider* credentials, Clock& clock)
      : model_dir_(std::move(model_dir)),
        remote_(std::move(remote)),
        transport_(transport),
        credentials_(credentials),
        clock_(clock) {}

  StatusOr<std::shared_ptr<Embedder>> Get(const EmbedderSpec& spec);

 private:
  std::filesystem::path model_dir_;
  RemoteProviderOptions remote_;
  HttpTransport* transport_;
  AwsCredentialsProvider* credentials_;
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Embedder>> by_spec_;  // guarded by mu_
};

}  // namespace ragd
