// Causal grouped-query attention over [B, T, H, D] queries and [B, S, Hkv, D]
// keys/values, where S is the capacity of a key/value buffer (a KV cache).
// Query i of row b sits at position qPos[b] + i and sees keys j with
// keyStart[b] <= j <= qPos[b] + i and j < kvLen[b]. Each (row, head) task
// computes its scores with the matrix product, so a task holds T x L scores
// (L = visible keys) and memory stays linear in the number of heads.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>
#include "gemm.h"
#include "pool.h"
#include "registry.h"
#include "simd.h"

using namespace astarpo;

namespace {

struct Geometry {
  int64_t B, T, S, H, Hkv, D;
  float scale;
  const int32_t* qPos;
  const int32_t* keyStart;
  const int32_t* kvLen;

  int64_t len(int64_t b) const { return kvLen ? kvLen[b] : S; }
  int64_t start(int64_t b) const { return keyStart ? keyStart[b] : 0; }
  int64_t pos(int64_t b) const { return qPos ? qPos[b] : len(b) - T; }
  // visible keys of row b: [first, end) with end over all its queries
  int64_t first(int64_t b) const { return std::max<int64_t>(0, start(b)); }
  int64_t end(int64_t b) const { return std::min<int64_t>(len(b), pos(b) + T); }
  // keys visible to query i, counted from first(b)
  int64_t visible(int64_t b, int64_t i) const { return std::min<int64_t>(len(b), pos(b) + i + 1) - first(b); }
};

Geometry readGeometry(const Args& a, size_t at) {
  Geometry g;
  g.B = a.i64(at); g.T = a.i64(at + 1); g.S = a.i64(at + 2); g.H = a.i64(at + 3); g.Hkv = a.i64(at + 4); g.D = a.i64(at + 5);
  g.scale = static_cast<float>(a.num(at + 6));
  size_t bytes;
  g.qPos = static_cast<const int32_t*>(a.typed(at + 7, &bytes));
  if (bytes < static_cast<size_t>(g.B) * 4) g.qPos = nullptr;
  g.keyStart = static_cast<const int32_t*>(a.typed(at + 8, &bytes));
  if (bytes < static_cast<size_t>(g.B) * 4) g.keyStart = nullptr;
  g.kvLen = static_cast<const int32_t*>(a.typed(at + 9, &bytes));
  if (bytes < static_cast<size_t>(g.B) * 4) g.kvLen = nullptr;
  return g;
}

const char* checkGeometry(const Geometry& g) {
  if (g.B <= 0 || g.T <= 0 || g.S <= 0 || g.H <= 0 || g.Hkv <= 0 || g.D <= 0) return "attention: sizes must be positive";
  if (g.H % g.Hkv != 0) return "attention: heads must be a multiple of kv heads";
  for (int64_t b = 0; b < g.B; b++) {
    if (g.len(b) > g.S || g.len(b) < 0) return "attention: kvLen past the key/value capacity";
    if (g.pos(b) < 0) return "attention: negative query position";
  }
  return nullptr;
}

thread_local std::vector<float> t_scores, t_grads;

float* scratch(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// Masked softmax of the scores in place; returns log-sum-exp per query.
ASTARPO_VECTORIZE void softmaxRow(float* __restrict s, int64_t visible, int64_t width, float* lse) {
  if (visible <= 0) {
    for (int64_t j = 0; j < width; j++) s[j] = 0;
    *lse = -std::numeric_limits<float>::infinity();
    return;
  }
  float m = s[0];
  for (int64_t j = 1; j < visible; j++) m = s[j] > m ? s[j] : m;
  float sum = 0;
  for (int64_t j = 0; j < visible; j++) { s[j] = std::exp(s[j] - m); sum += s[j]; }
  float inv = 1.0f / sum;
  for (int64_t j = 0; j < visible; j++) s[j] *= inv;
  for (int64_t j = visible; j < width; j++) s[j] = 0;
  *lse = m + std::log(sum);
}

}  // namespace

// attentionForward(q, k, v, out, lse|0, B, T, S, H, Hkv, D, scale, qPos|0, keyStart|0, kvLen|0)
ASTARPO_EXPORT(attentionForward) {
  Args a(env, info);
  const float* q = a.ptr<float>(0);
  const float* k = a.ptr<float>(1);
  const float* v = a.ptr<float>(2);
  float* out = a.ptr<float>(3);
  float* lse = a.ptr<float>(4);
  Geometry g = readGeometry(a, 5);
  if (const char* err = checkGeometry(g)) { throwError(env, err); return nullptr; }
  int64_t group = g.H / g.Hkv, qStride = g.H * g.D, kvStride = g.Hkv * g.D;
  parallelTasks(static_cast<int>(g.B * g.H), [&](int task) {
    int64_t b = task / g.H, h = task % g.H, kvh = h / group;
    const float* qb = q + b * g.T * qStride + h * g.D;
    float* ob = out + b * g.T * qStride + h * g.D;
    int64_t first = g.first(b), L = g.end(b) - first;
    float* lseRow = lse ? lse + (b * g.H + h) * g.T : nullptr;
    if (L <= 0) {
      for (int64_t i = 0; i < g.T; i++) {
        std::memset(ob + i * qStride, 0, g.D * sizeof(float));
        if (lseRow) lseRow[i] = -std::numeric_limits<float>::infinity();
      }
      return;
    }
    const float* kb = k + (b * g.S + first) * kvStride + kvh * g.D;
    const float* vb = v + (b * g.S + first) * kvStride + kvh * g.D;
    float* s = scratch(t_scores, static_cast<size_t>(g.T * L));
    gemm(g.T, L, g.D, qb, qStride, false, kb, kvStride, true, s, L, g.scale, 0.0f, nullptr);
    for (int64_t i = 0; i < g.T; i++) {
      float l;
      softmaxRow(s + i * L, std::min<int64_t>(g.visible(b, i), L), L, &l);
      if (lseRow) lseRow[i] = l;
    }
    gemm(g.T, g.D, L, s, L, false, vb, kvStride, false, ob, qStride, 1.0f, 0.0f, nullptr);
  });
  return nullptr;
}

// attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, B, T, S, H, Hkv, D, scale, qPos|0, keyStart|0, kvLen|0)
// Overwrites dq, dk and dv; key positions no query sees get 0.
ASTARPO_EXPORT(attentionBackward) {
  Args a(env, info);
  const float* q = a.ptr<float>(0);
  const float* k = a.ptr<float>(1);
  const float* v = a.ptr<float>(2);
  const float* out = a.ptr<float>(3);
  const float* lse = a.ptr<float>(4);
  const float* dout = a.ptr<float>(5);
  float* dq = a.ptr<float>(6);
  float* dk = a.ptr<float>(7);
  float* dv = a.ptr<float>(8);
  Geometry g = readGeometry(a, 9);
  if (const char* err = checkGeometry(g)) { throwError(env, err); return nullptr; }
  if (!lse) { throwError(env, "attentionBackward: the forward pass must save lse"); return nullptr; }
  int64_t group = g.H / g.Hkv, qStride = g.H * g.D, kvStride = g.Hkv * g.D;
  // One task per (row, kv head): the query heads sharing a kv head add into the same dk/dv.
  parallelTasks(static_cast<int>(g.B * g.Hkv), [&](int task) {
    int64_t b = task / g.Hkv, kvh = task % g.Hkv;
    for (int64_t j = 0; j < g.S; j++) {
      std::memset(dk + (b * g.S + j) * kvStride + kvh * g.D, 0, g.D * sizeof(float));
      std::memset(dv + (b * g.S + j) * kvStride + kvh * g.D, 0, g.D * sizeof(float));
    }
    int64_t first = g.first(b), L = g.end(b) - first;
    for (int64_t h = kvh * group; h < (kvh + 1) * group; h++) {
      const float* qb = q + b * g.T * qStride + h * g.D;
      const float* ob = out + b * g.T * qStride + h * g.D;
      const float* dob = dout + b * g.T * qStride + h * g.D;
      float* dqb = dq + b * g.T * qStride + h * g.D;
      if (L <= 0) {
        for (int64_t i = 0; i < g.T; i++) std::memset(dqb + i * qStride, 0, g.D * sizeof(float));
        continue;
      }
      const float* kb = k + (b * g.S + first) * kvStride + kvh * g.D;
      const float* vb = v + (b * g.S + first) * kvStride + kvh * g.D;
      float* dkb = dk + (b * g.S + first) * kvStride + kvh * g.D;
      float* dvb = dv + (b * g.S + first) * kvStride + kvh * g.D;
      const float* lseRow = lse + (b * g.H + h) * g.T;
      float* p = scratch(t_scores, static_cast<size_t>(g.T * L));
      float* dp = scratch(t_grads, static_cast<size_t>(g.T * L));
      gemm(g.T, L, g.D, qb, qStride, false, kb, kvStride, true, p, L, g.scale, 0.0f, nullptr);
      for (int64_t i = 0; i < g.T; i++) {
        int64_t vis = std::min<int64_t>(g.visible(b, i), L);
        float* row = p + i * L;
        for (int64_t j = 0; j < L; j++) row[j] = j < vis ? std::exp(row[j] - lseRow[i]) : 0.0f;
      }
      gemm(L, g.D, g.T, p, L, true, dob, qStride, false, dvb, kvStride, 1.0f, 1.0f, nullptr);
      gemm(g.T, L, g.D, dob, qStride, false, vb, kvStride, true, dp, L, 1.0f, 0.0f, nullptr);
      for (int64_t i = 0; i < g.T; i++) {
        float di = 0;
        for (int64_t d = 0; d < g.D; d++) di += dob[i * qStride + d] * ob[i * qStride + d];
        float* pr = p + i * L;
        float* dr = dp + i * L;
        for (int64_t j = 0; j < L; j++) dr[j] = pr[j] * (dr[j] - di);
      }
      gemm(g.T, g.D, L, dp, L, false, kb, kvStride, false, dqb, qStride, g.scale, 0.0f, nullptr);
      gemm(L, g.D, g.T, dp, L, true, qb, qStride, false, dkb, kvStride, g.scale, 1.0f, nullptr);
    }
  });
  return nullptr;
}
