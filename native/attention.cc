// Causal grouped-query attention over [B, T, H, D] queries and [B, S, Hkv, D]
// keys/values, where S is the capacity of a key/value buffer (a KV cache).
// Query i of row b sits at position qPos[b] + i and sees keys j with
// keyStart[b] <= j <= qPos[b] + i and j < kvLen[b].
//
// Both passes tile over blocks of kKeyBlock keys with a running maximum
// (flash-attention style), so a task holds the scores of one block of query
// rows against one block of keys and memory stays linear in the sequence.
// The query heads that share a kv head are the rows of one tile: keys and
// values are read once for the whole group (decoding streams the cache once).
// Scores are kept in base-2 units (scaled by log2 e) so exp is one exp2.
//
// The kernels are written once over GCC vector types of W lanes and inlined
// into one entry per instruction set (AVX-512: 16 lanes, AVX2: 8, portable:
// 4), picked at each call by astarpo::isa().
#include <algorithm>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>
#include "pool.h"
#include "registry.h"

// Wide vectors never cross a call boundary here: every helper is inlined into
// its instruction set's entry, so the ABI note about passing them is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

using namespace astarpo;

namespace {

#define ATTENTION_INLINE inline __attribute__((always_inline))

constexpr int64_t kKeyBlock = 64;   // keys per block; also the row stride of score tiles
constexpr int64_t kQueryRows = 64;  // (query, head) rows per score tile
constexpr int64_t kParallelChunk = 1 << 15;  // floats per thread, at least, when summing buffers
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

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
  // kRows divides kKeyBlock and kQueryRows.
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

// ---------------------------------------------------------------------------
// The problem and its per-row geometry.

struct Attention {
  int64_t B, T, S, H, Hkv, D;
  float scale;
  const int32_t* qPos;      // null: kvLen - T
  const int32_t* keyStart;  // null: 0
  const int32_t* kvLen;     // null: S
  const float *q, *k, *v, *dout;
  float* out;  // written by the forward pass, read by the backward
  float* lse;  // the forward pass may skip it (null)
  float *dq, *dk, *dv;

