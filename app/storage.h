// Opening the data directory: creates it if needed and opens (migrating) ragd.db.
#pragma once

#include <memory>

#include "core/config.h"
#include "core/sqlite.h"

namespace ragd {

StatusOr<std::unique_ptr<Database>> OpenMainDatabase(const Config& config);

}  // namespace ragd
