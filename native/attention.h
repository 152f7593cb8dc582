// The vector building blocks of the attention kernels (native/attention.cc),
// written once over GCC vector types of W lanes: 2^x, lane reductions, an
// in-register transpose, and the two tile products everything is made of.
// Every function is force-inlined, so it compiles with the instruction set
// of the entry it ends up in (AVX-512: W = 16, AVX2: 8, portable: 4).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

// Wide vectors never cross a call boundary: every helper is inlined into its
// instruction set's entry, so the ABI note about passing them is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

#define ATTENTION_INLINE inline __attribute__((always_inline))

namespace astarpo::attention {

constexpr int64_t kKeyBlock = 64;  // keys per block; also the row stride of score tiles

typedef float F16 __attribute__((vector_size(64)));
typedef int32_t I16 __attribute__((vector_size(64)));
typedef float F8 __attribute__((vector_size(32)));
typedef int32_t I8 __attribute__((vector_size(32)));
typedef float F4 __attribute__((vector_size(16)));
typedef int32_t I4 __attribute__((vector_size(16)));
template <int W> struct VectorTypes;
template <> struct VectorTypes<16> { using F = F16; using I = I16; };
template <> struct VectorTypes<8> { using F = F8; using I = I8; };
template <> struct VectorTypes<4> { using F = F4; using I = I4; };

template <int W>
struct Simd {
  using V = typename VectorTypes<W>::F;
  using I = typename VectorTypes<W>::I;
  // Register tile: kRows rows x 4 vectors of accumulators (16 of 32 zmm on
  // AVX-512; 8 of 16 registers elsewhere, leaving room for the operands).
  // kRows divides kKeyBlock; callers pad row counts to multiples of it.
  static constexpr int kRows = W == 16 ? 4 : 2;

  static ATTENTION_INLINE V load(const float* p) { V v; std::memcpy(&v, p, sizeof v); return v; }
  static ATTENTION_INLINE void store(float* p, const V& v) { std::memcpy(p, &v, sizeof v); }
  // A shuffle of lane 0 compiles to one broadcast (folded into the FMA as
  // {1toW}); GCC builds a brace-initialised vector lane by lane.
  static ATTENTION_INLINE V splat(float x) { return __builtin_shuffle(V{x}, I{}); }

  // Constant index vectors are spelled out lane by lane from a pack, so
  // GCC sees constants (a vector filled in a loop is built at run time).
  template <int By, std::size_t... L>
  static ATTENTION_INLINE I rotation(std::index_sequence<L...>) { return I{static_cast<int32_t>((L + By) % W)...}; }
  template <std::size_t... L>
  static ATTENTION_INLINE I iota(std::index_sequence<L...>) { return I{static_cast<int32_t>(L)...}; }
  // Lane l of the lower (Upper = 0) or upper half of a block swap between
  // vectors a and b: blocks of Block lanes alternate a, b, taking the even
  // blocks of each, or the odd ones. Every level is an in-lane shuffle or a
  // 128-bit block move, which AVX2 and SSE have too.
  template <int Block, int Upper, std::size_t... L>
  static ATTENTION_INLINE I blockSwap(std::index_sequence<L...>) {
    return I{static_cast<int32_t>((L / Block) % 2 * W + L / (2 * Block) * 2 * Block + Upper * Block + L % Block)...};
  }
  using Lanes = std::make_index_sequence<W>;

  // Lanes i < count of x, fill in the others.
  static ATTENTION_INLINE V keepBelow(const V& x, int64_t count, float fill) {
    const int32_t keep = static_cast<int32_t>(std::min<int64_t>(count, W));
    return iota(Lanes{}) < __builtin_shuffle(I{keep}, I{}) ? x : splat(fill);
  }
  // Folds the lanes pairwise, By lanes apart, down to lane 0.
  template <int By = W / 2>
  static ATTENTION_INLINE float sum(V v) {
    v += __builtin_shuffle(v, rotation<By>(Lanes{}));
    if constexpr (By > 1) return sum<By / 2>(v);
    else return v[0];
  }
  template <int By = W / 2>
  static ATTENTION_INLINE float max(V v) {
    V r = __builtin_shuffle(v, rotation<By>(Lanes{}));
    v = r > v ? r : v;
    if constexpr (By > 1) return max<By / 2>(v);
    else return v[0];
  }