  int64_t group() const { return H / Hkv; }
  int64_t len(int64_t b) const { return kvLen ? kvLen[b] : S; }
  int64_t firstKey(int64_t b) const { return keyStart ? keyStart[b] : 0; }
  int64_t pos(int64_t b) const { return qPos ? qPos[b] : len(b) - T; }
  // one past the last key query i of row b sees
  int64_t keyLimit(int64_t b, int64_t i) const { return std::min(len(b), pos(b) + i + 1); }
  const float* qRow(int64_t b, int64_t i, int64_t h) const { return q + ((b * T + i) * H + h) * D; }
  int64_t kvOffset(int64_t b, int64_t j, int64_t kvh) const { return ((b * S + j) * Hkv + kvh) * D; }
};

// Per-thread scratch, grown on demand and reused across calls.
struct Scratch {
  std::vector<float> buffer;
  void take(const std::vector<int64_t>& sizes, std::vector<float*>& parts) {
    int64_t total = 0;
    for (int64_t n : sizes) total += roundUp(n, 16);
    if (static_cast<int64_t>(buffer.size()) < total) buffer.resize(total);
    float* p = buffer.data();
    parts.clear();
    for (int64_t n : sizes) { parts.push_back(p); p += roundUp(n, 16); }
  }
};
thread_local Scratch t_scratch;

// Keys of a block that some row of the tile from r0 sees: `limits` holds one
// past each row's last visible key, relative to the block (<= 0: none).
template <int R>
ATTENTION_INLINE int64_t tileKeys(const int64_t* limits, int64_t r0, int64_t n) {
  int64_t most = 0;
  for (int r = 0; r < R; r++) most = std::max(most, limits[r0 + r]);
  return std::min(most, n);
}

// ---------------------------------------------------------------------------
// Forward: one task = (row b, kv head, block of queries), all heads of the group.

template <int W>
ATTENTION_INLINE void forwardTask(const Attention& p, int64_t b, int64_t kvh, int64_t i0, int64_t queries) {
  using S = Simd<W>;
  using V = typename S::V;
  constexpr int R = S::kRows;
  const int64_t group = p.group(), D = p.D, Dp = roundUp(D, W), ldkv = p.Hkv * D;
  const int64_t rows = queries * group, rowsP = roundUp(rows, R);
  const int64_t first = std::max<int64_t>(0, p.firstKey(b)), end = p.keyLimit(b, i0 + queries - 1);
  const bool inPlace = D % W == 0;
  std::vector<float*> buf;
  t_scratch.take({rowsP * Dp, rowsP * Dp, rowsP * kKeyBlock, D * kKeyBlock, inPlace ? 0 : kKeyBlock * Dp, 3 * rowsP}, buf);
  float *qp = buf[0], *acc = buf[1], *s = buf[2], *kt = buf[3], *vp = buf[4];
  float *rowMax = buf[5], *rowSum = rowMax + rowsP, *rowScale = rowSum + rowsP;
  std::vector<int64_t> limits(rowsP, 0);
  for (int64_t r = 0; r < rows; r++) copyRows<W>(p.qRow(b, i0 + r / group, kvh * group + r % group), 0, 1, D, qp + r * Dp, 0, Dp);
  std::memset(qp + rows * Dp, 0, (rowsP - rows) * Dp * sizeof(float));
  std::memset(acc, 0, rowsP * Dp * sizeof(float));
  std::fill(rowMax, rowMax + rowsP, kMinusInf);
  std::fill(rowSum, rowSum + rowsP, 0.0f);
  for (int64_t j0 = first; j0 < end; j0 += kKeyBlock) {
    const int64_t n = std::min(kKeyBlock, end - j0);
    const float* kb = p.k + p.kvOffset(b, j0, kvh);
    const float* vb = p.v + p.kvOffset(b, j0, kvh);
    transposeKeys<W>(kb, ldkv, n, D, kt);
    if (!inPlace) copyRows<W>(vb, ldkv, n, D, vp, Dp, Dp);
    for (int64_t r = 0; r < rows; r++) limits[r] = p.keyLimit(b, i0 + r / group) - j0;
    auto keysOf = [&](int64_t r0) { return tileKeys<R>(limits.data(), r0, n); };
    scoreTiles<W>(rowsP, D, qp, Dp, kt, s, p.scale * kLog2e, keysOf);
    // Online softmax: P = 2^(s - running max); earlier sums and outputs shrink by rowScale.
    for (int64_t r = 0; r < rowsP; r++) {
      float* sr = s + r * kKeyBlock;
      const int64_t visible = std::clamp<int64_t>(limits[r], 0, n), columns = roundUp(keysOf(r / R * R), W);
      rowScale[r] = 1.0f;
      if (visible == 0) {
        std::memset(sr, 0, columns * sizeof(float));
        continue;
      }
      std::fill(sr + visible, sr + columns, kMinusInf);
      V most = S::load(sr);
      for (int64_t c = W; c < columns; c += W) {
        V x = S::load(sr + c);
        most = x > most ? x : most;
      }
      const float newMax = std::max(rowMax[r], S::max(most));
      const V shift = S::splat(newMax);
      V total{};
      for (int64_t c = 0; c < columns; c += W) {
        V e = S::exp2(S::load(sr + c) - shift);
        S::store(sr + c, e);
        total += e;
      }
      rowScale[r] = S::exp2(S::splat(rowMax[r] - newMax))[0];
      rowSum[r] = rowSum[r] * rowScale[r] + S::sum(total);
      rowMax[r] = newMax;
    }
    combine<W>(rowsP, Dp, s, kKeyBlock, 1, inPlace ? vb : vp, inPlace ? ldkv : Dp, acc, Dp, rowScale,
               [&](int64_t r0) { return std::pair<int64_t, int64_t>(0, keysOf(r0)); });
  }
  for (int64_t r = 0; r < rows; r++) {
    const int64_t i = i0 + r / group, h = kvh * group + r % group;
    float* o = p.out + ((b * p.T + i) * p.H + h) * D;
    const float inv = rowSum[r] > 0 ? 1.0f / rowSum[r] : 0.0f;
    for (int64_t d = 0; d < D; d++) o[d] = acc[r * Dp + d] * inv;
    if (p.lse) p.lse[(b * p.H + h) * p.T + i] = rowSum[r] > 0 ? (rowMax[r] + std::log2(rowSum[r])) * kLn2 : kMinusInf;
  }
}

// ---------------------------------------------------------------------------
// Backward: one task = (row b, kv head, part of its key blocks). It owns dk,
// dv of its keys and writes dq of the group's heads (all rows, zero where its
// keys contribute nothing) to its own buffer `dq`, so tasks never write the
// same memory. Per key block it walks the query rows that see the block,
// recomputing P from lse:
//   dV += P^T dO,  G = scale * P * (dO V^T - rowsum(dO * O)),  dK += G^T Q,  dQ += G K.

// The key blocks [from, to) of part `part` of `parts` of a row whose blocks
// start at `first`: contiguous runs of about equal work, each block weighing
// the queries that see its first key.
std::pair<int64_t, int64_t> partBlocks(const Attention& p, int64_t b, int64_t first, int64_t end, int part, int parts) {
  const int64_t blocks = end > first ? (end - first + kKeyBlock - 1) / kKeyBlock : 0, pos = p.pos(b);
  auto weight = [&](int64_t m) { return p.T - std::clamp<int64_t>(first + m * kKeyBlock - pos, 0, p.T); };
  int64_t total = 0;
  for (int64_t m = 0; m < blocks; m++) total += weight(m);
  int64_t from = blocks, to = blocks, before = 0;
  for (int64_t m = 0; m < blocks; m++) {
    const int64_t owner = total > 0 ? before * parts / total : 0;
    if (owner == part && from == blocks) from = m;
    if (owner > part) { to = m; break; }
    before += weight(m);
  }
  return {std::min(from, to), to};
}

template <int W>
ATTENTION_INLINE void backwardTask(const Attention& p, int64_t b, int64_t kvh, int part, int parts, float* dq) {
  using S = Simd<W>;
  using V = typename S::V;
  constexpr int R = S::kRows;
  const int64_t group = p.group(), D = p.D, Dp = roundUp(D, W), T = p.T;
  const int64_t rows = T * group, rowsP = roundUp(rows, R), ldkv = p.Hkv * D, ldq = p.H * D;
  const int64_t first = std::max<int64_t>(0, p.firstKey(b)), end = p.keyLimit(b, T - 1), pos = p.pos(b);
  const bool inPlace = D % W == 0;
  std::vector<float*> buf;
  t_scratch.take({rowsP * Dp, rowsP * Dp, rowsP * Dp, 2 * rowsP, 2 * kQueryRows * kKeyBlock, 2 * D * kKeyBlock,
                  inPlace ? 0 : kKeyBlock * Dp, 2 * kKeyBlock * Dp}, buf);
  float *qp = buf[0], *dop = buf[1], *dqAcc = buf[2], *lse2 = buf[3], *delta = lse2 + rowsP;
  float *prob = buf[4], *grad = prob + kQueryRows * kKeyBlock, *kt = buf[5], *vt = kt + D * kKeyBlock;
  float *kp = buf[6], *dkAcc = buf[7], *dvAcc = dkAcc + kKeyBlock * Dp;
  std::vector<int64_t> limits(kQueryRows, 0);

  for (int64_t r = 0; r < rows; r++) {
    const int64_t i = r / group, h = kvh * group + r % group, at = (b * T + i) * ldq + h * D;
    copyRows<W>(p.q + at, 0, 1, D, qp + r * Dp, 0, Dp);
    copyRows<W>(p.dout + at, 0, 1, D, dop + r * Dp, 0, Dp);
    delta[r] = dot<W>(p.dout + at, p.out + at, D);
    lse2[r] = p.lse[(b * p.H + h) * T + i] * kLog2e;
  }
  std::memset(qp + rows * Dp, 0, (rowsP - rows) * Dp * sizeof(float));
  std::memset(dop + rows * Dp, 0, (rowsP - rows) * Dp * sizeof(float));
  std::memset(dqAcc, 0, rowsP * Dp * sizeof(float));
  // keys no query sees get zero gradients; the key blocks below write all others
  auto zeroKeys = [&](int64_t from, int64_t to) {
    for (int64_t j = from; j < to; j++) {
      std::memset(p.dk + p.kvOffset(b, j, kvh), 0, D * sizeof(float));
      std::memset(p.dv + p.kvOffset(b, j, kvh), 0, D * sizeof(float));
    }
  };
  if (part == 0) {
    zeroKeys(0, std::min(first, p.S));
    zeroKeys(std::max(first, end), p.S);
  }
  const auto [fromBlock, toBlock] = partBlocks(p, b, first, end, part, parts);

  const float scale2 = p.scale * kLog2e;
  for (int64_t j0 = first + fromBlock * kKeyBlock; j0 < first + toBlock * kKeyBlock; j0 += kKeyBlock) {
    const int64_t n = std::min(kKeyBlock, end - j0);
    const float* kb = p.k + p.kvOffset(b, j0, kvh);
    transposeKeys<W>(kb, ldkv, n, D, kt);
    transposeKeys<W>(p.v + p.kvOffset(b, j0, kvh), ldkv, n, D, vt);
    if (!inPlace) copyRows<W>(kb, ldkv, n, D, kp, Dp, Dp);
    std::memset(dkAcc, 0, 2 * kKeyBlock * Dp * sizeof(float));
    // rows before the first query that sees key j0 see nothing of this block
    const int64_t firstRow = std::max<int64_t>(0, j0 - pos) * group / R * R;
    for (int64_t r0 = firstRow; r0 < rowsP; r0 += kQueryRows) {
      const int64_t chunk = std::min(kQueryRows, rowsP - r0), real = std::min(chunk, rows - r0);
      for (int64_t r = 0; r < chunk; r++) limits[r] = r < real ? p.keyLimit(b, (r0 + r) / group) - j0 : 0;
      auto keysOf = [&](int64_t t0) { return tileKeys<R>(limits.data(), t0, n); };
      scoreTiles<W>(chunk, D, qp + r0 * Dp, Dp, kt, prob, scale2, keysOf);
      scoreTiles<W>(chunk, D, dop + r0 * Dp, Dp, vt, grad, 1.0f, keysOf);
      for (int64_t r = 0; r < chunk; r++) {
        float *pr = prob + r * kKeyBlock, *gr = grad + r * kKeyBlock;
        const int64_t visible = std::clamp<int64_t>(limits[r], 0, n), columns = roundUp(keysOf(r / R * R), W);
        if (visible == 0) {  // also rows without any visible key, whose lse is -inf
          std::memset(pr, 0, columns * sizeof(float));
          std::memset(gr, 0, columns * sizeof(float));
          continue;
        }
        const V shift = S::splat(lse2[r0 + r]), mean = S::splat(delta[r0 + r]), scale = S::splat(p.scale);
        for (int64_t c = 0; c < columns; c += W) {
          V pv = S::exp2(S::keepBelow(S::load(pr + c), visible - c, kMinusInf) - shift);
          S::store(pr + c, pv);
          S::store(gr + c, pv * (S::load(gr + c) - mean) * scale);
        }
      }
      // key tile j sums over the rows that see its first key (rows see keys up to their position)
      auto rowsSeeing = [&](int64_t j) {
        if (j >= n) return std::pair<int64_t, int64_t>(0, 0);
        return std::pair<int64_t, int64_t>(std::clamp<int64_t>((j0 + j - pos) * group - r0, 0, real), real);
      };
      combine<W>(kKeyBlock, Dp, prob, 1, kKeyBlock, dop + r0 * Dp, Dp, dvAcc, Dp, nullptr, rowsSeeing);
      combine<W>(kKeyBlock, Dp, grad, 1, kKeyBlock, qp + r0 * Dp, Dp, dkAcc, Dp, nullptr, rowsSeeing);
      combine<W>(chunk, Dp, grad, kKeyBlock, 1, inPlace ? kb : kp, inPlace ? ldkv : Dp, dqAcc + r0 * Dp, Dp, nullptr,
                 [&](int64_t t0) { return std::pair<int64_t, int64_t>(0, keysOf(t0)); });
    }
    copyRows<W>(dkAcc, Dp, n, D, p.dk + p.kvOffset(b, j0, kvh), ldkv, D);
    copyRows<W>(dvAcc, Dp, n, D, p.dv + p.kvOffset(b, j0, kvh), ldkv, D);
  }
  for (int64_t r = 0; r < rows; r++) {
    const int64_t i = r / group, h = kvh * group + r % group;
    copyRows<W>(dqAcc + r * Dp, 0, 1, D, dq + (b * T + i) * ldq + h * D, 0, D);
  }
}

// One entry per instruction set: the templates above are inlined into each,
// so each compiles with that set's registers and instructions.
#define ATTENTION_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma")))
#define ATTENTION_AVX2 __attribute__((target("avx2,fma")))

ATTENTION_AVX512 void forwardAvx512(const Attention& p, int64_t b, int64_t kvh, int64_t i0, int64_t n) { forwardTask<16>(p, b, kvh, i0, n); }
ATTENTION_AVX2 void forwardAvx2(const Attention& p, int64_t b, int64_t kvh, int64_t i0, int64_t n) { forwardTask<8>(p, b, kvh, i0, n); }
void forwardPortable(const Attention& p, int64_t b, int64_t kvh, int64_t i0, int64_t n) { forwardTask<4>(p, b, kvh, i0, n); }
ATTENTION_AVX512 void backwardAvx512(const Attention& p, int64_t b, int64_t kvh, int part, int parts, float* dq) {
  backwardTask<16>(p, b, kvh, part, parts, dq);
}
ATTENTION_AVX2 void backwardAvx2(const Attention& p, int64_t b, int64_t kvh, int part, int parts, float* dq) {
  backwardTask<8>(p, b, kvh, part, parts, dq);
}
void backwardPortable(const Attention& p, int64_t b, int64_t kvh, int part, int parts, float* dq) {
  backwardTask<4>(p, b, kvh, part, parts, dq);
}

// ---------------------------------------------------------------------------
// Arguments.

// A per-row Int32Array of at least B entries, or the number 0 for the default (null).
bool readRows(napi_env env, const Args& a, size_t at, const char* fn, const char* name, int64_t B, const int32_t** out) {
  *out = nullptr;
  if (at >= a.count) return true;
  napi_valuetype type;
  napi_typeof(env, a.raw[at], &type);
  if (type == napi_number && a.num(at) == 0) return true;
  bool typed = false;
  napi_is_typedarray(env, a.raw[at], &typed);
  napi_typedarray_type kind = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  if (typed) napi_get_typedarray_info(env, a.raw[at], &kind, &length, &data, nullptr, nullptr);
  if (!typed || kind != napi_int32_array || static_cast<int64_t>(length) < B) {
    std::string msg = std::string(fn) + ": " + name + " must be an Int32Array of B = " + std::to_string(B) + " entries, or 0";
    throwError(env, msg.c_str());
    return false;
  }
  *out = static_cast<const int32_t*>(data);
  return true;
}

// Reads B, T, S, H, Hkv, D, scale, qPos, keyStart, kvLen from argument `at` on; false after throwing.
bool readGeometry(napi_env env, const Args& a, size_t at, const char* fn, Attention& p) {
  const char* names[] = {"B", "T", "S", "H", "Hkv", "D"};
  int64_t* sizes[] = {&p.B, &p.T, &p.S, &p.H, &p.Hkv, &p.D};
  for (int n = 0; n < 6; n++) {
    double x = a.num(at + n);
    if (!(x >= 1 && x <= (1 << 30) && x == std::floor(x))) {
      std::string msg = std::string(fn) + ": " + names[n] + " must be a positive integer, got " + std::to_string(x);
      throwError(env, msg.c_str());
      return false;
    }
    *sizes[n] = static_cast<int64_t>(x);
  }
  if (p.H % p.Hkv != 0) {
    std::string msg = std::string(fn) + ": H = " + std::to_string(p.H) + " is not a multiple of Hkv = " + std::to_string(p.Hkv);
    throwError(env, msg.c_str());
    return false;
  }
  p.scale = static_cast<float>(a.num(at + 6));
  if (!readRows(env, a, at + 7, fn, "qPos", p.B, &p.qPos) || !readRows(env, a, at + 8, fn, "keyStart", p.B, &p.keyStart) ||
      !readRows(env, a, at + 9, fn, "kvLen", p.B, &p.kvLen))
    return false;
  for (int64_t b = 0; b < p.B; b++) {
    if (p.kvLen && (p.kvLen[b] < 0 || p.kvLen[b] > p.S)) {
      std::string msg = std::string(fn) + ": kvLen[" + std::to_string(b) + "] = " + std::to_string(p.kvLen[b]) +
                        " is outside 0..S = " + std::to_string(p.S);
      throwError(env, msg.c_str());
      return false;
    }
  }
  return true;
}

bool nonNull(napi_env env, const char* fn, std::initializer_list<std::pair<const char*, const void*>> pointers) {
  for (auto& [name, ptr] : pointers) {
    if (ptr) continue;
    std::string msg = std::string(fn) + ": " + name + " is a null address";
    throwError(env, msg.c_str());
    return false;
  }
  return true;
}

}  // namespace

