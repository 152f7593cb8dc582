// AVX2+FMA tile kernel: 6 rows x 16 columns of C in 12 ymm accumulators,
// leaving the other 4 of the 16 registers for B~ and the A~ broadcast.
#include "gemm_kernels.h"
#include <immintrin.h>
#include <type_traits>
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
  // The tile of C is written (and maybe read) once the k loop is done: start
  // bringing it in now, so the epilogue does not wait on memory.
#pragma GCC unroll 8
  for (int i = 0; i < Rows; i++) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kCols - 1), _MM_HINT_T0);
  }
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
  // Masked stores cost tens of cycles each on Zen 2/3 (12 per tile were a
  // third of a 6x16x256 tile's time there): full tiles store plainly.
  const bool full = cols == kCols;
  __m256i mask[kVecs];
  __m256 add[kVecs];
#pragma GCC unroll 4
  for (int v = 0; v < kVecs; v++) {
    mask[v] = columnMask(cols, v);
    add[v] = !bias ? _mm256_setzero_ps() : full ? _mm256_loadu_ps(bias + 8 * v) : _mm256_maskload_ps(bias + 8 * v, mask[v]);
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 8
  for (int i = 0; i < Rows; i++) {
    float* row = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; v++) {
      __m256 r = _mm256_fmadd_ps(acc[i][v], va, add[v]);
      if (full) {
        if (beta != 0.0f) r = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8 * v), r);
        _mm256_storeu_ps(row + 8 * v, r);
      } else {
        if (beta != 0.0f) r = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row + 8 * v, mask[v]), r);
        _mm256_maskstore_ps(row + 8 * v, mask[v], r);
      }
    }
  }
}

// Few-row products stream B up to this many rows: the narrow 2x4 dot tile
// loses to packing from M = 32 on (B 896 x 4864: 102 vs 116 GFLOP/s).
constexpr int kStreamRows = 16;
constexpr int kDotRows = 2;
constexpr int kDotCols = 4;
// How far ahead each row of W is fetched. Past a row's end the fetch moves on
// to the same row of the next group of columns, so a new group starts on
// rows already in flight instead of stalling on all of them at once (Zen 5,
// 24 layers of Qwen2.5-0.5B weights at 8 rows: 19-23 GB/s streamed without
// the carry-over, 24-32 with it; bf16 weights gain the most).
constexpr int64_t kPrefetchBytes = 1024;

ASTARPO_AVX2 inline float sum1(__m256 v) {
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
}

ASTARPO_AVX2 inline __m256 loadWeights(const float* w, __m256i mask, int) { return _mm256_maskload_ps(w, mask); }
ASTARPO_AVX2 inline __m256 loadWeights(const Bf16* w, __m256i, int count) {
  __m128i half;
  if (count == 8) {
    half = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w));
  } else {  // AVX2 has no 16-bit masked load: the ragged end goes through a zeroed copy
    alignas(16) Bf16 tail[8] = {};
    for (int i = 0; i < count; i++) tail[i] = w[i];
    half = _mm_load_si128(reinterpret_cast<const __m128i*>(tail));
  }
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(half), 16));
}

template <int Rows, int Cols, class W>
ASTARPO_AVX2 void dot(int64_t K, const float* a, int64_t lda, const W* w, int64_t ldw,
                      float* c, int64_t ldc, float alpha, float beta, const float* bias) {
  __m256 acc[Rows][Cols];
#pragma GCC unroll 8
  for (int i = 0; i < Rows; i++)
#pragma GCC unroll 4
    for (int j = 0; j < Cols; j++) acc[i][j] = _mm256_setzero_ps();
  auto step = [&](int64_t k, __m256i mask, int count) ASTARPO_AVX2 {
    __m256 wv[Cols];
#pragma GCC unroll 4
    for (int j = 0; j < Cols; j++) {
      // W is read once from memory: ask for it well before the FMAs need it.
      const int64_t ahead = k + kPrefetchBytes / int64_t(sizeof(W));
      _mm_prefetch(reinterpret_cast<const char*>(ahead < K ? w + j * ldw + ahead : w + (j + Cols) * ldw + (ahead - K)), _MM_HINT_T0);
      wv[j] = loadWeights(w + j * ldw + k, mask, count);
    }
#pragma GCC unroll 8
    for (int i = 0; i < Rows; i++) {
      const __m256 av = _mm256_maskload_ps(a + i * lda + k, mask);
#pragma GCC unroll 4
      for (int j = 0; j < Cols; j++) acc[i][j] = _mm256_fmadd_ps(av, wv[j], acc[i][j]);
    }
  };
  int64_t k = 0;
  const __m256i all = _mm256_set1_epi32(-1);
  for (; k + 8 <= K; k += 8) step(k, all, 8);
  if (k < K) step(k, columnMask(static_cast<int>(K - k), 0), static_cast<int>(K - k));
#pragma GCC unroll 8
  for (int i = 0; i < Rows; i++) {
    float sums[Cols];
    for (int j = 0; j < Cols; j++) sums[j] = sum1(acc[i][j]);
    storeRow(c + i * ldc, sums, Cols, alpha, beta, bias);
  }
}

