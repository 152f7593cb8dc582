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
// The kernels are written once over GCC vector types of W lanes
// (attention.h) and inlined into one entry per instruction set (AVX-512: 16
// lanes, AVX2: 8, portable: 4), picked at each call by astarpo::isa().
#include <algorithm>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>
#include "attention.h"
#include "pool.h"
#include "attention_geometry.h"
#include "isa.h"
#include "kernels.h"

namespace astarpo {

using namespace attention;

namespace {

constexpr int64_t kQueryRows = 64;  // (query, head) rows per score tile
constexpr int64_t kParallelChunk = 1 << 15;  // floats per thread, at least, when summing buffers
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

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

// The call's geometry and buffers, checked.
template <class Args>
Attention geometry(const Args& a) {
  checkAttentionGeometry(a);
  Attention p{};
  p.B = a.B; p.T = a.T; p.S = a.S; p.H = a.H; p.Hkv = a.Hkv; p.D = a.D;
  p.scale = a.scale;
  p.qPos = a.qPos.data;
  p.keyStart = a.keyStart.data;
  p.kvLen = a.kvLen.data;
  p.q = a.q;
  p.k = a.k;
  p.v = a.v;
  return p;
}

}  // namespace

// lse [B, H, T]: log-sum-exp of each query's scaled scores (-inf where it sees no key).
void kernels::attentionForward(const AttentionForwardArgs& a) {
  Attention p = geometry(a);
  p.out = a.out;
  p.lse = a.lse;
  // Enough query blocks per (row, kv head) for about kQueryRows rows each.
  const int64_t queriesPerTask = std::max<int64_t>(1, kQueryRows / p.group());
  const int64_t blocks = (p.T + queriesPerTask - 1) / queriesPerTask;
  auto task = isa() == Isa::Avx512 ? forwardAvx512 : isa() == Isa::Avx2 ? forwardAvx2 : forwardPortable;
  parallelTasks(static_cast<int>(p.B * p.Hkv * blocks), [&](int t) {
    // the last query blocks see the most keys: hand them out first
    const int64_t block = blocks - 1 - t % blocks, bh = t / blocks, i0 = block * queriesPerTask;
    task(p, bh / p.Hkv, bh % p.Hkv, i0, std::min(queriesPerTask, p.T - i0));
  });
}

// Overwrites dq, dk and dv; dk and dv sum over the query heads of each kv
// head, and key positions no query sees get 0.
void kernels::attentionBackward(const AttentionBackwardArgs& a) {
  Attention p = geometry(a);
  p.out = const_cast<float*>(a.out);
  p.lse = const_cast<float*>(a.lse);
  p.dout = a.dout;
  p.dq = a.dq;
  p.dk = a.dk;
  p.dv = a.dv;
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
}

}  // namespace astarpo
