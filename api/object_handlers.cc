// PUT /<objects.bucket>/{key+}: ragd's own S3-compatible upload endpoint (embedded defaults).
//
// Network thread, head only (before_body): PlanUpload authenticates the SigV4 signature
// (presigned query or Authorization header) and checks everything else the head says; a bad
// request is answered with an S3 XML error before any byte of the body is read. An accepted body
// streams into a fresh file under <data_dir>/objects/tmp.
// Worker thread (the handler): the body's length and the hashes/checksums the client claimed are
// checked, then LocalObjectStore::PutFile commits it. Any failure removes the file: nothing of a
// refused upload is stored.
#include <filesystem>
#include <fstream>
#include <memory>

#include "api/handlers.h"
#include "api/object_upload.h"
#include "core/crypto.h"
#include "engine/engine.h"
#include "ingest/local_object_store.h"

namespace ragd {
namespace {

// Removes the body file unless ownership moved on.
struct BodyFile {
  std::string path;
  ~BodyFile() {
    if (!path.empty()) std::filesystem::remove(path);
  }
};

Status WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return InternalError("cannot write the upload to a temporary file");
  return OkStatus();
}

S3Error Internal() {
  return {500, "InternalError", "We encountered an internal error. Please try again.", {}};
}

// Hashes the body once for everything the client claimed about it.
std::optional<S3Error> CheckDigests(const std::string& path, const UploadPlan& plan) {
  if (plan.expected_sha256.empty() && plan.checksums.empty()) return std::nullopt;
  Sha256Stream sha256;
  std::vector<std::unique_ptr<Checksummer>> sums;
  for (const auto& checksum : plan.checksums) {
    sums.push_back(std::make_unique<Checksummer>(checksum.first));
  }
  std::ifstream in(path, std::ios::binary);
  std::string buffer(1 << 20, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::string_view chunk(buffer.data(), static_cast<size_t>(in.gcount()));
    if (chunk.empty()) break;
    if (!plan.expected_sha256.empty()) sha256.Update(chunk);
    for (auto& sum : sums) sum->Update(chunk);
  }
  if (in.bad()) return Internal();
  if (!plan.expected_sha256.empty()) {
    const std::string computed = sha256.FinishHex();
    if (computed != plan.expected_sha256) {
      return S3Error{400,
                     "XAmzContentSHA256Mismatch",
                     "The provided 'x-amz-content-sha256' header does not match what was computed.",
                     {{"ClientComputedContentSHA256", plan.expected_sha256},
                      {"S3ComputedContentSHA256", computed}}};
    }
  }
  for (size_t i = 0; i < sums.size(); ++i) {
    const auto& [algorithm, claimed] = plan.checksums[i];
    const std::string computed = sums[i]->FinishBase64();
    if (computed == claimed) continue;
    if (algorithm == ChecksumAlgorithm::kMd5) {
      return S3Error{400,
                     "BadDigest",
                     "The Content-MD5 you specified did not match what we received.",
                     {{"ExpectedDigest", claimed}, {"CalculatedDigest", computed}}};
    }
    return S3Error{400,
                   "BadDigest",
                   "The " + std::string(ChecksumAlgorithmName(algorithm)) +
                       " you specified did not match the calculated checksum.",
                   {}};
  }
  return std::nullopt;
}

Response HandleObjectPut(ApiContext& ctx, Request& req) {
  BodyFile body{req.body_file};
  auto planned = PlanUpload(ctx, req, /*verify_signature=*/false);
  if (auto* e = std::get_if<S3Error>(&planned)) return S3ErrorResponse(*e, req);
  const UploadPlan& plan = std::get<UploadPlan>(planned);
  if (body.path.empty()) {  // the server delivered the body in memory after all
    body.path = ctx.objects->NewTempPath();
    if (Status s = WriteFile(body.path, req.body); !s.ok()) {
      req.log().Error("upload failed", {{"error", s.message()}});
      return S3ErrorResponse(Internal(), req);
    }
  }
  std::error_code ec;
  const uintmax_t received = std::filesystem::file_size(body.path, ec);
  if (ec || received != plan.content_length) {
    return S3ErrorResponse({400,
                            "IncompleteBody",
                            "You did not provide the number of bytes specified by the "
                            "Content-Length HTTP header",
                            {}},
                           req);
  }
  if (auto e = CheckDigests(body.path, plan)) return S3ErrorResponse(*e, req);

  PutObjectOptions options;
  options.content_type = plan.content_type;
  options.if_absent = plan.if_absent;
  const std::string path = std::move(body.path);
  body.path.clear();  // PutFile takes the file over, success or not
  StatusOr<ObjectInfo> stored =
      ctx.objects->PutFile(ctx.config->objects_bucket, plan.key, path, options);
  if (!stored.ok()) {
    if (stored.status().code() == StatusCode::kAlreadyExists) {
      return S3ErrorResponse({412,
                              "PreconditionFailed",
                              "At least one of the pre-conditions you specified did not hold",
                              {{"Condition", "If-None-Match"}}},
                             req);
    }
    if (stored.status().code() == StatusCode::kInvalidArgument) {
      return S3ErrorResponse({400, "InvalidArgument", stored.status().message(), {}}, req);
    }
    req.log().Error("upload failed", {{"error", stored.status().ToString()}});
    return S3ErrorResponse(Internal(), req);
  }
  req.log().Info("object stored", {{"bucket", stored->bucket},
                                   {"object", stored->key},
                                   {"size", stored->size},
                                   {"sha256", stored->sha256}});
  if (ctx.engine != nullptr) {
    // Ingestion starts by itself. The object is stored either way; a failure here leaves the
    // document pending, and POST .../documents/{id}/ingest retries it.
    StatusOr<std::optional<Document>> doc =
        ctx.engine->OnObjectStored(stored->key, static_cast<int64_t>(stored->size), stored->sha256);
    if (!doc.ok()) req.log().Error("cannot queue ingestion", {{"error", doc.status().message()}});
  }
  Response response;
  response.status = 200;
  response.headers.emplace_back("ETag", stored->etag);
  response.headers.emplace_back("x-amz-request-id", req.request_id);
  for (const auto& [algorithm, value] : plan.checksums) {
    if (algorithm != ChecksumAlgorithm::kMd5) {
      response.headers.emplace_back(ChecksumHeaderName(algorithm), value);
    }
  }
  return response;
}

}  // namespace

Route ObjectUploadRoute(ApiContext& ctx) {
  ApiContext* c = &ctx;
  Route route;
  route.method = "PUT";
  route.pattern = "/" + ctx.config->objects_bucket + "/{key+}";
  route.access = Access::kPublic;
  route.body_limit = static_cast<size_t>(ctx.config->objects_max_upload_bytes);
  route.handler = [c](Request& req) -> StatusOr<Response> { return HandleObjectPut(*c, req); };
  route.before_body = [c](Request& head) {
    RouteTraits traits;
    auto planned = PlanUpload(*c, head, /*verify_signature=*/true);
    if (const auto* e = std::get_if<S3Error>(&planned)) {
      // The code and message name no secret (never a signature or a key).
      head.log().Info("upload refused", {{"code", e->code}, {"message", e->message}});
      traits.reject = S3ErrorResponse(*e, head);
      return traits;
    }
    traits.body_file = c->objects->NewTempPath();
    return traits;
  };
  return route;
}

}  // namespace ragd
