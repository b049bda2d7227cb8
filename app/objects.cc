#include "app/objects.h"

#include <filesystem>

#include "ingest/object_credentials.h"
#include "ingest/s3_object_store.h"

namespace ragd {
namespace {

Status OpenLocal(const Config& config, Database& db, const std::string& endpoint, const Logger& log,
                 ObjectBackend& out) {
  RAGD_ASSIGN_OR_RETURN(out.credentials, ResolveObjectCredentials(config, db, Clock::Real()));
  RAGD_ASSIGN_OR_RETURN(
      out.store,
      LocalObjectStore::Create(db, (std::filesystem::path(config.data_dir) / "objects").string(),
                               Clock::Real()));
  RAGD_ASSIGN_OR_RETURN(RecoveryStats recovered, out.store->Recover());
  if (recovered.temp_files_removed + recovered.orphan_files_removed > 0) {
    log.Info("removed leftovers of interrupted uploads",
             {{"temp_files", recovered.temp_files_removed},
              {"orphan_files", recovered.orphan_files_removed}});
  }
  LocalUploadUrlOptions options;
  options.endpoint = endpoint;
  options.bucket = config.objects_bucket;
  options.region = config.objects_region;
  options.credentials = out.credentials;
  options.default_expiry = std::chrono::seconds(config.objects_url_expiry_seconds);
  options.max_upload_bytes = static_cast<uint64_t>(config.objects_max_upload_bytes);
  StatusOr<std::unique_ptr<LocalUploadUrlIssuer>> issuer =
      LocalUploadUrlIssuer::Create(options, Clock::Real());
  if (!issuer.ok()) return issuer.status().WithContext("server.public_url / objects.*");
  out.local_issuer = issuer->get();
  out.issuer = *std::move(issuer);
  return OkStatus();
}

Status OpenS3(const Config& config, ObjectBackend& out) {
  out.http = NewCurlTransport();
  out.chain = std::make_unique<AwsCredentialChain>(ProcessEnvLookup(), *out.http, Clock::Real());
  S3ClientOptions options;
  options.region = config.objects_region;
  options.endpoint = config.objects_s3_endpoint;
  AwsCredentialChain* chain = out.chain.get();
  StatusOr<std::unique_ptr<S3Client>> client = S3Client::Create(
      options, *out.http, Clock::Real(), [chain] { return chain->GetCredentials(); });
  if (!client.ok()) return client.status().WithContext("objects.s3_endpoint / objects.region");
  out.s3 = *std::move(client);
  out.s3_store =
      std::make_unique<S3ObjectStore>(*out.s3, std::filesystem::path(config.data_dir) / "tmp");
  out.issuer = std::make_unique<S3UploadUrlIssuer>(
      *out.s3, config.objects_bucket, std::chrono::seconds(config.objects_url_expiry_seconds),
      static_cast<uint64_t>(config.objects_max_upload_bytes));
  return OkStatus();
}

}  // namespace

StatusOr<ObjectBackend> OpenObjectBackend(const Config& config, Database& db,
                                          const std::string& endpoint, const Logger& log) {
  ObjectBackend out;
  if (config.objects_store == "s3") {
    RAGD_RETURN_IF_ERROR(OpenS3(config, out));
  } else {
    RAGD_RETURN_IF_ERROR(OpenLocal(config, db, endpoint, log, out));
  }
  return out;
}

}  // namespace ragd
