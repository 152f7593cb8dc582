// AVX-512 tile kernel: 12 rows x 32 columns of C held in 24 zmm accumulators;
// per k step two loads of B~ and twelve broadcasts of A~ feed 24 FMAs.
#include "gemm_kernels.h"
#include <immintrin.h>
#include <utility>

namespace astarpo::gemm_detail {
namespace {

#define ASTARPO_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma")))

constexpr int kRows = 12;
constexpr int kVecs = 2;
constexpr int kCols = 16 * kVecs;

ASTARPO_AVX512 inline __mmask16 columnMask(int cols, int v) {
  int left = cols - 16 * v;
  return left >= 16 ? __mmask16(0xFFFF) : left <= 0 ? __mmask16(0) : __mmask16((1u << left) - 1);
}

template <int Rows>
ASTARPO_AVX512 void tile(int64_t kc, const float* a, const float* b, int64_t bStride,
                         float* c, int64_t ldc, int cols, float alpha, float beta, const float* bias) {
  __m512 acc[Rows][kVecs];
#pragma GCC unroll 16
  for (int i = 0; i < Rows; i++)
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; v++) acc[i][v] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; k++) {
    __m512 bv[kVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; v++) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 16
    for (int i = 0; i < Rows; i++) {
      __m512 ai = _mm512_set1_ps(a[i]);
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; v++) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
    a += kRows;
    b += bStride;
  }
  __mmask16 mask[kVecs];
  __m512 add[kVecs];
#pragma GCC unroll 4
  for (int v = 0; v < kVecs; v++) {
    mask[v] = columnMask(cols, v);
    add[v] = bias ? _mm512_maskz_loadu_ps(mask[v], bias + 16 * v) : _mm512_setzero_ps();
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
  for (int i = 0; i < Rows; i++) {
    float* row = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; v++) {
      __m512 r = _mm512_fmadd_ps(acc[i][v], va, add[v]);
      if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask[v], row + 16 * v), r);
      _mm512_mask_storeu_ps(row + 16 * v, mask[v], r);
    }
  }
}

template <int... R>
KernelSet makeSet(std::integer_sequence<int, R...>) {
  return KernelSet{"avx512", kRows, kCols, 256, 240, 1024, {&tile<R + 1>...}};
}

}  // namespace

const KernelSet& avx512Kernels() {
  static const KernelSet set = makeSet(std::make_integer_sequence<int, kRows>());
  return set;
}

}  // namespace astarpo::gemm_detail
