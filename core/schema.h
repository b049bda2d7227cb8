// The schema of ragd's main database (ragd.db), as an ordered list of migrations. Every module's
// tables live here so that versions stay linear; append, never edit, a released migration.
#pragma once

#include <vector>

#include "core/sqlite.h"

namespace ragd {

const std::vector<Migration>& RagdMigrations();

}  // namespace ragd
