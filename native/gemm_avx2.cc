// AVX2+FMA tile kernel: 6 rows x 16 columns of C in 12 ymm accumulators,
// leaving the other 4 of the 16 registers for B~ and the A~ broadcast.
#include "gemm_kernels.h"
#include <immintrin.h>
#include <utility>

namespace astarpo::gemm_detail {
namespace {

#define ASTARPO_AVX2 __attribute__((target("avx2,fma")))

constexpr int kRows = 6;
constexpr int kVecs = 2;
constexpr int kCols = 8 * kVecs;

ASTARPO_AVX2 inline __m256i columnMask(int cols, int v) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - 8 * v), lane);
}

template <int Rows>
ASTARPO_AVX2 void tile(int64_t kc, const float* a, const float* b, int64_t bStride,
                       float* c, int64_t ldc, int cols, float alpha, float beta, const float* bias) {
  __m256 acc[Rows][kVecs];
#pragma GCC unroll 8
  for (int i = 0; i < Rows; i++)
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; v++) acc[i][v] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; k++) {
    __m256 bv[kVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; v++) bv[v] = _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 8
    for (int i = 0; i < Rows; i++) {
      __m256 ai = _mm256_broadcast_ss(a + i);
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; v++) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
    }
    a += kRows;
    b += bStride;
  }
  __m256i mask[kVecs];
  __m256 add[kVecs];
#pragma GCC unroll 4
  for (int v = 0; v < kVecs; v++) {
    mask[v] = columnMask(cols, v);
    add[v] = bias ? _mm256_maskload_ps(bias + 8 * v, mask[v]) : _mm256_setzero_ps();
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 8
  for (int i = 0; i < Rows; i++) {
    float* row = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; v++) {
      __m256 r = _mm256_fmadd_ps(acc[i][v], va, add[v]);
      if (beta != 0.0f) r = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row + 8 * v, mask[v]), r);
      _mm256_maskstore_ps(row + 8 * v, mask[v], r);
    }
  }
}

template <int... R>
KernelSet makeSet(std::integer_sequence<int, R...>) {
  return KernelSet{"avx2", kRows, kCols, 256, 120, 1024, {&tile<R + 1>...}};
}

}  // namespace

const KernelSet& avx2Kernels() {
  static const KernelSet set = makeSet(std::make_integer_sequence<int, kRows>());
  return set;
}

}  // namespace astarpo::gemm_detail
