// The `ragd` subcommands. Each returns a process exit code and prints user-facing errors itself.
#pragma once

#include <string>

#include "core/config.h"

namespace ragd {

struct ServeFlags {
  bool demo = false;  // rotate and print a demo admin key
};

int RunServe(const Config& config, const ServeFlags& flags);
int RunKeysCreate(const Config& config, const std::string& name, const std::string& role);
int RunKeysList(const Config& config);
int RunKeysRevoke(const Config& config, const std::string& id);

}  // namespace ragd
