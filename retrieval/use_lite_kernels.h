// Element-wise kernels of the USE-lite forward pass (everything that is not a GEMM), written
// with 4-float vectors so that they vectorise on any x86-64 without -ffast-math. Internal to
// retrieval/use_lite_*. Row widths must be multiples of 4 unless stated otherwise.
#pragma once

namespace ragd::use_lite {

// out = scale * (in - mean) / sqrt(variance + epsilon) + bias, per row of `width` floats.
void LayerNormRows(const float* in, int rows, int width, const float* scale, const float* bias,
                   float epsilon, float* out);
// row += bias for each of `rows` rows of `width`; with `relu`, row = max(row + bias, 0).
void AddBiasRows(float* rows_data, int rows, int width, const float* bias, bool relu);
// Softmax of each row of `width` floats (any width >= 1), in place.
void SoftmaxRows(float* rows_data, int rows, int width);
// sum[j] += in[r][j] over `rows` rows of `width`.
void SumRows(const float* in, int rows, int width, float* sum);
// out = a + (a + b), `width` floats (the graph's embedding + (embedding + timing)).
void AddTwiceAndAdd(const float* a, const float* b, int width, float* out);
// v *= factor, `width` floats.
void Scale(float* v, int width, float factor);

}  // namespace ragd::use_lite
