// Where uploaded documents live: objects named by (bucket, key), as in S3.
//
// ObjectStore is the interface ingestion reads through; LocalObjectStore (ingest/
// local_object_store.h) keeps objects on the local disk with their metadata in SQLite, and an
// S3-backed store can implement the same surface.
//
// Keys are opaque UTF-8 strings of 1..1024 bytes (S3's rule): "../x", "a b/ü.pdf" and "//" are
// ordinary keys, never paths. Buckets follow S3 bucket naming (3..63 of [a-z0-9.-]).
//
// Thread safety: implementations allow every method to be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ragd {

// The longest key S3 accepts, in bytes of UTF-8.
inline constexpr size_t kMaxObjectKeyBytes = 1024;

struct ObjectInfo {
  std::string bucket;
  std::string key;
  uint64_t size = 0;
  std::string content_type;
  std::string sha256;  // lower-case hex SHA-256 of the content
  std::string etag;    // S3-style: the quoted lower-case hex MD5 of the content, "\"9e10...\""
  std::chrono::system_clock::time_point last_modified;
};

struct PutObjectOptions {
  std::string content_type = "binary/octet-stream";  // S3's default
  // Store only if the key does not exist yet (S3's "If-None-Match: *"); else kAlreadyExists and
  // nothing changes.
  bool if_absent = false;
};

// A stored object opened for reading. It keeps reading the content it was opened on even if the
// key is overwritten or deleted meanwhile. Not thread-safe; one reader per thread.
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  virtual const ObjectInfo& info() const = 0;
  // Up to `max_bytes` more bytes; an empty string at the end.
  virtual StatusOr<std::string> Read(size_t max_bytes) = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores the complete file at `source_path` as (bucket, key), replacing any previous object of
  // that key atomically: readers see the old object or the new one, never a mix. The store takes
  // the file over (moves it; it is gone afterwards whether or not the put succeeds). For
  // LocalObjectStore the file must be on the store's filesystem (see NewTempPath()).
  // Errors: kInvalidArgument (bad bucket or key), kAlreadyExists (if_absent), kInternal /
  // kUnavailable (disk, database).
  virtual StatusOr<ObjectInfo> PutFile(std::string_view bucket, std::string_view key,
                                       const std::string& source_path,
                                       const PutObjectOptions& options) = 0;
  // PutFile of in-memory bytes.
  virtual StatusOr<ObjectInfo> Put(std::string_view bucket, std::string_view key,
                                   std::string_view content, const PutObjectOptions& options) = 0;

  // kNotFound when there is no such object.
  virtual StatusOr<ObjectInfo> Head(std::string_view bucket, std::string_view key) = 0;
  virtual StatusOr<std::unique_ptr<ObjectReader>> Open(std::string_view bucket,
                                                       std::string_view key) = 0;
  // The whole content; kResourceExhausted (TooLargeError) if it is larger than `max_bytes`.
  StatusOr<std::string> ReadAll(std::string_view bucket, std::string_view key,
                                uint64_t max_bytes = 64ull << 20);

  // True if an object was deleted, false if there was none.
  virtual StatusOr<bool> Delete(std::string_view bucket, std::string_view key) = 0;

  // Objects whose key starts with `prefix`, in byte order of key, after `start_after` (exclusive;
  // "" from the start), at most `limit` (> 0).
  virtual StatusOr<std::vector<ObjectInfo>> List(std::string_view bucket, std::string_view prefix,
                                                 std::string_view start_after = "",
                                                 size_t limit = 1000) = 0;
};

// kInvalidArgument unless `bucket` is 3..63 characters of [a-z0-9.-] starting and ending with a
// letter or digit.
Status ValidateBucketName(std::string_view bucket);
// kInvalidArgument unless `key` is 1..kMaxObjectKeyBytes bytes of valid UTF-8 without NUL.
Status ValidateObjectKey(std::string_view key);

}  // namespace ragd