// attentionForward(q, k, v, out, lse|0, B, T, S, H, Hkv, D, scale, qPos|0, keyStart|0, kvLen|0)
// lse [B, H, T]: log-sum-exp of each query's scaled scores (-inf where it sees no key).
ASTARPO_EXPORT(attentionForward) {
  Args a(env, info);
  Attention p{};
  p.q = a.ptr<float>(0);
  p.k = a.ptr<float>(1);
  p.v = a.ptr<float>(2);
  p.out = a.ptr<float>(3);
  p.lse = a.ptr<float>(4);
  if (!nonNull(env, "attentionForward", {{"q", p.q}, {"k", p.k}, {"v", p.v}, {"out", p.out}})) return nullptr;
  if (!readGeometry(env, a, 5, "attentionForward", p)) return nullptr;
  // Enough query blocks per (row, kv head) for about kQueryRows rows each.
  const int64_t queriesPerTask = std::max<int64_t>(1, kQueryRows / p.group());
  const int64_t blocks = (p.T + queriesPerTask - 1) / queriesPerTask;
  auto task = isa() == Isa::Avx512 ? forwardAvx512 : isa() == Isa::Avx2 ? forwardAvx2 : forwardPortable;
  parallelTasks(static_cast<int>(p.B * p.Hkv * blocks), [&](int t) {
    // the last query blocks see the most keys: hand them out first
    const int64_t block = blocks - 1 - t % blocks, bh = t / blocks, i0 = block * queriesPerTask;
    task(p, bh / p.Hkv, bh % p.Hkv, i0, std::min(queriesPerTask, p.T - i0));
  });
  return nullptr;
}

// attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, B, T, S, H, Hkv, D, scale, qPos|0, keyStart|0, kvLen|0)
// Overwrites dq, dk and dv; dk and dv sum over the query heads of each kv
// head, and key positions no query sees get 0.
ASTARPO_EXPORT(attentionBackward) {
  Args a(env, info);
  Attention p{};
  p.q = a.ptr<float>(0);
  p.k = a.ptr<float>(1);
  p.v = a.ptr<float>(2);
  p.out = a.ptr<float>(3);
  p.lse = a.ptr<float>(4);
  p.dout = a.ptr<float>(5);
  p.dq = a.ptr<float>(6);
  p.dk = a.ptr<float>(7);
  p.dv = a.ptr<float>(8);
  if (!nonNull(env, "attentionBackward", {{"q", p.q}, {"k", p.k}, {"v", p.v}, {"out", p.out}, {"lse (saved by the forward pass)", p.lse},
                                          {"dout", p.dout}, {"dq", p.dq}, {"dk", p.dk}, {"dv", p.dv}}))
    return nullptr;
  if (!readGeometry(env, a, 9, "attentionBackward", p)) return nullptr;
  auto task = isa() == Isa::Avx512 ? backwardAvx512 : isa() == Isa::Avx2 ? backwardAvx2 : backwardPortable;
  // Fewer (row, kv head) pairs than threads: split their key blocks into
  // parts, each with its own dq buffer (dq itself for part 0), summed after.
  const int64_t pairs = p.B * p.Hkv, qSize = p.B * p.T * p.H * p.D;
  const int parts = static_cast<int>(std::clamp<int64_t>((threadCount() + pairs - 1) / pairs, 1, (p.S + kKeyBlock - 1) / kKeyBlock));
  std::vector<float> partial(static_cast<size_t>((parts - 1) * qSize));
  parallelTasks(static_cast<int>(pairs * parts), [&](int t) {
    const int part = t % parts;
    const int64_t pair = t / parts;
    task(p, pair / p.Hkv, pair % p.Hkv, part, parts, part == 0 ? p.dq : partial.data() + (part - 1) * qSize);
  });
  if (parts > 1)
    parallelFor(qSize, kParallelChunk, [&](int64_t from, int64_t to) {
      for (int k = 0; k < parts - 1; k++) {
        const float* add = partial.data() + k * qSize;
        for (int64_t i = from; i < to; i++) p.dq[i] += add[i];
      }
    });
  return nullptr;
}
