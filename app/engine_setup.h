// Building the Engine from the configuration, and what `serve --demo` and `ragd ingest` share.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/objects.h"
#include "core/config.h"
#include "core/sqlite.h"
#include "engine/chat.h"
#include "engine/conversation_store.h"
#include "engine/engine.h"
#include "engine/provider_registry.h"

namespace ragd {

// The engine plus what it borrows (HTTP transport, AWS credential chain for Bedrock).
struct EngineBundle {
  std::unique_ptr<HttpTransport> http;
  std::unique_ptr<AwsCredentialChain> aws;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<ConversationStore> conversations;
  std::unique_ptr<ProviderRegistry> providers;
  std::unique_ptr<ChatService> chat;
};

StatusOr<EngineBundle> OpenEngine(const Config& config, Database& db, ObjectBackend& objects);

// Takes an exclusive lock on <data_dir>/LOCK for the life of the process: one process (server or
// CLI ingest) owns a data directory's job queue and index files at a time.
Status LockDataDir(const Config& config);

// The content type ragd uses for a file, from its extension; empty when unsupported.
std::string ContentTypeForPath(const std::filesystem::path& path);

// Regular files under `paths` (folders recursively), sorted; unsupported types reported in
// `skipped`.
std::vector<std::filesystem::path> CollectFiles(const std::vector<std::string>& paths,
                                                std::vector<std::string>& skipped);

// Creates the demo bot ("demo", shared, extractive) over data/demo if it has no documents yet and
// queues its files. Returns the bot.
StatusOr<Bot> EnsureDemoBot(Engine& engine, const Caller& owner, const std::filesystem::path& dir);

// Where the demo documents are (source tree data/demo unless overridden).
std::filesystem::path DefaultDemoDir();

}  // namespace ragd
