#include "retrieval/use_lite_model.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "retrieval/use_lite_kernels.h"

namespace ragd::use_lite {
namespace {

const std::string kEncode = "module_apply_default/Encoder_en/KonaTransformer/Encode/";
const std::string kStack = kEncode + "TransformerStack/";
const std::string kKernels = "module/Encoder_en/KonaTransformer/Encode/";
constexpr int kHeads = 4;
constexpr int kInputWidth = 256;
constexpr int kWidth = 512;
constexpr int kFfnWidth = 1536;
constexpr int64_t kVocabRows = 8002;
// Tokens per pass through the layers: large enough for sgemm to run near its peak, small enough
// for the activations (about 20 KB per token) to stay in L2/L3.
constexpr int kRowsPerPass = 256;

// out[rows, n] = in[rows, k] * w[k, n] + bias (then max(., 0) with `relu`); with `accumulate`,
// out += in * w + bias.
void Dense(const float* in, int rows, int k, std::span<const float> w, std::span<const float> bias,
           float* out, bool accumulate, bool relu = false) {
  if (rows == 0) return;
  const int n = static_cast<int>(bias.size());
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, n, k, 1.0f, in, k, w.data(), n,
              accumulate ? 1.0f : 0.0f, out, n);
  AddBiasRows(out, rows, n, bias.data(), relu);
}

}  // namespace

struct Model::Scratch {
  explicit Scratch(int rows, int sentences)
      : input(size_t(rows) * kInputWidth),
        x(size_t(rows) * kWidth),
        norm(size_t(rows) * kWidth),
        qkv(size_t(rows) * 3 * kWidth),
        heads(size_t(rows) * kWidth),
        hidden(size_t(rows) * kFfnWidth),
        scores(size_t(std::min(rows, kMaxTokens)) * std::min(rows, kMaxTokens)),
        pooled_x(size_t(sentences) * kWidth),
        pooled_h(size_t(sentences) * kFfnWidth),
        pooled(size_t(sentences) * kWidth) {}
  std::vector<float> input, x, norm, qkv, heads, hidden, scores, pooled_x, pooled_h, pooled;
};

StatusOr<std::unique_ptr<Model>> Model::FromWeights(WeightStore store) {
  auto model = std::make_unique<Model>(PrivateTag{}, std::move(store));
  RAGD_RETURN_IF_ERROR(model->Bind());
  return model;
}

