// AVX-512 tile kernel: 14 rows x 32 columns of C held in 28 zmm accumulators;
// per k step two loads of B~ and fourteen broadcasts of A~ feed 28 FMAs.
// (Measured on Zen 5 against 12x32 and 6x64: 14x32 is the fastest on both
// square and the narrow N = 256 products of small models.)
#include "gemm_kernels.h"
#include <immintrin.h>
#include <utility>

namespace astarpo::gemm_detail {
namespace {

#define ASTARPO_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma")))

constexpr int kRows = 14;
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
  // The tile of C is written (and maybe read) once the k loop is done: start
  // bringing it in now, so the epilogue does not wait on memory.
#pragma GCC unroll 16
  for (int i = 0; i < Rows; i++) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kCols - 1), _MM_HINT_T0);
  }
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
  // Full tiles load and store C without masks, as the AVX2 tile must (masked
  // stores are slow on AMD cores); only a ragged last tile needs them.
  const bool full = cols == kCols;
  __mmask16 mask[kVecs];
  __m512 add[kVecs];
#pragma GCC unroll 4
  for (int v = 0; v < kVecs; v++) {
    mask[v] = columnMask(cols, v);
    add[v] = !bias ? _mm512_setzero_ps() : full ? _mm512_loadu_ps(bias + 16 * v) : _mm512_maskz_loadu_ps(mask[v], bias + 16 * v);
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
  for (int i = 0; i < Rows; i++) {
    float* row = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; v++) {
      __m512 r = _mm512_fmadd_ps(acc[i][v], va, add[v]);
      if (full) {
        if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16 * v), r);
        _mm512_storeu_ps(row + 16 * v, r);
      } else {
        if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask[v], row + 16 * v), r);
        _mm512_mask_storeu_ps(row + 16 * v, mask[v], r);
      }
    }
  }
}

// Few-row products stream B up to this many rows (Zen 5, B 896 x 4864:
// M = 64 streams at 290 GFLOP/s where packing gives 236; at M = 128 packing
// wins by a few percent).
constexpr int kStreamRows = 64;
constexpr int kDotRows = 6;
constexpr int kDotCols = 4;
// How far ahead each row of W is fetched. Past a row's end the fetch moves on
// to the same row of the next group of columns, so a new group starts on
// rows already in flight instead of stalling on all of them at once (Zen 5,
// 24 layers of Qwen2.5-0.5B weights at 8 rows: 19-23 GB/s streamed without
// the carry-over, 24-32 with it; bf16 weights gain the most).
constexpr int64_t kPrefetchBytes = 1024;

// GCC 12's headers build the plain unpack/shuffle/cast intrinsics on a
// self-initialised "undefined" vector that -Wall reports; the zero-masked
// forms with a full mask compile to the same instructions without it.
constexpr __mmask16 kAll = 0xFFFF;

ASTARPO_AVX512 inline __m512 loadWeights(const float* w, __mmask16 mask) { return _mm512_maskz_loadu_ps(mask, w); }
// A bfloat16 value is the top half of a float: widen to 32 bits, shift up.
ASTARPO_AVX512 inline __m512 loadWeights(const Bf16* w, __mmask16 mask) {
  const __m512i wide = _mm512_maskz_cvtepu16_epi32(kAll, _mm256_maskz_loadu_epi16(mask, w));
  return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(kAll, wide, 16));
}

ASTARPO_AVX512 inline __m256 lowHalf(__m512 v) { return _mm512_extractf32x8_ps(v, 0); }
ASTARPO_AVX512 inline __m256 highHalf(__m512 v) { return _mm512_extractf32x8_ps(v, 1); }

