// Causal grouped-query attention on the device, with the CPU kernel's
// geometry (attention_geometry.h): query i of row b sits at position
// qPos[b] + i and sees keys j with keyStart[b] <= j <= qPos[b] + i and
// j < kvLen[b]. One block per (row, query, head) walks the keys in tiles with
// a running maximum (flash-style), so memory stays linear in the sequence;
// the backward recomputes the probabilities from the saved log-sum-exp and
// adds into dk and dv atomically. A first, plain version: correct on every
// geometry the CPU takes, not yet tuned (no tensor cores, no shared K/V tiles
// across the queries of a group).
#include "../attention_geometry.h"
#include "runtime.cuh"

namespace astarpo {
namespace {

using namespace cuda;

constexpr int kAttentionThreads = 128;
constexpr int kMaxDimsPerThread = 4;  // head sizes up to 512
constexpr int kKeyTile = kAttentionThreads;

struct Geometry {
  int64_t B, T, S, H, Hkv, D;
  float scale;
  const int32_t *qPos, *keyStart, *kvLen;  // device copies, or null for the defaults
};

__device__ inline int64_t smaller(int64_t a, int64_t b) { return a < b ? a : b; }
__device__ inline int64_t larger(int64_t a, int64_t b) { return a > b ? a : b; }

struct KeyRange {
  int64_t first, limit;  // keys first..limit-1 are visible
};

__device__ inline KeyRange visibleKeys(const Geometry& g, int64_t b, int64_t i) {
  const int64_t len = g.kvLen ? g.kvLen[b] : g.S;
  const int64_t pos = g.qPos ? g.qPos[b] : len - g.T;
  return {larger(0, g.keyStart ? g.keyStart[b] : 0), smaller(len, pos + i + 1)};
}

__device__ inline float dotRow(const float* a, const float* b, int64_t D) {
  float s = 0;
  for (int64_t d = 0; d < D; d++) s += a[d] * b[d];
  return s;
}

// Block (b * T + i) * H + h: out and lse of one query row of one head.
__global__ void forwardKernel(Geometry g, const float* q, const float* k, const float* v, float* out, float* lse) {
  __shared__ float qs[kAttentionThreads * kMaxDimsPerThread];
  __shared__ float p[kKeyTile];
  const int64_t h = blockIdx.x % g.H, bi = blockIdx.x / g.H, i = bi % g.T, b = bi / g.T, kvh = h / (g.H / g.Hkv);
  const int64_t D = g.D, ldkv = g.Hkv * D;
  const float* qr = q + (bi * g.H + h) * D;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) qs[d] = qr[d];
  __syncthreads();
  const KeyRange keys = visibleKeys(g, b, i);
  float acc[kMaxDimsPerThread] = {};
  float runningMax = -INFINITY, runningSum = 0;
  for (int64_t j0 = keys.first; j0 < keys.limit; j0 += kKeyTile) {
    const int64_t j = j0 + threadIdx.x;
    const float score = j < keys.limit ? g.scale * dotRow(qs, k + (b * g.S + j) * ldkv + kvh * D, D) : -INFINITY;
    const float newMax = fmaxf(runningMax, blockMax(score));
    const float e = j < keys.limit ? __expf(score - newMax) : 0.0f;
    const float rescale = __expf(runningMax - newMax);
    runningSum = runningSum * rescale + blockSum(e);
    runningMax = newMax;
    p[threadIdx.x] = e;
    __syncthreads();
    const int64_t n = smaller(kKeyTile, keys.limit - j0);
    for (int c = 0; c < kMaxDimsPerThread; c++) {
      const int64_t d = threadIdx.x + c * int64_t(blockDim.x);
      if (d >= D) break;
      float s = acc[c] * rescale;
      for (int64_t jj = 0; jj < n; jj++) s += p[jj] * v[(b * g.S + j0 + jj) * ldkv + kvh * D + d];
      acc[c] = s;
    }
    __syncthreads();
  }
  const float inv = runningSum > 0 ? 1.0f / runningSum : 0.0f;
  float* o = out + (bi * g.H + h) * D;
  for (int c = 0; c < kMaxDimsPerThread; c++) {
    const int64_t d = threadIdx.x + c * int64_t(blockDim.x);
    if (d < D) o[d] = acc[c] * inv;
  }
  if (lse && threadIdx.x == 0) lse[(b * g.H + h) * g.T + i] = runningSum > 0 ? runningMax + logf(runningSum) : -INFINITY;
}

// dq_i = scale sum_j ds_j k_j, dk_j += scale ds_j q_i, dv_j += p_j dout_i, with p_j = exp(s_j - lse_i) and
// ds_j = p_j (dout_i . v_j - dout_i . out_i).
__global__ void backwardKernel(Geometry g, const float* q, const float* k, const float* v, const float* out, const float* lse,
                               const float* dout, float* dq, float* dk, float* dv) {
  __shared__ float qs[kAttentionThreads * kMaxDimsPerThread];
  __shared__ float dos[kAttentionThreads * kMaxDimsPerThread];
  __shared__ float ds[kKeyTile];
  const int64_t h = blockIdx.x % g.H, bi = blockIdx.x / g.H, i = bi % g.T, b = bi / g.T, kvh = h / (g.H / g.Hkv);
  const int64_t D = g.D, ldkv = g.Hkv * D, row = (bi * g.H + h) * D;
  const float l = lse[(b * g.H + h) * g.T + i];
  float delta = 0;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) {
    qs[d] = q[row + d];
    dos[d] = dout[row + d];
    delta += dout[row + d] * out[row + d];
  }
  delta = blockSum(delta);  // also the barrier after filling qs and dos
  const KeyRange keys = isinf(l) ? KeyRange{0, 0} : visibleKeys(g, b, i);
  float dqAcc[kMaxDimsPerThread] = {};
  for (int64_t j0 = keys.first; j0 < keys.limit; j0 += kKeyTile) {
    const int64_t j = j0 + threadIdx.x;
    if (j < keys.limit) {
      const int64_t kv = (b * g.S + j) * ldkv + kvh * D;
      const float pj = __expf(g.scale * dotRow(qs, k + kv, D) - l);
      const float dsj = pj * (dotRow(dos, v + kv, D) - delta);
      ds[threadIdx.x] = dsj;
      for (int64_t d = 0; d < D; d++) {
        atomicAdd(dk + kv + d, g.scale * dsj * qs[d]);
        atomicAdd(dv + kv + d, pj * dos[d]);
      }
    }
    __syncthreads();
    const int64_t n = smaller(kKeyTile, keys.limit - j0);
    for (int c = 0; c < kMaxDimsPerThread; c++) {
      const int64_t d = threadIdx.x + c * int64_t(blockDim.x);
      if (d >= D) break;
      float s = dqAcc[c];
      for (int64_t jj = 0; jj < n; jj++) s += ds[jj] * k[(b * g.S + j0 + jj) * ldkv + kvh * D + d];
      dqAcc[c] = s;
    }
    __syncthreads();
  }
  for (int c = 0; c < kMaxDimsPerThread; c++) {
    const int64_t d = threadIdx.x + c * int64_t(blockDim.x);
    if (d < D) dq[row + d] = g.scale * dqAcc[c];
  }
}

