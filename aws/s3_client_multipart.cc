// Multipart uploads: the four S3 operations and the file upload that drives them.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "aws/s3_client.h"
#include "aws/s3_client_internal.h"
#include "core/crypto.h"
#include "core/log.h"

namespace ragd {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }  // NOLINT(*-owning-memory)
};

Status ValidateUploadId(std::string_view upload_id) {
  if (upload_id.empty()) return InvalidArgumentError("S3 multipart: empty upload id");
  return OkStatus();
}

}  // namespace

StatusOr<std::string> S3Client::CreateMultipartUpload(std::string_view bucket, std::string_view key,
                                                      const S3PutOptions& options) {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, key, /*key_required=*/true));
  Call call;
  call.op = "CreateMultipartUpload";
  call.method = "POST";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"uploads", ""}};
  RAGD_ASSIGN_OR_RETURN(call.headers, S3PutHeaders(options));
  RAGD_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
  StatusOr<std::string> upload_id = ParseInitiateMultipartUploadXml(response.body);
  if (!upload_id.ok()) return upload_id.status().WithContext(S3Resource(bucket, key));
  return upload_id;
}

StatusOr<std::string> S3Client::UploadPart(std::string_view bucket, std::string_view key,
                                           std::string_view upload_id, int part_number,
                                           std::string_view body) {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, key, /*key_required=*/true));
  RAGD_RETURN_IF_ERROR(ValidateUploadId(upload_id));
  if (part_number < 1 || part_number > kS3MaxParts) {
    return InvalidArgumentError("S3 UploadPart: part number must be 1..10000");
  }
  Call call;
  call.op = "UploadPart";
  call.method = "PUT";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"x-id", "UploadPart"},
                {"partNumber", std::to_string(part_number)},
                {"uploadId", std::string(upload_id)}};
  call.headers = {{"Content-Length", std::to_string(body.size())}};
  call.body = body;
  call.payload_hash = Sha256Hex(body);
  call.transfer = true;
  RAGD_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
  std::optional<std::string> etag = FindHeader(response.headers, "etag");
  if (!etag || etag->empty()) {
    return DataLossError("S3 UploadPart " + S3Resource(bucket, key) + ": response has no ETag");
  }
  return *etag;
}

StatusOr<S3PutResult> S3Client::CompleteMultipartUpload(std::string_view bucket,
                                                        std::string_view key,
                                                        std::string_view upload_id,
                                                        const std::vector<CompletedPart>& parts) {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, key, /*key_required=*/true));
  RAGD_RETURN_IF_ERROR(ValidateUploadId(upload_id));
  if (parts.empty()) return InvalidArgumentError("S3 CompleteMultipartUpload: no parts");
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const CompletedPart& part : parts) {
    xml += "<Part><ETag>" + XmlEscapeText(part.etag) + "</ETag><PartNumber>" +
           std::to_string(part.part_number) + "</PartNumber></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  Call call;
  call.op = "CompleteMultipartUpload";
  call.method = "POST";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"uploadId", std::string(upload_id)}};
  call.headers = {{"Content-Type", "application/xml"},
                  {"Content-Length", std::to_string(xml.size())}};
  call.body = xml;
  call.payload_hash = Sha256Hex(xml);
  // S3 may take minutes to assemble a large object, sending whitespace meanwhile: only the idle
  // timeout applies.
  call.transfer = true;
  call.error_may_hide_in_200 = true;
  RAGD_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
  StatusOr<std::string> etag = ParseCompleteMultipartUploadXml(response.body);
  if (!etag.ok()) return etag.status().WithContext(S3Resource(bucket, key));
  return S3PutResult{std::move(*etag), static_cast<int>(parts.size())};
}

Status S3Client::AbortMultipartUpload(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id) {
  RAGD_RETURN_IF_ERROR(ValidateS3Names(bucket, key, /*key_required=*/true));
  RAGD_RETURN_IF_ERROR(ValidateUploadId(upload_id));
  Call call;
  call.op = "AbortMultipartUpload";
  call.method = "DELETE";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"x-id", "AbortMultipartUpload"}, {"uploadId", std::string(upload_id)}};
  return Execute(call).status();
}

StatusOr<S3PutResult> S3Client::PutFileMultipart(std::string_view bucket, std::string_view key,
                                                 const std::string& path, uint64_t size,
                                                 const S3PutOptions& options) {
  // Big enough that the file fits in kS3MaxParts parts, rounded up to whole MiB.
  uint64_t part_size = std::max(options_.part_size, (size + kS3MaxParts - 1) / kS3MaxParts);
  part_size = (part_size + kMiB - 1) / kMiB * kMiB;

  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int e = errno;
    const std::string why = "cannot open " + path + ": " + std::strerror(e);
    return e == ENOENT ? NotFoundError(why) : InternalError(why);
  }
  RAGD_ASSIGN_OR_RETURN(std::string upload_id, CreateMultipartUpload(bucket, key, options));

  // Every failure after this point aborts the upload so S3 does not keep (and bill) the parts.
  auto abort_with = [&](const Status& error) -> Status {
    Status aborted = AbortMultipartUpload(bucket, key, upload_id);
    if (!aborted.ok()) {
      Log(LogLevel::kWarn, "-", "s3 multipart abort failed",
          {{"resource", S3Resource(bucket, key)}, {"error", aborted.ToString()}});
    }
    return error;
  };

  std::vector<CompletedPart> parts;
  std::string buffer(static_cast<size_t>(std::min(part_size, size)), '\0');
  uint64_t offset = 0;
  for (int number = 1; offset < size; ++number) {
    const auto want = static_cast<size_t>(std::min(part_size, size - offset));
    const size_t got = std::fread(buffer.data(), 1, want, file.get());
    if (got != want) {
      return abort_with(std::ferror(file.get())
                            ? InternalError("reading " + path + " failed")
                            : DataLossError(path + " shrank while it was being uploaded"));
    }
    StatusOr<std::string> etag =
        UploadPart(bucket, key, upload_id, number, std::string_view(buffer.data(), got));
    if (!etag.ok()) return abort_with(etag.status());
    parts.push_back({number, std::move(*etag)});
    offset += got;
  }
  StatusOr<S3PutResult> result = CompleteMultipartUpload(bucket, key, upload_id, parts);
  if (!result.ok()) return abort_with(result.status());
  return result;
}

}  // namespace ragd
