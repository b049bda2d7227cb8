#include "retrieval/use_lite_embedder.h"

#include <cblas.h>

#include "retrieval/use_lite_model.h"
#include "retrieval/use_lite_tokenizer.h"
#include "retrieval/use_lite_weights.h"

namespace ragd {
namespace {

class UseLiteEmbedder : public Embedder {
 public:
  UseLiteEmbedder(UseLiteTokenizer tokenizer, std::unique_ptr<use_lite::Model> model)
      : tokenizer_(std::move(tokenizer)), model_(std::move(model)) {}

  std::string id() const override { return "use-lite-en"; }
  int dim() const override { return use_lite::kOutputDim; }

  StatusOr<std::vector<float>> Embed(std::span<const std::string> texts,
                                     EmbedPurpose /*purpose*/) override {
    std::vector<std::vector<int32_t>> tokens;
    tokens.reserve(texts.size());
    for (const std::string& text : texts) {
      tokens.push_back(tokenizer_.Encode(text));
      if (tokens.back().size() > size_t(use_lite::kMaxTokens)) {
        tokens.back().resize(use_lite::kMaxTokens);
      }
    }
    std::vector<float> out(texts.size() * size_t(use_lite::kOutputDim));
    model_->Embed(tokens, out.data());
    return out;
  }

 private:
  const UseLiteTokenizer tokenizer_;
  const std::unique_ptr<const use_lite::Model> model_;
};

}  // namespace

StatusOr<std::unique_ptr<Embedder>> LoadUseLiteEmbedder(const std::filesystem::path& model_dir) {
  RAGD_RETURN_IF_ERROR(use_lite::CheckModelFiles(model_dir));
  // Concurrent callers each running a multi-threaded OpenBLAS oversubscribe the cores and
  // contend inside OpenBLAS: measured 2.4-3.7x slower than one OpenBLAS thread per caller
  // (bench/embed). Parallelism comes from concurrent Embed calls instead.
  openblas_set_num_threads(1);
  RAGD_ASSIGN_OR_RETURN(std::string vocab,
                        use_lite::ReadVerifiedModelFile(model_dir, "vocab.json"));
  auto tokenizer = UseLiteTokenizer::FromJson(vocab);
  if (!tokenizer.ok()) return tokenizer.status().WithContext("vocab.json");
  RAGD_ASSIGN_OR_RETURN(use_lite::WeightStore weights, use_lite::WeightStore::Load(model_dir));
  RAGD_ASSIGN_OR_RETURN(std::unique_ptr<use_lite::Model> model,
                        use_lite::Model::FromWeights(std::move(weights)));
  return std::unique_ptr<Embedder>(
      std::make_unique<UseLiteEmbedder>(std::move(tokenizer).value(), std::move(model)));
}

}  // namespace ragd
