// OpenAI-compatible embeddings (POST /v1/embeddings), as served by Ollama, vLLM, the llama.cpp
// server and Hugging Face TEI:
//   -> {"model": m, "input": [texts]}
//   <- {"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [...]}], ...}
// Errors come as {"error": {"message": ...}} (OpenAI, vLLM, llama.cpp), {"error": "..."} (TEI,
// Ollama) or {"detail": "..."} (FastAPI-based servers).
#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "retrieval/remote/remote_call.h"
#include "retrieval/remote/remote_embedder.h"

namespace ragd {
namespace {

constexpr size_t kMaxErrorMessage = 500;

std::string ServerMessage(const HttpResponse& response) {
  const nlohmann::json body =
      nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    const auto error = body.find("error");
    if (error != body.end()) {
      if (error->is_string()) return error->get<std::string>();
      const std::string message = JsonString(*error, "message");
      if (!message.empty()) return message;
    }
    for (const char* key : {"message", "detail"}) {
      const std::string message = JsonString(body, key);
      if (!message.empty()) return message;
    }
  }
  return std::string(Utf8Prefix(response.body, kMaxErrorMessage));
}

class OpenAiEmbedder final : public Embedder {
 public:
  OpenAiEmbedder(OpenAiEmbedderOptions options, RemoteEndpoint endpoint, HttpTransport& transport,
                 Clock& clock)
      : options_(std::move(options)),
        endpoint_(std::move(endpoint)),
        url_(
            endpoint_.Url(endpoint_.base_path.ends_with("/v1") ? "/embeddings" : "/v1/embeddings")),
        what_("embedding server " + endpoint_.authority),
        transport_(transport),
        clock_(clock),
        dim_(options_.dim) {}

  std::string id() const override { return "openai:" + options_.model; }
  int dim() const override { return dim_.load(); }
  int max_batch() const override { return options_.batch_size; }

  StatusOr<std::vector<float>> Embed(std::span<const std::string> texts, EmbedPurpose) override {
    if (texts.empty()) return std::vector<float>();
    const size_t batch = static_cast<size_t>(options_.batch_size);
    const int batches = static_cast<int>((texts.size() + batch - 1) / batch);
    // The dimension may not be known before the first response, so each batch fills its own
    // buffer and they are joined at the end.
    std::vector<std::vector<float>> parts(static_cast<size_t>(batches));
    RAGD_RETURN_IF_ERROR(ParallelFor(batches, options_.max_concurrency, [&](int b) {
      const size_t begin = size_t(b) * batch;
      return EmbedBatch(texts.subspan(begin, std::min(batch, texts.size() - begin)), &parts[b]);
    }));
    std::vector<float> out;
    out.reserve(texts.size() * static_cast<size_t>(dim_.load()));
    for (const std::vector<float>& part : parts) out.insert(out.end(), part.begin(), part.end());
    RAGD_RETURN_IF_ERROR(NormalizeVectors(out, dim_.load(), what_));
    return out;
  }

 private:
  Status EmbedBatch(std::span<const std::string> texts, std::vector<float>* rows) {
    nlohmann::json input = nlohmann::json::array();
    for (const std::string& text : texts) input.push_back(text);
    const std::string body = DumpJson({{"model", options_.model}, {"input", std::move(input)}});
    auto build = [&]() -> StatusOr<HttpRequest> {
      HttpRequest request;
      request.method = "POST";
      request.url = url_;
      request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
      if (!options_.api_key.empty()) {
        request.headers.emplace_back("Authorization", "Bearer " + options_.api_key);
      }
      request.body = body;
      request.connect_timeout = options_.connect_timeout;
      request.timeout = options_.request_timeout;
      return request;
    };
    auto classify = [this](const HttpResponse& r) -> RemoteFailure {
      const std::string text =
          what_ + " HTTP " + std::to_string(r.status) + ": " + ServerMessage(r);
      if (r.status == 429) {
        return {ResourceExhaustedError(what_ + " throttled the embedding request; retry later"),
                true};
      }
      if (r.status == 408 || r.status >= 500) return {UnavailableError(text), true};
      if (r.status == 401) return {UnauthenticatedError(text), false};
      if (r.status == 403) return {PermissionDeniedError(text), false};
      if (r.status == 404) return {NotFoundError(text), false};
      if (r.status == 413) return {InvalidArgumentError(text + " (lower batch_size)"), false};
      return {InvalidArgumentError(text), false};
    };
    RAGD_ASSIGN_OR_RETURN(HttpResponse response, SendWithRetries(transport_, clock_, options_.retry,
                                                                 what_, build, classify));
    RAGD_ASSIGN_OR_RETURN(nlohmann::json parsed, ParseJsonBody(response.body, what_));
    return ReadRows(parsed, texts.size(), rows);
  }