// The four horizontal sums of v[0..3], as one vector.
ASTARPO_AVX512 inline __m128 sum4(const __m512* v) {
  const __m512 ab = _mm512_add_ps(_mm512_maskz_unpacklo_ps(kAll, v[0], v[1]), _mm512_maskz_unpackhi_ps(kAll, v[0], v[1]));
  const __m512 cd = _mm512_add_ps(_mm512_maskz_unpacklo_ps(kAll, v[2], v[3]), _mm512_maskz_unpackhi_ps(kAll, v[2], v[3]));
  const __m512 abcd = _mm512_add_ps(_mm512_maskz_shuffle_ps(kAll, ab, cd, _MM_SHUFFLE(1, 0, 1, 0)),
                                    _mm512_maskz_shuffle_ps(kAll, ab, cd, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m256 half = _mm256_add_ps(lowHalf(abcd), highHalf(abcd));
  return _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
}

ASTARPO_AVX512 inline float sum1(__m512 v) {
  const __m256 half = _mm256_add_ps(lowHalf(v), highHalf(v));
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
}


template <int Rows, int Cols, class W>
ASTARPO_AVX512 void dot(int64_t K, const float* a, int64_t lda, const W* w, int64_t ldw,
                        float* c, int64_t ldc, float alpha, float beta, const float* bias) {
  __m512 acc[Rows][Cols];
#pragma GCC unroll 8
  for (int i = 0; i < Rows; i++)
#pragma GCC unroll 4
    for (int j = 0; j < Cols; j++) acc[i][j] = _mm512_setzero_ps();
  auto step = [&](int64_t k, __mmask16 mask) ASTARPO_AVX512 {
    __m512 wv[Cols];
#pragma GCC unroll 4
    for (int j = 0; j < Cols; j++) {
      // W is read once from memory: ask for it well before the FMAs need it.
      const int64_t ahead = k + kPrefetchBytes / int64_t(sizeof(W));
      _mm_prefetch(reinterpret_cast<const char*>(ahead < K ? w + j * ldw + ahead : w + (j + Cols) * ldw + (ahead - K)), _MM_HINT_T0);
      wv[j] = loadWeights(w + j * ldw + k, mask);
    }
#pragma GCC unroll 8
    for (int i = 0; i < Rows; i++) {
      const __m512 av = _mm512_maskz_loadu_ps(mask, a + i * lda + k);
#pragma GCC unroll 4
      for (int j = 0; j < Cols; j++) acc[i][j] = _mm512_fmadd_ps(av, wv[j], acc[i][j]);
    }
  };
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) step(k, 0xFFFF);
  if (k < K) step(k, __mmask16((1u << (K - k)) - 1));
#pragma GCC unroll 8
  for (int i = 0; i < Rows; i++) {
    float sums[Cols];
    if constexpr (Cols == 4) _mm_storeu_ps(sums, sum4(acc[i]));
    else
      for (int j = 0; j < Cols; j++) sums[j] = sum1(acc[i][j]);
    storeRow(c + i * ldc, sums, Cols, alpha, beta, bias);
  }
}

// Cache blocks: the packed A block (kMc x kKc) and a B micro-panel stay in L2.
constexpr int kKc = 1024, kMc = 112, kNc = 512;
static_assert(kMc % kRows == 0 && kNc % kCols == 0, "blocks hold whole tiles: packing fills whole panels");

template <int... R, int... D>
KernelSet makeSet(std::integer_sequence<int, R...>, std::integer_sequence<int, D...>) {
  return KernelSet{"avx512", kRows, kCols, kKc, kMc, kNc, {&tile<R + 1>...}, &packAcrossAvx2, &packAcrossBf16Avx2, &packAlongAvx512,
                   kStreamRows, kDotRows, kDotCols, {&dot<D + 1, kDotCols, float>...}, {&dot<D + 1, 1, float>...},
                   {&dot<D + 1, kDotCols, Bf16>...}, {&dot<D + 1, 1, Bf16>...}};
}

}  // namespace

constexpr int kPackAhead = 16;

ASTARPO_AVX512 void packAlongAvx512(const float* src, int64_t cs, int rows, int64_t kc, int width, float* dst) {
  const int64_t panelSize = kc * width;
  for (int64_t k = 0; k < kc; k++) {
    const float* s = src + k * cs;
    float* d = dst + k * width;
    // Runs of a few lines, a row apart, defeat the hardware prefetcher: fetch
    // the run kPackAhead rows down while this one is copied.
    if (k + kPackAhead < kc)
      for (int i = 0; i < rows; i += 16) _mm_prefetch(reinterpret_cast<const char*>(s + kPackAhead * cs + i), _MM_HINT_T0);
    for (int p = 0; p < rows; p += width, d += panelSize)
      for (int i = 0; i < width; i += 16) {
        if (width - i >= 16 && rows - p - i >= 16) _mm512_storeu_ps(d + i, _mm512_loadu_ps(s + p + i));
        else _mm512_mask_storeu_ps(d + i, columnMask(width - i, 0), _mm512_maskz_loadu_ps(columnMask(rows - p - i, 0), s + p + i));
      }
  }
}

const KernelSet& avx512Kernels() {
  static const KernelSet set =
      makeSet(std::make_integer_sequence<int, kRows>(), std::make_integer_sequence<int, kDotRows>());
  return set;
}

}  // namespace astarpo::gemm_detail
