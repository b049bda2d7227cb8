// The embedded object store: content on the local disk, metadata in ragd.db.
//
// Layout under `root` (<data_dir>/objects):
//   tmp/<random>.part         uploads being received and files being prepared (NewTempPath)
//   <ab>/<abcdef...>          one file per stored object version, named by a random 128-bit id
//                             (fanned out by its first two hex digits); keys never become paths
// and one row per object in the `objects` table (core/schema.cc): (bucket, key) -> file id, size,
// content type, SHA-256, ETag, time.
//
// Put protocol: hash the file and fsync it, rename it to its final name, fsync the directory,
// then insert/replace the row in one transaction: the commit is the moment the object exists.
// The previous version's file is unlinked after the commit. A crash before the commit leaves an
// unreferenced file; a crash after it, a stale previous file; Recover() removes both, and
// everything in tmp/.
//
// Thread safety: all methods may be called concurrently, also from several processes sharing the
// data directory, except Recover() (see there).
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/sqlite.h"
#include "ingest/object_store.h"

namespace ragd {

struct RecoveryStats {
  int temp_files_removed = 0;
  int orphan_files_removed = 0;
};

class LocalObjectStore final : public ObjectStore {
 public:
  // Creates `root` and root/tmp (mode 0700) if needed. `db` must carry ragd's schema (the
  // `objects` table) and, like `clock`, outlive the store.
  static StatusOr<std::unique_ptr<LocalObjectStore>> Create(Database& db, std::string root,
                                                            Clock& clock);

  // Removes leftovers of interrupted writes: every file in tmp/ and every object file no row
  // refers to. Call once at startup, before the store is used and while no other process uses
  // the directory (a concurrent put's not-yet-committed file would look orphaned).
  StatusOr<RecoveryStats> Recover();

  // A fresh, unused path in tmp/ for a file to hand to PutFile (the file is not created). Only
  // the name is random; nothing is reserved on disk.
  std::string NewTempPath() const;

  // Where the current version of (bucket, key) is on disk (for tests and tools; the file may be
  // replaced at any moment: read through Open() instead).
  StatusOr<std::string> PathOf(std::string_view bucket, std::string_view key);

  const std::string& root() const { return root_; }

  StatusOr<ObjectInfo> PutFile(std::string_view bucket, std::string_view key,
                               const std::string& source_path,
                               const PutObjectOptions& options) override;
  StatusOr<ObjectInfo> Put(std::string_view bucket, std::string_view key, std::string_view content,
                           const PutObjectOptions& options) override;
  StatusOr<ObjectInfo> Head(std::string_view bucket, std::string_view key) override;
  StatusOr<std::unique_ptr<ObjectReader>> Open(std::string_view bucket,
                                               std::string_view key) override;
  StatusOr<bool> Delete(std::string_view bucket, std::string_view key) override;
  StatusOr<std::vector<ObjectInfo>> List(std::string_view bucket, std::string_view prefix,
                                         std::string_view start_after = "",
                                         size_t limit = 1000) override;

 private:
  LocalObjectStore(Database& db, std::string root, Clock& clock)
      : db_(db), root_(std::move(root)), clock_(clock) {}

  std::string FilePath(const std::string& file_id) const;
  // The row and file id of (bucket, key); kNotFound when absent.
  StatusOr<std::pair<ObjectInfo, std::string>> Lookup(std::string_view bucket,
                                                      std::string_view key);

  Database& db_;
  const std::string root_;
  Clock& clock_;
};

}  // namespace ragd