  // Places data[k].embedding at row data[k].index. Checks first that every index appears once and
  // that all rows have one length; only then is that length compared with (or taken as) the
  // embedder's dimension, so a malformed response never fixes it.
  Status ReadRows(const nlohmann::json& parsed, size_t n, std::vector<float>* rows) {
    const auto data = parsed.is_object() ? parsed.find("data") : parsed.end();
    if (data == parsed.end() || !data->is_array()) {
      return DataLossError(what_ + ": response has no \"data\" array");
    }
    if (data->size() != n) {
      return DataLossError(what_ + ": " + std::to_string(data->size()) + " embeddings for " +
                           std::to_string(n) + " inputs");
    }
    std::vector<const nlohmann::json*> by_index(n, nullptr);
    size_t length = 0;  // of data[0].embedding; every row must match it
    for (size_t k = 0; k < n; ++k) {
      const nlohmann::json& item = (*data)[k];
      const auto embedding = item.is_object() ? item.find("embedding") : item.end();
      if (embedding == item.end() || !embedding->is_array()) {
        return DataLossError(what_ + ": data[" + std::to_string(k) + "] has no embedding array");
      }
      if (k == 0) length = embedding->size();
      if (length == 0) return DataLossError(what_ + ": empty embedding");
      if (embedding->size() != length) {
        return DataLossError(what_ + ": embeddings of different lengths in one response");
      }
      size_t index = k;  // servers that omit "index" answer in input order
      const auto given = item.find("index");
      if (given != item.end()) {
        if (!given->is_number_unsigned() || given->get<uint64_t>() >= n) {
          return DataLossError(what_ + ": data[" + std::to_string(k) + "].index out of range");
        }
        index = given->get<size_t>();
      }
      if (by_index[index] != nullptr) {
        return DataLossError(what_ + ": index " + std::to_string(index) + " appears twice");
      }
      by_index[index] = &*embedding;
    }
    RAGD_RETURN_IF_ERROR(CheckDim(static_cast<int>(by_index[0]->size())));
    const int dim = dim_.load();
    rows->resize(n * static_cast<size_t>(dim));
    for (size_t i = 0; i < n; ++i) {
      RAGD_RETURN_IF_ERROR(ReadVector(*by_index[i], dim, what_, rows->data() + i * dim));
    }
    return OkStatus();
  }

  Status CheckDim(int got) {
    int expected = 0;
    if (dim_.compare_exchange_strong(expected, got) || expected == got) return OkStatus();
    return FailedPreconditionError(what_ + " returned " + std::to_string(got) +
                                   "-dimensional embeddings for model '" + options_.model +
                                   "', expected " + std::to_string(expected) +
                                   " (did the model behind the URL change?)");
  }

  const OpenAiEmbedderOptions options_;
  const RemoteEndpoint endpoint_;
  const std::string url_;
  const std::string what_;  // never contains the API key
  HttpTransport& transport_;
  Clock& clock_;
  std::atomic<int> dim_;  // 0 until configured or learned; then fixed
};

}  // namespace

StatusOr<std::unique_ptr<Embedder>> NewOpenAiEmbedder(const OpenAiEmbedderOptions& options,
                                                      HttpTransport& transport, Clock& clock) {
  RAGD_ASSIGN_OR_RETURN(RemoteEndpoint endpoint,
                        ParseRemoteEndpoint(options.base_url, "embedding server base_url"));
  if (options.model.empty()) return InvalidArgumentError("embedding server model must be set");
  if (options.batch_size < 1) {
    return InvalidArgumentError("embedding server batch_size must be at least 1");
  }
  if (options.max_concurrency < 1) {
    return InvalidArgumentError("embedding server max_concurrency must be at least 1");
  }
  if (options.dim < 0) return InvalidArgumentError("embedding server dim must be >= 0");
  return std::unique_ptr<Embedder>(
      std::make_unique<OpenAiEmbedder>(options, std::move(endpoint), transport, clock));
}

}  // namespace ragd
