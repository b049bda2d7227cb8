// Object operations: put, get, head, delete, list, presign.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "aws/s3_client.h"
#include "aws/s3_client_internal.h"
#include "aws/sigv4.h"
#include "core/crypto.h"

namespace ragd {
namespace {

Status ErrnoStatus(int error_number, const std::string& what) {
  const std::string message = what + ": " + std::strerror(error_number);
  if (error_number == ENOENT) return NotFoundError(message);
  if (error_number == EACCES || error_number == EPERM) return PermissionDeniedError(message);
  if (error_number == ENOSPC || error_number == EDQUOT) return ResourceExhaustedError(message);
  return InternalError(message);
}

// A temporary file next to the destination; removed on destruction unless committed.
class TempFile {
 public:
  TempFile() = default;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  Status Open(const std::string& destination) {
    path_ = destination + ".ragd-tmp-XXXXXX";
    fd_ = ::mkstemp(path_.data());
    if (fd_ < 0) {
      const int e = errno;
      path_.clear();
      return ErrnoStatus(e, "cannot create a temporary file next to " + destination);
    }
    return OkStatus();
  }

  Status Truncate() {
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) {
      return ErrnoStatus(errno, "cannot truncate " + path_);
    }
    written_ = 0;
    return OkStatus();
  }

  Status Write(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus(errno, "writing " + path_ + " failed");
      data.remove_prefix(static_cast<size_t>(n));
      written_ += static_cast<uint64_t>(n);
    }
    return OkStatus();
  }

  // fsync, close, rename over `destination`: readers see the old file or the whole new one.
  Status CommitTo(const std::string& destination) {
    if (::fsync(fd_) != 0) return ErrnoStatus(errno, "fsync of " + path_ + " failed");
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoStatus(errno, "closing " + path_ + " failed");
    if (::rename(path_.c_str(), destination.c_str()) != 0) {
      return ErrnoStatus(errno, "cannot rename the download to " + destination);
    }
    path_.clear();
    return OkStatus();
  }

  uint64_t BytesWritten() const { return written_; }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t written_ = 0;
};

}  // namespace

StatusOr<S3PutResult> S3Client::PutObject(std::string_view bucket, std::string_view key,
                                          std::string_view body, const S3PutOptions& options) {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, key, /*key_required=*/true));
  Call call;
  call.op = "PutObject";
  call.method = "PUT";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"x-id", "PutObject"}};
  RAGD_ASSIGN_OR_RETURN(call.headers, S3PutHeaders(options));
  call.headers.emplace_back("Content-Length", std::to_string(body.size()));
  call.body = body;
  call.payload_hash = Sha256Hex(body);  // once, not per attempt
  call.transfer = true;
  RAGD_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
  return S3PutResult{FindHeader(response.headers, "etag").value_or(""), 0};
}

StatusOr<S3PutResult> S3Client::PutObjectFromFile(std::string_view bucket, std::string_view key,
                                                  const std::string& path,
                                                  const S3PutOptions& options) {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, key, /*key_required=*/true));
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return ErrnoStatus(errno, "cannot read " + path);
  if (!S_ISREG(info.st_mode)) return InvalidArgumentError(path + " is not a regular file");
  const auto size = static_cast<uint64_t>(info.st_size);
  if (size > 0 && size >= options_.multipart_threshold) {
    return PutFileMultipart(bucket, key, path, size, options);
  }
  Call call;
  call.op = "PutObject";
  call.method = "PUT";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"x-id", "PutObject"}};
  RAGD_ASSIGN_OR_RETURN(call.headers, S3PutHeaders(options));
  call.headers.emplace_back("Content-Length", std::to_string(size));
  call.body_file = path;
  call.transfer = true;
  if (!options_.sign_file_payloads && endpoint_scheme_ == "https") {
    call.payload_hash = std::string(kUnsignedPayload);
  } else {
    RAGD_ASSIGN_OR_RETURN(call.payload_hash, Sha256FileHex(path));
  }
  RAGD_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
  return S3PutResult{FindHeader(response.headers, "etag").value_or(""), 0};
}