Staging<int32_t> g_qPos, g_keyStart, g_kvLen;

template <class Args>
Geometry geometry(const Args& a) {
  checkAttentionGeometry(a);
  if (a.D > kAttentionThreads * kMaxDimsPerThread)
    throw KernelError("head size D = " + std::to_string(a.D) + " is past the CUDA kernel's " + std::to_string(kAttentionThreads * kMaxDimsPerThread));
  const size_t rows = static_cast<size_t>(a.B);
  return Geometry{a.B, a.T, a.S, a.H, a.Hkv, a.D, a.scale,
                  a.qPos.data ? g_qPos.upload(a.qPos.data, rows) : nullptr,
                  a.keyStart.data ? g_keyStart.upload(a.keyStart.data, rows) : nullptr,
                  a.kvLen.data ? g_kvLen.upload(a.kvLen.data, rows) : nullptr};
}

}  // namespace

void kernels::attentionForward(const AttentionForwardArgs& a) {
  const Geometry g = geometry(a);
  forwardKernel<<<static_cast<unsigned>(a.B * a.T * a.H), kAttentionThreads>>>(g, a.q, a.k, a.v, a.out, a.lse);
  launched("attentionForward");
}

void kernels::attentionBackward(const AttentionBackwardArgs& a) {
  const Geometry g = geometry(a);
  const size_t kvBytes = static_cast<size_t>(a.B * a.S * a.Hkv * a.D) * sizeof(float);
  check(cudaMemsetAsync(a.dk, 0, kvBytes), "cudaMemset");
  check(cudaMemsetAsync(a.dv, 0, kvBytes), "cudaMemset");
  backwardKernel<<<static_cast<unsigned>(a.B * a.T * a.H), kAttentionThreads>>>(g, a.q, a.k, a.v, a.out, a.lse, a.dout, a.dq, a.dk, a.dv);
  launched("attentionBackward");
}

}  // namespace astarpo
