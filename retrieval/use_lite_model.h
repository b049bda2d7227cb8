// The Universal Sentence Encoder Lite network ("KonaTransformer"), as its TF.js graph computes it:
//
//   x   = 2 * Embeddings[token] + timing(position)            (the graph adds the embedding twice)
//   layer 0 (width 256, 4 heads of 64):
//     r = x Wd + bd                                            (AdjustResidualInput, 256 -> 512)
//     x = r + MHA(LN(x)) ; x = x + FFN(LN(x))
//   layer 1 (width 512, 4 heads of 128):
//     x = x + MHA(LN(x)) ; x = x + FFN(LN(x))
//   e   = L2normalise(tanh(mean_over_tokens(x) Wt + bt))
//
// with LN = layer norm (eps 1e-6), MHA = softmax((q * dh^-0.5) k^T) v per head then an output
// projection, FFN = relu(x W1 + b1) W2 + b2 (512 -> 1536 -> 512), inputs clipped to 128 tokens.
// Attention never crosses sentences and padding contributes nothing, so sentences are packed
// back to back (no padding rows). Since mean pooling is linear, the last FFN's W2 is applied to
// the pooled activations rather than to every token (same result, 16% fewer FLOPs).
//
// Thread safety: immutable after FromWeights; Embed may be called concurrently. Each call
// allocates its own scratch: about 20 KB per token of its largest pass (at most 256 tokens).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/status.h"
#include "retrieval/use_lite_weights.h"

namespace ragd::use_lite {

inline constexpr int kMaxTokens = 128;
inline constexpr int kOutputDim = 512;

class Model {
 public:
  // Binds the tensors of `store` (DataLoss if one is missing or has another shape).
  static StatusOr<std::unique_ptr<Model>> FromWeights(WeightStore store);

  // Writes tokens.size() * kOutputDim floats to `out` (row i for sentence i, unit L2 norm). Only
  // the first kMaxTokens of each sentence are used; ids outside the vocabulary count as 0 (unk).
  // A sentence without tokens gets the network's output for an empty input.
  void Embed(std::span<const std::vector<int32_t>> tokens, float* out) const;

  // Multiply-adds x2 of the dense work for one sentence of `tokens` tokens (for benchmarks).
  static double FlopsPerSentence(int tokens);

 private:
  struct Layer {
    int width = 0;  // model width entering the layer (256 or 512)
    int head_dim = 0;
    float query_scale = 0;
    std::span<const float> ln1_scale, ln1_bias, qkv_w, qkv_b, out_w, out_b;
    std::span<const float> ln2_scale, ln2_bias, ffn1_w, ffn1_b, ffn2_w, ffn2_b;
  };
  struct Scratch;
  struct PrivateTag {};

 public:
  Model(PrivateTag, WeightStore store) : store_(std::move(store)) {}

 private:
  Status Bind();
  // Embeds a group of at most kRowsPerPass tokens and sentences, packed back to back.
  void EmbedGroup(std::span<const std::vector<int32_t>> tokens, Scratch& s, float* out) const;
  void Attention(const Layer& layer, std::span<const int> lengths, Scratch& s) const;
  void LayerNorm(const float* in, int rows, int width, std::span<const float> scale,
                 std::span<const float> bias, float* out) const;

  WeightStore store_;
  std::span<const float> embeddings_;  // [vocab_rows, 256]
  int vocab_rows_ = 0;
  std::vector<float> timing_;  // [kMaxTokens, 256]: sin | cos of position * inverse timescale
  std::span<const float> adjust_w_, adjust_b_;  // layer 0 residual 256 -> 512
  Layer layers_[2];
  std::span<const float> tanh_w_, tanh_b_;
  float ln_epsilon_ = 0;
  float l2_epsilon_ = 0;
};

}  // namespace ragd::use_lite