Status Model::Bind() {
  const WeightStore& w = store_;
  RAGD_ASSIGN_OR_RETURN(embeddings_, w.Floats("module/Embeddings_en", {kVocabRows, kInputWidth}));
  vocab_rows_ = static_cast<int>(kVocabRows);
  RAGD_ASSIGN_OR_RETURN(
      std::span<const float> inverse_timescales,
      w.Floats(kStack + "Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1", {1, kInputWidth / 2}));
  RAGD_ASSIGN_OR_RETURN(double max_length,
                        w.Scalar("module_apply_default/Encoder_en/KonaTransformer/"
                                 "ClipToMaxLength/Less/y"));
  RAGD_ASSIGN_OR_RETURN(double heads, w.Scalar(kStack + "Layer_1/TransformerLayer/"
                                                        "MultiheadAttention/split_heads/"
                                                        "split_last_dimension/Reshape/shape/2"));
  if (max_length != kMaxTokens || heads != kHeads) {
    return DataLossError("model.json: unexpected maximum length or number of heads");
  }
  RAGD_ASSIGN_OR_RETURN(double ln_epsilon,
                        w.Scalar(kStack + "Layer_1/TransformerLayer/FFN/layer_prepostprocess/"
                                          "layer_norm/Cast/x"));
  RAGD_ASSIGN_OR_RETURN(
      double l2_epsilon,
      w.Scalar("module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y"));
  ln_epsilon_ = float(ln_epsilon);
  l2_epsilon_ = float(l2_epsilon);

  // sin | cos of (position * inverse timescale), in float as TF.js computes it.
  timing_.resize(size_t(kMaxTokens) * kInputWidth);
  for (int pos = 0; pos < kMaxTokens; ++pos) {
    for (int i = 0; i < kInputWidth / 2; ++i) {
      const float angle = float(pos) * inverse_timescales[i];
      timing_[size_t(pos) * kInputWidth + i] = float(std::sin(double(angle)));
      timing_[size_t(pos) * kInputWidth + kInputWidth / 2 + i] = float(std::cos(double(angle)));
    }
  }

  RAGD_ASSIGN_OR_RETURN(
      adjust_w_, w.Floats(kEncode + "Layer_0/TransformerLayer/dense/kernel/ConcatPartitions/concat",
                          {kInputWidth, kWidth}));
  RAGD_ASSIGN_OR_RETURN(
      adjust_b_,
      w.Floats(kEncode + "Layer_0/TransformerLayer/dense/bias/ConcatPartitions/concat", {kWidth}));

  for (int l = 0; l < 2; ++l) {
    Layer& layer = layers_[l];
    const int64_t width = l == 0 ? kInputWidth : kWidth;
    layer.width = static_cast<int>(width);
    layer.head_dim = layer.width / kHeads;
    const std::string tl = "Layer_" + std::to_string(l) + "/TransformerLayer/";
    const std::string mha = tl + "MultiheadAttention/";
    const std::string ffn = tl + "FFN/";
    const std::string concat = "/ConcatPartitions/concat";
    RAGD_ASSIGN_OR_RETURN(double query_scale, w.Scalar(kStack + mha + "mul/y"));
    layer.query_scale = float(query_scale);
    const std::string ln1 = kEncode + tl + "layer_prepostprocess/layer_norm/layer_norm_";
    RAGD_ASSIGN_OR_RETURN(layer.ln1_scale, w.Floats(ln1 + "scale" + concat, {width}));
    RAGD_ASSIGN_OR_RETURN(layer.ln1_bias, w.Floats(ln1 + "bias" + concat, {width}));
    RAGD_ASSIGN_OR_RETURN(
        layer.qkv_w,
        w.Floats(kKernels + mha + "qkv_transform_single/kernel/part_0", {1, 1, width, 3 * width}));
    RAGD_ASSIGN_OR_RETURN(
        layer.qkv_b, w.Floats(kEncode + mha + "qkv_transform_single/bias" + concat, {3 * width}));
    RAGD_ASSIGN_OR_RETURN(
        layer.out_w,
        w.Floats(kKernels + mha + "output_transform_single/kernel/part_0", {1, 1, width, kWidth}));
    RAGD_ASSIGN_OR_RETURN(
        layer.out_b, w.Floats(kEncode + mha + "output_transform_single/bias" + concat, {kWidth}));
    const std::string ln2 = kEncode + ffn + "layer_prepostprocess/layer_norm/layer_norm_";
    RAGD_ASSIGN_OR_RETURN(layer.ln2_scale, w.Floats(ln2 + "scale" + concat, {kWidth}));
    RAGD_ASSIGN_OR_RETURN(layer.ln2_bias, w.Floats(ln2 + "bias" + concat, {kWidth}));
    RAGD_ASSIGN_OR_RETURN(
        layer.ffn1_w, w.Floats(kStack + ffn + "conv1/Tensordot/Reshape_1", {kWidth, kFfnWidth}));
    RAGD_ASSIGN_OR_RETURN(layer.ffn1_b,
                          w.Floats(kEncode + ffn + "conv1/bias" + concat, {kFfnWidth}));
    RAGD_ASSIGN_OR_RETURN(
        layer.ffn2_w, w.Floats(kStack + ffn + "conv2/Tensordot/Reshape_1", {kFfnWidth, kWidth}));
    RAGD_ASSIGN_OR_RETURN(layer.ffn2_b, w.Floats(kEncode + ffn + "conv2/bias" + concat, {kWidth}));
  }
  RAGD_ASSIGN_OR_RETURN(tanh_w_, w.Floats("module/Encoder_en/hidden_layers/tanh_layer_0/weights",
                                          {kWidth, kOutputDim}));
  RAGD_ASSIGN_OR_RETURN(
      tanh_b_, w.Floats("module/Encoder_en/hidden_layers/tanh_layer_0/bias", {kOutputDim}));
  return OkStatus();
}