  // 2^x: round to nearest n, a degree-6 Taylor polynomial of 2^f on
  // f in [-0.5, 0.5] (relative error ~2e-7), n added to the exponent bits.
  // Exactly 0 below -126, so masked (-inf) scores weigh nothing.
  static ATTENTION_INLINE V exp2(const V& x) {
    const V low = splat(-126.0f), round = splat(12582912.0f);  // 1.5 * 2^23: x + round holds round(x) in its low bits
    V clamped = x < low ? low : x;
    V shifted = clamped + round;
    V f = clamped - (shifted - round);
    V p = splat(1.5403530393381606e-4f);
    p = p * f + 1.3333558146428443e-3f;
    p = p * f + 9.618129107628477e-3f;
    p = p * f + 5.550410866482158e-2f;
    p = p * f + 0.2402265069591007f;
    p = p * f + 0.6931471805599453f;
    p = p * f + 1.0f;
    I bits = (I)p + (((I)shifted - (I)round) << 23);
    return x < low ? V{} : (V)bits;
  }

  // W x W transpose in registers: at each level rows i and i + Block swap
  // the off-diagonal blocks of Block x Block.
  template <int Block = 1>
  static ATTENTION_INLINE void transpose(V* r) {
    const I lower = blockSwap<Block, 0>(Lanes{}), upper = blockSwap<Block, 1>(Lanes{});
    for (int i = 0; i < W; i++) {
      if ((i / Block) % 2) continue;
      const V a = r[i], b = r[i + Block];
      r[i] = __builtin_shuffle(a, b, lower);
      r[i + Block] = __builtin_shuffle(a, b, upper);
    }
    if constexpr (2 * Block < W) transpose<2 * Block>(r);
  }
};

inline int64_t roundUp(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// ---------------------------------------------------------------------------
// Tiles. Row counts are padded to multiples of kRows and widths to multiples
// of W (with zeros), so every tile is full.

// s[r][c] = alpha * sum_d a[r][d] * kt[d][c], for rows [0, rows) and the
// columns c < columns(r0) of each tile of rows from r0 (rounded up to whole
// tiles; later columns are left as they are). a: rows at stride lda; kt: D
// rows of kKeyBlock (keys side by side).
template <int W, class Columns>
ATTENTION_INLINE void scoreTiles(int64_t rows, int64_t D, const float* a, int64_t lda, const float* kt, float* s, float alpha,
                                 Columns columns) {
  using S = Simd<W>;
  using V = typename S::V;
  constexpr int R = S::kRows;
  for (int64_t r0 = 0; r0 < rows; r0 += R)
    for (int64_t c0 = 0, end = columns(r0); c0 < end; c0 += 4 * W) {
      V acc[R][4] = {};
      const float* ar = a + r0 * lda;
      for (int64_t d = 0; d < D; d++) {
        const float* kd = kt + d * kKeyBlock + c0;
        V k0 = S::load(kd), k1 = S::load(kd + W), k2 = S::load(kd + 2 * W), k3 = S::load(kd + 3 * W);
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
          V x = S::splat(ar[r * lda + d]);
          acc[r][0] += x * k0;
          acc[r][1] += x * k1;
          acc[r][2] += x * k2;
          acc[r][3] += x * k3;
        }
      }
#pragma GCC unroll 8
      for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int v = 0; v < 4; v++) S::store(s + (r0 + r) * kKeyBlock + c0 + v * W, acc[r][v] * alpha);
    }
}

