#include "app/storage.h"

#include <filesystem>

#include "core/schema.h"

namespace ragd {

StatusOr<std::unique_ptr<Database>> OpenMainDatabase(const Config& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return FailedPreconditionError("cannot create data directory " + config.data_dir + ": " +
                                   ec.message());
  }
  std::filesystem::permissions(config.data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  return Database::Open((std::filesystem::path(config.data_dir) / "ragd.db").string(),
                        RagdMigrations());
}

}  // namespace ragd
