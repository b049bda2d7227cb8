#include "retrieval/use_lite_kernels.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace ragd::use_lite {
namespace {

// GCC/Clang vector extension: 4 floats, one SSE register on every x86-64 (wider vectors would
// change the calling convention without -mavx).
typedef float V4 __attribute__((vector_size(16)));
typedef int32_t I4 __attribute__((vector_size(16)));
constexpr int kLanes = 4;

inline V4 Load(const float* p) {
  V4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void Store(float* p, V4 v) { std::memcpy(p, &v, sizeof(v)); }
inline V4 Splat(float x) { return V4{} + x; }
inline float HorizontalSum(V4 v) {
  float sum = 0;
  for (int i = 0; i < kLanes; ++i) sum += v[i];
  return sum;
}
inline V4 Max(V4 a, V4 b) { return a > b ? a : b; }

// e^x for x <= 0 (softmax after subtracting the maximum), Cephes-style: x = n ln2 + r with
// |r| <= ln2/2, a degree-6 polynomial for e^r and 2^n put in the exponent bits. Relative error
// about 2e-7; inputs below -87 flush to 0.
inline V4 ExpNonPositive(V4 x) {
  const V4 lo = Splat(-87.0f);
  x = x < lo ? lo : x;
  const V4 t = x * 1.44269504088896341f + 0.5f;
  I4 n = __builtin_convertvector(t, I4);  // truncates toward zero
  const V4 nf0 = __builtin_convertvector(n, V4);
  n = nf0 > t ? n - 1 : n;  // floor
  const V4 nf = __builtin_convertvector(n, V4);
  V4 r = x - nf * 0.693359375f;
  r = r - nf * -2.12194440e-4f;
  V4 p = Splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const I4 bits = (n + 127) << 23;
  V4 scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return x <= lo ? V4{} : p * scale;
}

}  // namespace

void LayerNormRows(const float* in, int rows, int width, const float* scale, const float* bias,
                   float epsilon, float* out) {
  for (int r = 0; r < rows; ++r) {
    const float* x = in + size_t(r) * width;
    float* y = out + size_t(r) * width;
    V4 acc{};
    for (int j = 0; j < width; j += kLanes) acc += Load(x + j);
    const float mean = HorizontalSum(acc) / float(width);
    const V4 vmean = Splat(mean);
    acc = V4{};
    for (int j = 0; j < width; j += kLanes) {
      const V4 d = Load(x + j) - vmean;
      acc += d * d;
    }
    const float inv_std = 1.0f / std::sqrt(HorizontalSum(acc) / float(width) + epsilon);
    const V4 vinv = Splat(inv_std);
    for (int j = 0; j < width; j += kLanes) {
      Store(y + j, Load(scale + j) * vinv * (Load(x + j) - vmean) + Load(bias + j));
    }
  }
}

void AddBiasRows(float* rows_data, int rows, int width, const float* bias, bool relu) {
  for (int r = 0; r < rows; ++r) {
    float* row = rows_data + size_t(r) * width;
    if (relu) {
      for (int j = 0; j < width; j += kLanes) {
        Store(row + j, Max(Load(row + j) + Load(bias + j), V4{}));
      }
    } else {
      for (int j = 0; j < width; j += kLanes) Store(row + j, Load(row + j) + Load(bias + j));
    }
  }
}

void SoftmaxRows(float* rows_data, int rows, int width) {
  const int full = width - width % kLanes;
  for (int r = 0; r < rows; ++r) {
    float* row = rows_data + size_t(r) * width;
    float max = row[0];
    for (int j = 1; j < width; ++j) max = row[j] > max ? row[j] : max;
    const V4 vmax = Splat(max);
    V4 acc{};
    for (int j = 0; j < full; j += kLanes) {
      const V4 e = ExpNonPositive(Load(row + j) - vmax);
      acc += e;
      Store(row + j, e);
    }
    float sum = HorizontalSum(acc);
    if (full < width) {  // the tail, through a zero-padded vector
      float tail[kLanes] = {};
      for (int j = full; j < width; ++j) tail[j - full] = row[j] - max;
      V4 e = ExpNonPositive(Load(tail));
      for (int j = full; j < width; ++j) {
        row[j] = e[j - full];
        sum += e[j - full];
      }
    }
    const float inv = 1.0f / sum;
    const V4 vinv = Splat(inv);
    for (int j = 0; j < full; j += kLanes) Store(row + j, Load(row + j) * vinv);
    for (int j = full; j < width; ++j) row[j] *= inv;
  }
}

void SumRows(const float* in, int rows, int width, float* sum) {
  for (int r = 0; r < rows; ++r) {
    const float* x = in + size_t(r) * width;
    for (int j = 0; j < width; j += kLanes) Store(sum + j, Load(sum + j) + Load(x + j));
  }
}

void AddTwiceAndAdd(const float* a, const float* b, int width, float* out) {
  for (int j = 0; j < width; j += kLanes) {
    const V4 va = Load(a + j);
    Store(out + j, va + (va + Load(b + j)));
  }
}

void Scale(float* v, int width, float factor) {
  const V4 f = Splat(factor);
  for (int j = 0; j < width; j += kLanes) Store(v + j, Load(v + j) * f);
}

}  // namespace ragd::use_lite
