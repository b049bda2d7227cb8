// The `ragd` subcommands. Each returns a process exit code and prints user-facing errors itself.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace ragd {

struct ServeFlags {
  bool demo = false;     // rotate and print a demo admin key; create the demo bot
  std::string demo_dir;  // documents of the demo bot (default: the source tree's data/demo)
};

struct IngestFlags {
  std::string bot;
  std::vector<std::string> paths;
  std::string password;  // for encrypted PDFs
  bool quiet = false;    // no progress bar
};

int RunServe(const Config& config, const ServeFlags& flags);
int RunIngest(const Config& config, const IngestFlags& flags);
int RunKeysCreate(const Config& config, const std::string& name, const std::string& role);
int RunKeysList(const Config& config);
int RunKeysRevoke(const Config& config, const std::string& id);

}  // namespace ragd