// out[r] = rowScale[r] * out[r] + sum_{m < count} A(r, m) x[m], for rows
// [0, rows) and width columns (a multiple of W), with A(r, m) = a[r * aRow +
// m * aStep]: P V, dS K, P^T dO and dS^T Q are all this. rowScale null means 1.
template <int W, int Vecs>
ATTENTION_INLINE void combineTile(int64_t count, const float* a, int64_t aRow, int64_t aStep, const float* x, int64_t ldx,
                                  float* out, int64_t ldo, const float* rowScale) {
  using S = Simd<W>;
  using V = typename S::V;
  constexpr int R = S::kRows;
  V acc[R][Vecs];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < Vecs; v++) {
      acc[r][v] = S::load(out + r * ldo + v * W);
      if (rowScale) acc[r][v] *= S::splat(rowScale[r]);
    }
  for (int64_t m = 0; m < count; m++) {
    V xv[Vecs];
#pragma GCC unroll 4
    for (int v = 0; v < Vecs; v++) xv[v] = S::load(x + m * ldx + v * W);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      V w = S::splat(a[r * aRow + m * aStep]);
#pragma GCC unroll 4
      for (int v = 0; v < Vecs; v++) acc[r][v] += w * xv[v];
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < Vecs; v++) S::store(out + r * ldo + v * W, acc[r][v]);
}

// combineTile over rows [0, rows); the tile of rows from r0 sums over
// m in range(r0) = [begin, end) only (the rest of A is zero there), and is
// skipped when that is empty and no rowScale applies.
template <int W, class Range>
ATTENTION_INLINE void combine(int64_t rows, int64_t width, const float* a, int64_t aRow, int64_t aStep,
                              const float* x, int64_t ldx, float* out, int64_t ldo, const float* rowScale, Range range) {
  constexpr int R = Simd<W>::kRows;
  for (int64_t r0 = 0; r0 < rows; r0 += R) {
    const auto [begin, end] = range(r0);
    if (begin >= end && !rowScale) continue;
    const int64_t count = std::max<int64_t>(0, end - begin);
    const float* ar = a + r0 * aRow + begin * aStep;
    const float* xr = x + begin * ldx;
    const float* scale = rowScale ? rowScale + r0 : nullptr;
    float* o = out + r0 * ldo;
    int64_t c = 0;
    for (; c + 4 * W <= width; c += 4 * W) combineTile<W, 4>(count, ar, aRow, aStep, xr + c, ldx, o + c, ldo, scale);
    for (; c < width; c += W) combineTile<W, 1>(count, ar, aRow, aStep, xr + c, ldx, o + c, ldo, scale);
  }
}

// dst[d][j] = src[j][d] for j < n keys (rows at stride ld), zero for n <= j < kKeyBlock.
template <int W>
ATTENTION_INLINE void transposeKeys(const float* src, int64_t ld, int64_t n, int64_t D, float* dst) {
  using S = Simd<W>;
  for (int64_t j0 = 0; j0 < kKeyBlock; j0 += W) {
    if (j0 + W <= n && D % W == 0) {
      for (int64_t d0 = 0; d0 < D; d0 += W) {
        typename S::V r[W];
        for (int i = 0; i < W; i++) r[i] = S::load(src + (j0 + i) * ld + d0);
        S::transpose(r);
        for (int i = 0; i < W; i++) S::store(dst + (d0 + i) * kKeyBlock + j0, r[i]);
      }
    } else {
      for (int64_t d = 0; d < D; d++)
        for (int64_t j = j0; j < j0 + W; j++) dst[d * kKeyBlock + j] = j < n ? src[j * ld + d] : 0.0f;
    }
  }
}

template <int W>
ATTENTION_INLINE float dot(const float* a, const float* b, int64_t n) {
  using S = Simd<W>;
  typename S::V acc{};
  int64_t i = 0;
  for (; i + W <= n; i += W) acc += S::load(a + i) * S::load(b + i);
  float total = S::sum(acc);
  for (; i < n; i++) total += a[i] * b[i];
  return total;
}

// Copies the first n floats of `rows` rows (source stride lds) to rows of
// stride ldd, zero from n up to width: packs rows, and writes packed rows back.
template <int W>
ATTENTION_INLINE void copyRows(const float* src, int64_t lds, int64_t rows, int64_t n, float* dst, int64_t ldd, int64_t width) {
  using S = Simd<W>;
  for (int64_t r = 0; r < rows; r++, src += lds, dst += ldd) {
    int64_t i = 0;
    for (; i + W <= n; i += W) S::store(dst + i, S::load(src + i));
    for (; i < n; i++) dst[i] = src[i];
    for (; i < width; i++) dst[i] = 0.0f;
  }
}

}  // namespace astarpo::attention