// Cache blocks: the packed A block (kMc x kKc) and a B micro-panel stay in L2.
constexpr int kKc = 256, kMc = 120, kNc = 1024;
static_assert(kMc % kRows == 0 && kNc % kCols == 0, "blocks hold whole tiles: packing fills whole panels");

template <int... R, int... D>
KernelSet makeSet(std::integer_sequence<int, R...>, std::integer_sequence<int, D...>) {
  return KernelSet{"avx2", kRows, kCols, kKc, kMc, kNc, {&tile<R + 1>...}, &packAcrossAvx2, &packAcrossBf16Avx2, &packAlongAvx2,
                   kStreamRows, kDotRows, kDotCols, {&dot<D + 1, kDotCols, float>...}, {&dot<D + 1, 1, float>...},
                   {&dot<D + 1, kDotCols, Bf16>...}, {&dot<D + 1, 1, Bf16>...}};
}

// Transposes eight rows of eight values, r[i] = row i, into dst (rows `width` apart).
ASTARPO_AVX2 inline void transpose8x8(__m256* r, float* dst, int width) {
  __m256 t[8];
#pragma GCC unroll 4
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
#pragma GCC unroll 2
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    _mm256_storeu_ps(dst + i * width, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * width, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}

// Eight bfloat16 values widened to floats.
ASTARPO_AVX2 inline __m256 widen8(const Bf16* p) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

// Transposes the 4x4 block at src into dst.
ASTARPO_AVX2 inline void transpose4x4(const float* src, int64_t rs, float* dst, int width) {
  __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + rs), r2 = _mm_loadu_ps(src + 2 * rs), r3 = _mm_loadu_ps(src + 3 * rs);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(dst, r0);
  _mm_storeu_ps(dst + width, r1);
  _mm_storeu_ps(dst + 2 * width, r2);
  _mm_storeu_ps(dst + 3 * width, r3);
}

// Eight floats of a row, as stored or widened from bfloat16.
ASTARPO_AVX2 inline __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
ASTARPO_AVX2 inline __m256 load8(const Bf16* p) { return widen8(p); }
inline float widen(float x) { return x; }
inline float widen(Bf16 x) { return widenBf16(x); }

// packAcross in 8x8 register transposes, for a source of floats or bfloat16.
template <class T>
ASTARPO_AVX2 void packAcrossBy8(const T* src, int64_t rs, int rows, int64_t kc, int width, float* dst) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    float* d = dst + k * width;
    int i = 0;
    for (; i + 8 <= rows; i += 8) {
      __m256 r[8];
#pragma GCC unroll 8
      for (int j = 0; j < 8; j++) r[j] = load8(src + (i + j) * rs + k);
      transpose8x8(r, d + i, width);
    }
    if constexpr (std::is_same_v<T, float>) {
      for (; i + 4 <= rows; i += 4) {
        transpose4x4(src + i * rs + k, rs, d + i, width);
        transpose4x4(src + i * rs + k + 4, rs, d + 4 * width + i, width);
      }
    }
    for (; i < rows; i++)
      for (int kk = 0; kk < 8; kk++) d[kk * width + i] = widen(src[i * rs + k + kk]);
    for (int kk = 0; kk < 8; kk++)
      for (int z = rows; z < width; z++) d[kk * width + z] = 0.0f;
  }
  if constexpr (std::is_same_v<T, float>) packAcrossScalar(src + k, rs, rows, kc - k, width, dst + k * width);
  else packAcrossBf16(src + k, rs, rows, kc - k, width, dst + k * width);
}

}  // namespace

ASTARPO_AVX2 void packAcrossAvx2(const float* src, int64_t rs, int rows, int64_t kc, int width, float* dst) {
  packAcrossBy8(src, rs, rows, kc, width, dst);
}

ASTARPO_AVX2 void packAcrossBf16Avx2(const Bf16* src, int64_t rs, int rows, int64_t kc, int width, float* dst) {
  packAcrossBy8(src, rs, rows, kc, width, dst);
}

constexpr int kPackAhead = 16;

ASTARPO_AVX2 void packAlongAvx2(const float* src, int64_t cs, int rows, int64_t kc, int width, float* dst) {
  const int64_t panelSize = kc * width;
  for (int64_t k = 0; k < kc; k++) {
    const float* s = src + k * cs;
    float* d = dst + k * width;
    // Runs of a few lines, a row apart, defeat the hardware prefetcher: fetch
    // the run kPackAhead rows down while this one is copied.
    if (k + kPackAhead < kc)
      for (int i = 0; i < rows; i += 16) _mm_prefetch(reinterpret_cast<const char*>(s + kPackAhead * cs + i), _MM_HINT_T0);
    for (int p = 0; p < rows; p += width, d += panelSize)
      for (int i = 0; i < width; i += 8) {
        const __m256 v = rows - p - i >= 8 ? _mm256_loadu_ps(s + p + i) : _mm256_maskload_ps(s + p + i, columnMask(rows - p - i, 0));
        if (width - i >= 8) _mm256_storeu_ps(d + i, v);
        else _mm256_maskstore_ps(d + i, columnMask(width - i, 0), v);
      }
  }
}

const KernelSet& avx2Kernels() {
  static const KernelSet set =
      makeSet(std::make_integer_sequence<int, kRows>(), std::make_integer_sequence<int, kDotRows>());
  return set;
}

}  // namespace astarpo::gemm_detail