StatusOr<S3ObjectInfo> S3Client::GetObjectToFile(std::string_view bucket, std::string_view key,
                                                 const std::string& path) {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, key, /*key_required=*/true));
  TempFile temp;
  RAGD_RETURN_IF_ERROR(temp.Open(path));
  Status write_error;
  Call call;
  call.op = "GetObject";
  call.method = "GET";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"x-id", "GetObject"}};
  call.transfer = true;
  call.reset_sink = [&temp] { return temp.Truncate(); };
  call.on_body = [&](std::string_view chunk) {
    write_error = temp.Write(chunk);
    return write_error.ok();
  };
  StatusOr<HttpResponse> response = Execute(call);
  if (!write_error.ok()) return write_error;
  if (!response.ok()) return response.status();
  S3ObjectInfo info = S3ObjectInfoFromHeaders(response->headers);
  if (FindHeader(response->headers, "content-length") && info.size != temp.BytesWritten()) {
    return DataLossError("S3 GetObject " + S3Resource(bucket, key) + ": got " +
                         std::to_string(temp.BytesWritten()) + " of " + std::to_string(info.size) +
                         " bytes");
  }
  info.size = temp.BytesWritten();
  RAGD_RETURN_IF_ERROR(temp.CommitTo(path));
  return info;
}

StatusOr<std::string> S3Client::GetObject(std::string_view bucket, std::string_view key,
                                          uint64_t max_bytes) {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, key, /*key_required=*/true));
  std::string body;
  bool too_large = false;
  Call call;
  call.op = "GetObject";
  call.method = "GET";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"x-id", "GetObject"}};
  call.transfer = true;
  call.reset_sink = [&body] {
    body.clear();
    return OkStatus();
  };
  call.on_body = [&](std::string_view chunk) {
    too_large = body.size() + chunk.size() > max_bytes;
    if (!too_large) body.append(chunk);
    return !too_large;
  };
  StatusOr<HttpResponse> response = Execute(call);
  if (too_large) {
    return TooLargeError("S3 GetObject " + S3Resource(bucket, key) + ": object is larger than " +
                         std::to_string(max_bytes) + " bytes");
  }
  if (!response.ok()) return response.status();
  return body;
}

StatusOr<S3ObjectInfo> S3Client::HeadObject(std::string_view bucket, std::string_view key) {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, key, /*key_required=*/true));
  Call call;
  call.op = "HeadObject";
  call.method = "HEAD";
  call.bucket = bucket;
  call.key = key;
  RAGD_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
  return S3ObjectInfoFromHeaders(response.headers);
}

Status S3Client::DeleteObject(std::string_view bucket, std::string_view key) {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, key, /*key_required=*/true));
  Call call;
  call.op = "DeleteObject";
  call.method = "DELETE";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"x-id", "DeleteObject"}};
  return Execute(call).status();
}

StatusOr<S3ListPage> S3Client::ListObjectsV2(std::string_view bucket,
                                             const S3ListRequest& request) {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, "", /*key_required=*/false));
  if (request.max_keys < 0) return InvalidArgumentError("S3 ListObjectsV2: max_keys must be >= 0");
  Call call;
  call.op = "ListObjectsV2";
  call.method = "GET";
  call.bucket = bucket;
  // The JavaScript SDK's parameter order; encoding-type=url keeps keys with characters XML 1.0
  // cannot carry intact (the parser decodes only when the response says it is encoded).
  call.query = {{"list-type", "2"}};
  if (!request.delimiter.empty()) call.query.emplace_back("delimiter", request.delimiter);
  call.query.emplace_back("encoding-type", "url");
  if (request.max_keys > 0) call.query.emplace_back("max-keys", std::to_string(request.max_keys));
  if (!request.prefix.empty()) call.query.emplace_back("prefix", request.prefix);
  if (!request.continuation_token.empty()) {
    call.query.emplace_back("continuation-token", request.continuation_token);
  }
  if (!request.start_after.empty()) call.query.emplace_back("start-after", request.start_after);
  RAGD_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
  StatusOr<S3ListPage> page = ParseListObjectsV2Xml(response.body);
  if (!page.ok()) return page.status().WithContext(S3Resource(bucket, ""));
  return page;
}

