// Where uploaded documents go, from the [objects] options:
//   objects.store = "local"  the embedded store under <data_dir>/objects; ragd is its own
//                            S3-compatible upload endpoint and issues URLs pointing at itself
//   objects.store = "s3"     Amazon S3 (or objects.s3_endpoint); upload URLs point at the bucket,
//                            signed with AWS credentials from the standard chain
//                            (aws/credentials.h)
#pragma once

#include <memory>

#include "aws/credentials.h"
#include "aws/s3_client.h"
#include "core/config.h"
#include "core/http_client.h"
#include "core/log.h"
#include "core/sqlite.h"
#include "ingest/local_object_store.h"
#include "ingest/upload_urls.h"

namespace ragd {

struct ObjectBackend {
  // local: the store, ragd's key pair, and the issuer (its endpoint set once the port is known).
  std::unique_ptr<LocalObjectStore> store;
  AwsCredentials credentials;
  LocalUploadUrlIssuer* local_issuer = nullptr;  // points into `issuer`
  // s3: what the S3 issuer needs, kept alive here.
  std::unique_ptr<HttpTransport> http;
  std::unique_ptr<AwsCredentialChain> chain;
  std::unique_ptr<S3Client> s3;
  std::unique_ptr<UploadUrlIssuer> issuer;
  std::unique_ptr<ObjectStore> s3_store;  // s3: what ingestion reads uploads through

  // The store ingestion reads from (local or S3).
  ObjectStore* reader() const {
    return store != nullptr ? static_cast<ObjectStore*>(store.get()) : s3_store.get();
  }
};

// Opens the backend; for "local" also resolves the key pair and removes leftovers of interrupted
// uploads. `endpoint` is where clients reach this server (server.public_url or http://host:port).
StatusOr<ObjectBackend> OpenObjectBackend(const Config& config, Database& db,
                                          const std::string& endpoint, const Logger& log);

}  // namespace ragd