double Model::FlopsPerSentence(int tokens) {
  const double t = std::min(tokens, kMaxTokens);
  const double per_token = double(kInputWidth) * kWidth             // layer 0 residual projection
                           + double(kInputWidth) * 3 * kInputWidth  // layer 0 q, k, v
                           + double(kInputWidth) * kWidth           // layer 0 output projection
                           + 2.0 * kWidth * kFfnWidth               // layer 0 FFN
                           + double(kWidth) * 3 * kWidth            // layer 1 q, k, v
                           + double(kWidth) * kWidth                // layer 1 output projection
                           + double(kWidth) * kFfnWidth;            // layer 1 FFN, first half
  const double attention = 2.0 * t * t * (kInputWidth + kWidth);    // q k^T and weights * v
  const double per_sentence = double(kFfnWidth) * kWidth + double(kWidth) * kOutputDim;
  return 2.0 * (t * per_token + attention + per_sentence);
}

void Model::LayerNorm(const float* in, int rows, int width, std::span<const float> scale,
                      std::span<const float> bias, float* out) const {
  LayerNormRows(in, rows, width, scale.data(), bias.data(), ln_epsilon_, out);
}

void Model::Attention(const Layer& layer, std::span<const int> lengths, Scratch& s) const {
  const int width = layer.width;
  const int ld = 3 * width;
  const int dh = layer.head_dim;
  size_t row = 0;
  for (const int length : lengths) {
    if (length == 0) continue;  // BLAS rejects empty matrices (ld must be >= 1)
    for (int h = 0; h < kHeads; ++h) {
      const float* q = s.qkv.data() + row * ld + h * dh;
      const float* k = q + width;
      const float* v = q + 2 * width;
      float* scores = s.scores.data();
      // The graph scales q before q k^T; scaling the product instead differs only in rounding.
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, length, length, dh, layer.query_scale, q,
                  ld, k, ld, 0.0f, scores, length);
      SoftmaxRows(scores, length, length);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, length, dh, length, 1.0f, scores,
                  length, v, ld, 0.0f, s.heads.data() + row * width + h * dh, width);
    }
    row += size_t(length);
  }
}

void Model::Embed(std::span<const std::vector<int32_t>> tokens, float* out) const {
  // Pack whole sentences into passes of at most kRowsPerPass tokens and sentences (one sentence
  // always fits: 128 <= 256); the scratch is sized for the largest pass, so a short query
  // allocates little.
  struct Pass {
    size_t begin = 0, end = 0;
  };
  std::vector<Pass> passes;
  int max_rows = 0, max_sentences = 0;
  for (size_t begin = 0; begin < tokens.size();) {
    size_t end = begin;
    int rows = 0;
    while (end < tokens.size() && end - begin < size_t(kRowsPerPass)) {
      const int length = std::min<int>(static_cast<int>(tokens[end].size()), kMaxTokens);
      if (rows + length > kRowsPerPass) break;
      rows += length;
      ++end;
    }
    passes.push_back({begin, end});
    max_rows = std::max(max_rows, rows);
    max_sentences = std::max(max_sentences, static_cast<int>(end - begin));
    begin = end;
  }
  Scratch scratch(max_rows, max_sentences);
  for (const Pass& pass : passes) {
    EmbedGroup(tokens.subspan(pass.begin, pass.end - pass.begin), scratch,
               out + pass.begin * kOutputDim);
  }
}