Status S3Client::ForEachListPage(std::string_view bucket, S3ListRequest request,
                                 const std::function<Status(const S3ListPage&)>& on_page) {
  while (true) {
    RAGD_ASSIGN_OR_RETURN(S3ListPage page, ListObjectsV2(bucket, request));
    RAGD_RETURN_IF_ERROR(on_page(page));
    if (!page.is_truncated) return OkStatus();
    if (page.next_continuation_token == request.continuation_token) {
      return DataLossError("S3 ListObjectsV2 " + S3Resource(bucket, "") +
                           ": the server repeated its continuation token");
    }
    request.continuation_token = std::move(page.next_continuation_token);
  }
}

StatusOr<std::vector<S3ObjectSummary>> S3Client::ListAllObjects(std::string_view bucket,
                                                                const S3ListRequest& request) {
  std::vector<S3ObjectSummary> all;
  RAGD_RETURN_IF_ERROR(ForEachListPage(bucket, request, [&all](const S3ListPage& page) {
    all.insert(all.end(), page.objects.begin(), page.objects.end());
    return OkStatus();
  }));
  return all;
}

StatusOr<S3PresignedRequest> S3Client::PresignPut(std::string_view bucket, std::string_view key,
                                                  const S3PresignOptions& options) {
  return Presign("PUT", bucket, key, options);
}

StatusOr<S3PresignedRequest> S3Client::PresignGet(std::string_view bucket, std::string_view key,
                                                  const S3PresignOptions& options) {
  if (!options.content_type.empty()) {
    return InvalidArgumentError("S3 PresignGet: content_type applies to PresignPut only");
  }
  return Presign("GET", bucket, key, options);
}

StatusOr<S3PresignedRequest> S3Client::Presign(std::string_view method, std::string_view bucket,
                                               std::string_view key,
                                               const S3PresignOptions& options) {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, key, /*key_required=*/true));
  RAGD_ASSIGN_OR_RETURN(S3Target target, Target(bucket, key));
  StatusOr<AwsCredentials> credentials = credentials_();
  if (!credentials.ok()) return credentials.status().WithContext("S3 presign: credentials");
  const auto now = clock_.Now();

  // What getSignedUrl of a PutObjectCommand / GetObjectCommand signs (see the SDK cross-check).
  SignableRequest request;
  request.method = std::string(method);
  request.scheme = target.scheme;
  request.path = target.path;
  request.query = {{"x-id", method == "PUT" ? "PutObject" : "GetObject"}};
  request.headers = {{"host", target.host}};
  S3PresignedRequest result;
  if (!options.content_type.empty()) {
    request.headers.emplace_back("content-type", options.content_type);
    result.headers.emplace_back("Content-Type", options.content_type);
  }
  request.headers.emplace_back("X-Amz-Content-Sha256", std::string(kUnsignedPayload));
  SigningOptions signing = S3SigningOptions(options_.region, now);
  signing.expires = options.expires;
  signing.query_order = PresignQueryOrder::kSdk;
  StatusOr<PresignResult> presigned = ragd::Presign(request, *credentials, signing);
  if (!presigned.ok())
    return presigned.status().WithContext("S3 presign " + S3Resource(bucket, key));
  result.method = std::string(method);
  result.url = std::move(presigned->url);
  result.expires_at = std::chrono::time_point_cast<std::chrono::seconds>(now) + options.expires;
  return result;
}

}  // namespace ragd
