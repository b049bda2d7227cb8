// Amazon Bedrock InvokeModel embedders: Titan Text Embeddings V2 and Cohere Embed v3.
//
// Wire format (Bedrock user guide, "Amazon Titan Embeddings Text" and "Cohere Embed v3"):
//   POST /model/<url-encoded model id>/invoke, SigV4 service "bedrock"
//   Titan  -> {"inputText": s, "dimensions": 256|512|1024, "normalize": true}
//          <- {"embedding": [...], "inputTextTokenCount": n, "embeddingsByType": {...}}
//   Cohere -> {"texts": [...<=96], "input_type": "search_document"|"search_query", "truncate":
//   "END"}
//          <- {"embeddings": [[...]], "id", "response_type": "embeddings_floats", "texts"}
//             (or "embeddings": {"float": [[...]]} with response_type "embeddings_by_type")
// Errors are restJson1: the type in the x-amzn-ErrorType header ("ThrottlingException:http://..."),
// the text in the body's "message".
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "aws/sigv4.h"
#include "retrieval/remote/remote_call.h"
#include "retrieval/remote/remote_embedder.h"

namespace ragd {
namespace {

constexpr int kTitanMaxBatch = 64;
constexpr size_t kMaxErrorMessage = 500;

bool IsValidRegion(std::string_view region) {
  return !region.empty() && region.size() <= 64 &&
         std::all_of(region.begin(), region.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

// "ThrottlingException:http://internal.amazon.com/coral/..." -> "ThrottlingException"; falls back
// to the body's "__type" ("com.amazon...#ThrottlingException").
std::string BedrockErrorType(const HttpResponse& response, const nlohmann::json& body) {
  std::string type = FindHeader(response.headers, "x-amzn-errortype").value_or("");
  if (type.empty()) type = JsonString(body, "__type");
  type = type.substr(0, type.find(':'));
  const size_t hash = type.rfind('#');
  return hash == std::string::npos ? type : type.substr(hash + 1);
}

RemoteFailure ClassifyBedrockFailure(const HttpResponse& response) {
  const nlohmann::json body =
      nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  const std::string type = BedrockErrorType(response, body);
  std::string message = JsonString(body, "message");
  if (message.empty()) message = JsonString(body, "Message");
  if (message.empty()) message = std::string(Utf8Prefix(response.body, kMaxErrorMessage));
  const std::string text = "Bedrock " +
                           (type.empty() ? "HTTP " + std::to_string(response.status) : type) +
                           (message.empty() ? "" : ": " + message);
  const int status = response.status;

  if (type == "ThrottlingException" || (status == 429 && type != "ModelNotReadyException")) {
    return {ResourceExhaustedError("Bedrock throttled the embedding request; retry later"), true};
  }
  if (type == "ModelNotReadyException" || type == "ServiceUnavailableException" ||
      type == "InternalServerException" || type == "ModelTimeoutException" || status == 408 ||
      status >= 500) {
    return {UnavailableError(text), true};
  }
  if (type == "ServiceQuotaExceededException") return {ResourceExhaustedError(text), false};
  if (type == "ModelErrorException" || status == 424) return {UnavailableError(text), false};
  if (status == 401) return {UnauthenticatedError(text), false};
  if (status == 403) return {PermissionDeniedError(text), false};
  if (status == 404) return {NotFoundError(text), false};
  return {InvalidArgumentError(text), false};
}

class BedrockEmbedder final : public Embedder {
 public:
  enum class Family { kTitan, kCohere };

  BedrockEmbedder(BedrockEmbedderOptions options, Family family, RemoteEndpoint endpoint,
                  HttpTransport& transport, Clock& clock, AwsCredentialsProvider& credentials)
      : options_(std::move(options)),
        family_(family),
        endpoint_(std::move(endpoint)),
        transport_(transport),
        clock_(clock),
        credentials_(credentials),
        path_(endpoint_.base_path + "/model/" + UriEncode(options_.model_id) + "/invoke"),
        dim_(family == Family::kTitan ? options_.dimensions : 1024) {}

  std::string id() const override {
    std::string id = "bedrock:" + options_.model_id;
    if (family_ == Family::kTitan) id += ":" + std::to_string(dim_);
    return id;
  }
  int dim() const override { return dim_; }
  int max_batch() const override {
    return family_ == Family::kTitan ? kTitanMaxBatch : kCohereMaxTexts;
  }

  StatusOr<std::vector<float>> Embed(std::span<const std::string> texts,
                                     EmbedPurpose purpose) override {
    std::vector<float> out(texts.size() * static_cast<size_t>(dim_));
    const int n = static_cast<int>(texts.size());
    Status status;
    if (family_ == Family::kTitan) {
      status = ParallelFor(n, options_.max_concurrency,
                           [&](int i) { return EmbedTitan(texts[i], &out[size_t(i) * dim_]); });
    } else {
      const int batches = (n + kCohereMaxTexts - 1) / kCohereMaxTexts;
      status = ParallelFor(batches, options_.max_concurrency, [&](int b) {
        const size_t begin = size_t(b) * kCohereMaxTexts;
        const size_t count = std::min<size_t>(kCohereMaxTexts, texts.size() - begin);
        return EmbedCohere(texts.subspan(begin, count), purpose, &out[begin * dim_]);
      });
    }
    RAGD_RETURN_IF_ERROR(status);
    RAGD_RETURN_IF_ERROR(NormalizeVectors(out, dim_, "Bedrock " + options_.model_id));
    return out;
  }

 private:
  Status EmbedTitan(const std::string& text, float* row) {
    const nlohmann::json request = {{"inputText", text}, {"dimensions", dim_}, {"normalize", true}};
    RAGD_ASSIGN_OR_RETURN(nlohmann::json response, Invoke(DumpJson(request)));
    const std::string what = "Bedrock " + options_.model_id;
    if (!response.is_object() || !response.contains("embedding")) {
      return DataLossError(what + ": response has no \"embedding\"");
    }
    return ReadVector(response["embedding"], dim_, what, row);
  }

  Status EmbedCohere(std::span<const std::string> texts, EmbedPurpose purpose, float* rows) {
    nlohmann::json inputs = nlohmann::json::array();
    for (const std::string& text : texts) {
      inputs.push_back(std::string(Utf8Prefix(text, kCohereMaxChars)));
    }
    const nlohmann::json request = {
        {"texts", std::move(inputs)},
        {"input_type", purpose == EmbedPurpose::kQuery ? "search_query" : "search_document"},
        {"truncate", "END"}};
    RAGD_ASSIGN_OR_RETURN(nlohmann::json response, Invoke(DumpJson(request)));
    const std::string what = "Bedrock " + options_.model_id;
    const nlohmann::json* embeddings = nullptr;
    if (response.is_object() && response.contains("embeddings")) {
      embeddings = &response["embeddings"];
      // embedding_types requested (not by us) gives {"float": [[...]], ...}.
      if (embeddings->is_object()) {
        embeddings = embeddings->contains("float") ? &(*embeddings)["float"] : nullptr;
      }
    }
    if (embeddings == nullptr || !embeddings->is_array()) {
      return DataLossError(what + ": response has no float \"embeddings\"");
    }
    if (embeddings->size() != texts.size()) {
      return DataLossError(what + ": " + std::to_string(embeddings->size()) + " embeddings for " +
                           std::to_string(texts.size()) + " texts");
    }
    for (size_t i = 0; i < texts.size(); ++i) {
      RAGD_RETURN_IF_ERROR(ReadVector((*embeddings)[i], dim_, what, rows + i * dim_));
    }
    return OkStatus();
  }

  StatusOr<nlohmann::json> Invoke(const std::string& body) {
    const std::string what = "Bedrock InvokeModel " + options_.model_id;
    auto build = [&]() -> StatusOr<HttpRequest> {
      StatusOr<AwsCredentials> credentials = credentials_.GetCredentials();
      if (!credentials.ok()) return credentials.status().WithContext("Bedrock credentials");
      SignableRequest to_sign;
      to_sign.method = "POST";
      to_sign.path = path_;
      to_sign.headers = {{"Host", endpoint_.authority},
                         {"Content-Type", "application/json"},
                         {"Accept", "application/json"}};
      to_sign.body = body;
      SigningOptions signing;
      signing.region = options_.region;
      signing.service = "bedrock";
      signing.time = clock_.Now();
      RAGD_ASSIGN_OR_RETURN(HeaderSigningResult signed_headers,
                            SignHeaders(to_sign, *credentials, signing));
      HttpRequest request;
      request.method = "POST";
      request.url = endpoint_.scheme + "://" + endpoint_.authority + path_;
      request.headers = std::move(to_sign.headers);
      request.headers.insert(request.headers.end(), signed_headers.headers_to_add.begin(),
                             signed_headers.headers_to_add.end());
      request.body = body;
      request.connect_timeout = options_.connect_timeout;
      request.timeout = options_.request_timeout;
      return request;
    };
    RAGD_ASSIGN_OR_RETURN(
        HttpResponse response,
        SendWithRetries(transport_, clock_, options_.retry, what, build, ClassifyBedrockFailure));
    return ParseJsonBody(response.body, what);
  }

  const BedrockEmbedderOptions options_;
  const Family family_;
  const RemoteEndpoint endpoint_;
  HttpTransport& transport_;
  Clock& clock_;
  AwsCredentialsProvider& credentials_;
  const std::string path_;  // wire form, e.g. /model/amazon.titan-embed-text-v2%3A0/invoke
  const int dim_;
};

}  // namespace

StatusOr<std::unique_ptr<Embedder>> NewBedrockEmbedder(const BedrockEmbedderOptions& options,
                                                       HttpTransport& transport, Clock& clock,
                                                       AwsCredentialsProvider& credentials) {
  BedrockEmbedder::Family family;
  if (options.model_id == kTitanEmbedV2) {
    family = BedrockEmbedder::Family::kTitan;
    if (options.dimensions != 256 && options.dimensions != 512 && options.dimensions != 1024) {
      return InvalidArgumentError("Titan Text Embeddings V2 dimensions must be 256, 512 or 1024");
    }
  } else if (options.model_id == kCohereEmbedEnglishV3 ||
             options.model_id == kCohereEmbedMultilingualV3) {
    family = BedrockEmbedder::Family::kCohere;
  } else {
    return InvalidArgumentError("unsupported Bedrock embedding model '" + options.model_id +
                                "' (supported: " + kTitanEmbedV2 + ", " + kCohereEmbedEnglishV3 +
                                ", " + kCohereEmbedMultilingualV3 + ")");
  }
  if (!IsValidRegion(options.region)) {
    return InvalidArgumentError("Bedrock region must be lower-case letters, digits and '-'");
  }
  if (options.max_concurrency < 1) {
    return InvalidArgumentError("Bedrock max_concurrency must be at least 1");
  }
  RemoteEndpoint endpoint;
  if (options.endpoint.empty()) {
    endpoint.scheme = "https";
    endpoint.authority =
        "bedrock-runtime." + options.region +
        (options.region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com");
  } else {
    RAGD_ASSIGN_OR_RETURN(endpoint, ParseRemoteEndpoint(options.endpoint, "Bedrock endpoint"));
  }
  return std::unique_ptr<Embedder>(std::make_unique<BedrockEmbedder>(
      options, family, std::move(endpoint), transport, clock, credentials));
}

}  // namespace ragd
