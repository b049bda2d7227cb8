#include "api/object_upload.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "aws/s3_xml.h"
#include "aws/sigv4_canonical.h"
#include "ingest/object_store.h"

namespace ragd {
namespace {

constexpr std::string_view kQueryAuthNames[] = {
    "X-Amz-Algorithm", "X-Amz-Credential",    "X-Amz-Date",           "X-Amz-Expires",
    "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Content-Sha256"};

S3Error NotImplemented(std::string message) {
  return {501, "NotImplemented", std::move(message), {}};
}

S3Error InvalidRequest(std::string message) {
  return {400, "InvalidRequest", std::move(message), {}};
}

// The x-amz-* values of the request: headers, and parameters a presigner hoisted into the query
// (lower-case names, as the SDKs put them there). Names lower case.
std::multimap<std::string, std::string> AmzValues(const Request& head, const QueryParams& query) {
  std::multimap<std::string, std::string> out;
  for (const auto& [name, value] : head.headers) {
    if (name.starts_with("x-amz-")) out.emplace(name, value);
  }
  for (const auto& [name, value] : query) {
    if (name.starts_with("x-amz-")) out.emplace(name, value);
  }
  return out;
}

std::optional<S3Error> CheckOperation(const Request& head, const QueryParams& query,
                                      const std::multimap<std::string, std::string>& amz,
                                      UploadPlan& plan) {
  for (const auto& [name, value] : query) {
    if (std::find(std::begin(kQueryAuthNames), std::end(kQueryAuthNames), name) !=
            std::end(kQueryAuthNames) ||
        name.starts_with("x-amz-")) {
      continue;
    }
    if (name == "x-id" && value == "PutObject") continue;
    return NotImplemented(
        "ragd's upload endpoint implements PutObject only; the query parameter '" + name +
        "' is not supported");
  }
  const std::string sha = head.Header("x-amz-content-sha256").value_or("");
  const std::string encoding = AsciiLower(head.Header("content-encoding").value_or(""));
  if (sha.starts_with("STREAMING-") || encoding.find("aws-chunked") != std::string::npos ||
      amz.count("x-amz-decoded-content-length") > 0 || amz.count("x-amz-trailer") > 0) {
    return NotImplemented(
        "aws-chunked uploads (x-amz-content-sha256: STREAMING-*) are not supported: send the "
        "body in one piece with a Content-Length (the AWS SDKs do for in-memory bodies)");
  }
  for (const auto& [name, value] : amz) {
    if (name.starts_with("x-amz-copy-source")) {
      return NotImplemented("CopyObject is not supported by ragd's upload endpoint");
    }
    if (name.starts_with("x-amz-server-side-encryption")) {
      return NotImplemented("server-side encryption is not supported by ragd's upload endpoint");
    }
    if (name == "x-amz-write-offset-bytes" || name.starts_with("x-amz-object-lock-")) {
      return NotImplemented("the " + name + " header is not supported by ragd's upload endpoint");
    }
  }
  if (head.Header("if-match")) return NotImplemented("If-Match is not supported");
  if (auto none_match = head.Header("if-none-match")) {
    if (*none_match != "*") return NotImplemented("If-None-Match supports only '*'");
    plan.if_absent = true;
  }
  return std::nullopt;
}

std::optional<S3Error> CollectChecksums(const Request& head,
                                        const std::multimap<std::string, std::string>& amz,
                                        UploadPlan& plan) {
  for (const auto& [name, value] : amz) {
    constexpr std::string_view kPrefix = "x-amz-checksum-";
    if (!name.starts_with(kPrefix)) continue;
    const std::string suffix = name.substr(kPrefix.size());
    if (suffix == "type") {
      if (value != "FULL_OBJECT") return InvalidRequest("x-amz-checksum-type must be FULL_OBJECT");
      continue;
    }
    const std::optional<ChecksumAlgorithm> algorithm = ParseChecksumAlgorithm(suffix);
    if (!algorithm || *algorithm == ChecksumAlgorithm::kMd5) {
      return NotImplemented("the checksum algorithm of " + name + " is not supported");
    }
    if (!DecodeChecksumValue(*algorithm, value)) {
      return InvalidRequest("Value for " + name + " header is invalid.");
    }
    if (!plan.checksums.empty()) {
      if (plan.checksums[0].first == *algorithm && plan.checksums[0].second == value) {
        continue;  // in both the header and the query, identically
      }
      return InvalidRequest(
          "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
    }
    plan.checksums.emplace_back(*algorithm, value);
  }
  auto sdk = amz.equal_range("x-amz-sdk-checksum-algorithm");
  for (auto it = sdk.first; it != sdk.second; ++it) {
    const std::optional<ChecksumAlgorithm> algorithm = ParseChecksumAlgorithm(it->second);
    if (!algorithm || *algorithm == ChecksumAlgorithm::kMd5) {
      return InvalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid.");
    }
    if (plan.checksums.empty() || plan.checksums[0].first != *algorithm) {
      return InvalidRequest(
          "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or "
          "x-amz-trailer headers were found.");
    }
  }
  if (auto md5 = head.Header("content-md5")) {
    if (!DecodeChecksumValue(ChecksumAlgorithm::kMd5, *md5)) {
      return S3Error{400, "InvalidDigest", "The Content-MD5 you specified was invalid.", {}};
    }
    plan.checksums.emplace_back(ChecksumAlgorithm::kMd5, *md5);
  }
  return std::nullopt;
}

}  // namespace

Response S3ErrorResponse(const S3Error& error, const Request& request) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" +
                     XmlEscapeText(error.code) + "</Code><Message>" + XmlEscapeText(error.message) +
                     "</Message>";
  for (const auto& [name, value] : error.details) {
    body += "<" + name + ">" + XmlEscapeText(value) + "</" + name + ">";
  }
  body += "<RequestId>" + XmlEscapeText(request.request_id) + "</RequestId></Error>";
  Response response = Response::Text(error.status, std::move(body), "application/xml");
  response.headers.emplace_back("x-amz-request-id", request.request_id);
  return response;
}

std::variant<UploadPlan, S3Error> PlanUpload(const ApiContext& ctx, const Request& head,
                                             bool verify_signature) {
  const Config& config = *ctx.config;
  const S3Error bad_uri{400, "InvalidURI", "Couldn't parse the specified URI.", {}};
  const std::string prefix = "/" + config.objects_bucket + "/";
  if (!head.path.starts_with(prefix)) return bad_uri;
  StatusOr<std::string> key = UriDecode(std::string_view(head.path).substr(prefix.size()));
  StatusOr<QueryParams> query = ParseQueryString(head.query);
  if (!key.ok() || !query.ok()) return bad_uri;
  if (verify_signature) {
    if (std::optional<S3Error> e = AuthenticateUpload(ctx, head, *query)) return *std::move(e);
  }

  UploadPlan plan;
  plan.key = *std::move(key);
  if (plan.key.size() > kMaxObjectKeyBytes) {
    return S3Error{400,
                   "KeyTooLongError",
                   "Your key is too long",
                   {{"Size", std::to_string(plan.key.size())},
                    {"MaxSizeAllowed", std::to_string(kMaxObjectKeyBytes)}}};
  }
  if (!ValidateObjectKey(plan.key).ok()) return bad_uri;
  const std::multimap<std::string, std::string> amz = AmzValues(head, *query);
  if (auto e = CheckOperation(head, *query, amz, plan)) return *std::move(e);

  const std::optional<std::string> length = head.Header("content-length");
  if (!length) {
    return S3Error{
        411, "MissingContentLength", "You must provide the Content-Length HTTP header.", {}};
  }
  const auto [end, ec] =
      std::from_chars(length->data(), length->data() + length->size(), plan.content_length);
  if (ec != std::errc() || end != length->data() + length->size()) {
    return S3Error{400, "InvalidArgument", "Content-Length is not a number.", {}};
  }
  const uint64_t max = static_cast<uint64_t>(config.objects_max_upload_bytes);
  if (plan.content_length > max) {
    return S3Error{400,
                   "EntityTooLarge",
                   "Your proposed upload exceeds the maximum allowed size",
                   {{"ProposedSize", std::to_string(plan.content_length)},
                    {"MaxSizeAllowed", std::to_string(max)}}};
  }
  plan.content_type = head.Header("content-type").value_or("binary/octet-stream");
  const std::string sha = head.Header("x-amz-content-sha256").value_or("");
  if (sha.size() == 64 && IsValidContentSha256(sha)) plan.expected_sha256 = sha;
  if (auto e = CollectChecksums(head, amz, plan)) return *std::move(e);
  return plan;
}

}  // namespace ragd
