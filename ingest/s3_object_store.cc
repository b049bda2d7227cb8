#include "ingest/s3_object_store.h"

#include <fstream>

#include "core/crypto.h"

namespace ragd {
namespace {

ObjectInfo FromS3(std::string_view bucket, std::string_view key, const S3ObjectInfo& s3) {
  ObjectInfo info;
  info.bucket = std::string(bucket);
  info.key = std::string(key);
  info.size = s3.size;
  info.content_type = s3.content_type;
  info.etag = s3.etag;
  info.last_modified = s3.last_modified;
  return info;
}

// Reads a downloaded copy and removes it when done.
class TempFileReader final : public ObjectReader {
 public:
  TempFileReader(ObjectInfo info, std::filesystem::path path)
      : info_(std::move(info)), path_(std::move(path)), in_(path_, std::ios::binary) {}
  ~TempFileReader() override {
    in_.close();
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  const ObjectInfo& info() const override { return info_; }
  StatusOr<std::string> Read(size_t max_bytes) override {
    std::string buf(max_bytes, '\0');
    in_.read(buf.data(), static_cast<std::streamsize>(max_bytes));
    if (in_.bad()) return UnavailableError("cannot read the downloaded object");
    buf.resize(static_cast<size_t>(in_.gcount()));
    return buf;
  }

 private:
  ObjectInfo info_;
  std::filesystem::path path_;
  std::ifstream in_;
};

}  // namespace

StatusOr<ObjectInfo> S3ObjectStore::PutFile(std::string_view bucket, std::string_view key,
                                            const std::string& source_path,
                                            const PutObjectOptions& options) {
  S3PutOptions put;
  put.content_type = options.content_type;
  StatusOr<S3PutResult> result = client_.PutObjectFromFile(bucket, key, source_path, put);
  std::error_code ec;
  const auto size = std::filesystem::file_size(source_path, ec);
  std::filesystem::remove(source_path, ec);  // the store takes the file over either way
  RAGD_RETURN_IF_ERROR(result.status());
  ObjectInfo info;
  info.bucket = std::string(bucket);
  info.key = std::string(key);
  info.size = size;
  info.content_type = options.content_type;
  info.etag = result->etag;
  return info;
}

StatusOr<ObjectInfo> S3ObjectStore::Put(std::string_view bucket, std::string_view key,
                                        std::string_view content, const PutObjectOptions& options) {
  S3PutOptions put;
  put.content_type = options.content_type;
  RAGD_ASSIGN_OR_RETURN(S3PutResult result, client_.PutObject(bucket, key, content, put));
  ObjectInfo info;
  info.bucket = std::string(bucket);
  info.key = std::string(key);
  info.size = content.size();
  info.content_type = options.content_type;
  info.sha256 = Sha256Hex(content);
  info.etag = result.etag;
  return info;
}

StatusOr<ObjectInfo> S3ObjectStore::Head(std::string_view bucket, std::string_view key) {
  RAGD_ASSIGN_OR_RETURN(S3ObjectInfo s3, client_.HeadObject(bucket, key));
  return FromS3(bucket, key, s3);
}

StatusOr<std::unique_ptr<ObjectReader>> S3ObjectStore::Open(std::string_view bucket,
                                                            std::string_view key) {
  std::error_code ec;
  std::filesystem::create_directories(temp_dir_, ec);
  const std::filesystem::path path = temp_dir_ / ("s3-" + RandomAlnum(16));
  RAGD_ASSIGN_OR_RETURN(S3ObjectInfo s3, client_.GetObjectToFile(bucket, key, path.string()));
  return std::unique_ptr<ObjectReader>(
      std::make_unique<TempFileReader>(FromS3(bucket, key, s3), path));
}

StatusOr<bool> S3ObjectStore::Delete(std::string_view bucket, std::string_view key) {
  RAGD_RETURN_IF_ERROR(client_.DeleteObject(bucket, key));
  return true;  // S3 does not say whether the key existed
}

StatusOr<std::vector<ObjectInfo>> S3ObjectStore::List(std::string_view bucket,
                                                      std::string_view prefix,
                                                      std::string_view start_after, size_t limit) {
  S3ListRequest request;
  request.prefix = std::string(prefix);
  request.start_after = std::string(start_after);
  request.max_keys = static_cast<int>(std::min<size_t>(limit, 1000));
  RAGD_ASSIGN_OR_RETURN(S3ListPage page, client_.ListObjectsV2(bucket, request));
  std::vector<ObjectInfo> out;
  for (const S3ObjectSummary& o : page.objects) {
    ObjectInfo info;
    info.bucket = std::string(bucket);
    info.key = o.key;
    info.size = o.size;
    info.etag = o.etag;
    info.last_modified = o.last_modified;
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace ragd