void Model::EmbedGroup(std::span<const std::vector<int32_t>> tokens, Scratch& s, float* out) const {
  const int sentences = static_cast<int>(tokens.size());
  std::vector<int> lengths(sentences);
  int rows = 0;
  for (int i = 0; i < sentences; ++i) {
    lengths[i] = std::min<int>(static_cast<int>(tokens[i].size()), kMaxTokens);
    rows += lengths[i];
  }

  // Input: embedding + (embedding + timing signal); the graph scatters the embedding twice.
  size_t row = 0;
  for (int i = 0; i < sentences; ++i) {
    for (int pos = 0; pos < lengths[i]; ++pos, ++row) {
      int32_t id = tokens[i][pos];
      if (id < 0 || id >= vocab_rows_) id = 0;
      const float* e = embeddings_.data() + size_t(id) * kInputWidth;
      const float* t = timing_.data() + size_t(pos) * kInputWidth;
      AddTwiceAndAdd(e, t, kInputWidth, s.input.data() + row * kInputWidth);
    }
  }

  // Layer 0 widens the residual stream from 256 to 512 with its own projection.
  Dense(s.input.data(), rows, kInputWidth, adjust_w_, adjust_b_, s.x.data(), false);
  for (int l = 0; l < 2; ++l) {
    const Layer& layer = layers_[l];
    const float* attention_input = l == 0 ? s.input.data() : s.x.data();
    LayerNorm(attention_input, rows, layer.width, layer.ln1_scale, layer.ln1_bias, s.norm.data());
    Dense(s.norm.data(), rows, layer.width, layer.qkv_w, layer.qkv_b, s.qkv.data(), false);
    Attention(layer, lengths, s);
    Dense(s.heads.data(), rows, layer.width, layer.out_w, layer.out_b, s.x.data(), true);

    LayerNorm(s.x.data(), rows, kWidth, layer.ln2_scale, layer.ln2_bias, s.norm.data());
    Dense(s.norm.data(), rows, kWidth, layer.ffn1_w, layer.ffn1_b, s.hidden.data(), false,
          /*relu=*/true);
    if (l == 0) {
      Dense(s.hidden.data(), rows, kFfnWidth, layer.ffn2_w, layer.ffn2_b, s.x.data(), true);
    }
  }

  // Mean pooling. The last FFN's second projection is linear, so it is applied after pooling:
  // mean(x + h W2 + b2) = mean(x) + mean(h) W2 + b2 (an empty sentence pools to 0).
  row = 0;
  for (int i = 0; i < sentences; ++i) {
    float* px = s.pooled_x.data() + size_t(i) * kWidth;
    float* ph = s.pooled_h.data() + size_t(i) * kFfnWidth;
    std::fill(px, px + kWidth, 0.0f);
    std::fill(ph, ph + kFfnWidth, 0.0f);
    SumRows(s.x.data() + row * kWidth, lengths[i], kWidth, px);
    SumRows(s.hidden.data() + row * kFfnWidth, lengths[i], kFfnWidth, ph);
    row += size_t(lengths[i]);
    const float inv = 1.0f / float(std::max(lengths[i], 1));
    Scale(px, kWidth, inv);
    Scale(ph, kFfnWidth, inv);
  }
  Dense(s.pooled_h.data(), sentences, kFfnWidth, layers_[1].ffn2_w, layers_[1].ffn2_b,
        s.pooled.data(), false);
  for (int i = 0; i < sentences; ++i) {
    float* p = s.pooled.data() + size_t(i) * kWidth;
    const float* px = s.pooled_x.data() + size_t(i) * kWidth;
    for (int j = 0; j < kWidth; ++j) p[j] = lengths[i] == 0 ? 0.0f : p[j] + px[j];
  }

  Dense(s.pooled.data(), sentences, kWidth, tanh_w_, tanh_b_, out, false);
  for (int i = 0; i < sentences; ++i) {
    float* e = out + size_t(i) * kOutputDim;
    float squares = 0;
    for (int j = 0; j < kOutputDim; ++j) {
      e[j] = std::tanh(e[j]);
      squares += e[j] * e[j];
    }
    const float inv_norm = 1.0f / std::sqrt(std::max(squares, l2_epsilon_));
    for (int j = 0; j < kOutputDim; ++j) e[j] *= inv_norm;
  }
}

}  // namespace ragd::use_lite
