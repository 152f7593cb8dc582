// Portable tile kernel in plain C++: 4 rows x 16 columns, written so the
// compiler can keep the accumulators in whatever vector registers the
// baseline target has.
#include "gemm_kernels.h"
#include <utility>

namespace astarpo::gemm_detail {
namespace {

constexpr int kRows = 4;
constexpr int kCols = 16;

template <int Rows>
void tile(int64_t kc, const float* a, const float* b, int64_t bStride,
          float* c, int64_t ldc, int cols, float alpha, float beta, const float* bias) {
  float acc[Rows][kCols] = {};
  for (int64_t k = 0; k < kc; k++) {
    for (int i = 0; i < Rows; i++) {
      const float ai = a[i];
      for (int j = 0; j < kCols; j++) acc[i][j] += ai * b[j];
    }
    a += kRows;
    b += bStride;
  }
  for (int i = 0; i < Rows; i++) {
    float* row = c + i * ldc;
    for (int j = 0; j < cols; j++) {
      float r = alpha * acc[i][j] + (bias ? bias[j] : 0.0f);
      row[j] = beta != 0.0f ? r + beta * row[j] : r;
    }
  }
}

template <int... R>
KernelSet makeSet(std::integer_sequence<int, R...>) {
  return KernelSet{"portable", kRows, kCols, 256, 64, 1024, {&tile<R + 1>...}};
}

}  // namespace

const KernelSet& portableKernels() {
  static const KernelSet set = makeSet(std::make_integer_sequence<int, kRows>());
  return set;
}

}  // namespace astarpo::gemm_detail
