// ObjectStore over Amazon S3 (objects.store = s3): what ingestion reads uploaded documents through
// when clients upload straight to a bucket with presigned URLs.
//
// S3 does not report SHA-256 (ObjectInfo::sha256 stays empty; ingestion hashes what it reads).
// Open() downloads the object to a private temporary file first (GetObjectToFile) and reads from
// that, so a reader never sees a half-replaced object. Thread-safe like S3Client.
#pragma once

#include <filesystem>

#include "aws/s3_client.h"
#include "ingest/object_store.h"

namespace ragd {

class S3ObjectStore final : public ObjectStore {
 public:
  // `client` must outlive the store; downloads go to `temp_dir` (created if missing).
  S3ObjectStore(S3Client& client, std::filesystem::path temp_dir)
      : client_(client), temp_dir_(std::move(temp_dir)) {}

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
                                         std::string_view start_after, size_t limit) override;

 private:
  S3Client& client_;
  std::filesystem::path temp_dir_;
};

}  // namespace ragd
