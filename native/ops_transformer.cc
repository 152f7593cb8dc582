// The fused kernels of a Llama/Qwen decoder layer other than the matrix
// product and attention: RMSNorm, RoPE, SwiGLU, embedding, and the
// unary-function gradients. Each forward has its backward beside it.
#include <cmath>
#include <cstdint>
#include <cstring>
#include "pool.h"
#include "registry.h"
#include "simd.h"

using namespace astarpo;

namespace {

ASTARPO_VECTORIZE void rmsNormRow(const float* __restrict x, const float* __restrict w, float* __restrict out,
                                  float* rstd, int64_t cols, float eps) {
  float ss = 0;
  for (int64_t c = 0; c < cols; c++) ss += x[c] * x[c];
  float r = 1.0f / std::sqrt(ss / static_cast<float>(cols) + eps);
  if (rstd) *rstd = r;
  for (int64_t c = 0; c < cols; c++) out[c] = x[c] * r * w[c];
}

// dx = rstd * (w*g - x * rstd^2 * mean(x * w * g)); dw += g * x * rstd
ASTARPO_VECTORIZE void rmsNormBackwardRow(const float* __restrict x, const float* __restrict w, float rstd,
                                          const float* __restrict g, float* __restrict dx, float* __restrict dw,
                                          int64_t cols) {
  float dot = 0;
  for (int64_t c = 0; c < cols; c++) dot += x[c] * w[c] * g[c];
  float k = dot * rstd * rstd / static_cast<float>(cols);
  for (int64_t c = 0; c < cols; c++) dx[c] = rstd * (w[c] * g[c] - x[c] * k);
  if (dw) for (int64_t c = 0; c < cols; c++) dw[c] += g[c] * x[c] * rstd;
}

ASTARPO_VECTORIZE void ropeRow(const float* __restrict x, float* __restrict out, const float* __restrict cs,
                               const float* __restrict sn, int64_t heads, int64_t dim, float sign) {
  int64_t half = dim / 2;
  for (int64_t h = 0; h < heads; h++) {
    const float* xh = x + h * dim;
    float* oh = out + h * dim;
    for (int64_t i = 0; i < half; i++) {
      float x1 = xh[i], x2 = xh[i + half], c = cs[i], s = sign * sn[i];
      oh[i] = x1 * c - x2 * s;
      oh[i + half] = x2 * c + x1 * s;
    }
  }
}

ASTARPO_VECTORIZE void swigluRange(const float* __restrict g, const float* __restrict u, float* __restrict out,
                                   int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; i++) out[i] = g[i] / (1.0f + expApprox(-g[i])) * u[i];
}

ASTARPO_VECTORIZE void swigluBackwardRange(const float* __restrict g, const float* __restrict u,
                                           const float* __restrict d, float* __restrict dg, float* __restrict du,
                                           int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; i++) {
    float sig = 1.0f / (1.0f + expApprox(-g[i]));
    float silu = g[i] * sig;
    du[i] = d[i] * silu;
    dg[i] = d[i] * u[i] * sig * (1.0f + g[i] * (1.0f - sig));
  }
}

}  // namespace

// rmsNorm(x, w, out, rstd|0, rows, cols, eps)
ASTARPO_EXPORT(rmsNorm) {
  Args a(env, info);
  const float* x = a.ptr<float>(0);
  const float* w = a.ptr<float>(1);
  float* out = a.ptr<float>(2);
  float* rstd = a.ptr<float>(3);
  int64_t rows = a.i64(4), cols = a.i64(5);
  float eps = static_cast<float>(a.num(6));
  parallelFor(rows, std::max<int64_t>(1, kParallelElements / cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) rmsNormRow(x + r * cols, w, out + r * cols, rstd ? rstd + r : nullptr, cols, eps);
  });
  return nullptr;
}

// rmsNormBackward(x, w, rstd, g, dx, dw|0, rows, cols): dw is accumulated (+=)
ASTARPO_EXPORT(rmsNormBackward) {
  Args a(env, info);
  const float* x = a.ptr<float>(0);
  const float* w = a.ptr<float>(1);
  const float* rstd = a.ptr<float>(2);
  const float* g = a.ptr<float>(3);
  float* dx = a.ptr<float>(4);
  float* dw = a.ptr<float>(5);
  int64_t rows = a.i64(6), cols = a.i64(7);
  if (!dw) {
    parallelFor(rows, std::max<int64_t>(1, kParallelElements / cols), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) rmsNormBackwardRow(x + r * cols, w, rstd[r], g + r * cols, dx + r * cols, nullptr, cols);
    });
    return nullptr;
  }
  // Per-thread partial dw, summed at the end: rows race on the same dw entries.
  int tasks = std::min<int64_t>(threadCount(), std::max<int64_t>(1, rows * cols / kParallelElements));
  float* partial = tasks > 1 ? new float[static_cast<size_t>((tasks - 1) * cols)]() : nullptr;
  parallelTasks(tasks, [&](int t) {
    float* acc = t == 0 ? dw : partial + (t - 1) * cols;
    for (int64_t r = rows * t / tasks; r < rows * (t + 1) / tasks; r++)
      rmsNormBackwardRow(x + r * cols, w, rstd[r], g + r * cols, dx + r * cols, acc, cols);
  });
  for (int t = 1; t < tasks; t++)
    for (int64_t c = 0; c < cols; c++) dw[c] += partial[(t - 1) * cols + c];
  delete[] partial;
  return nullptr;
}

// ropeTables(positions: Int32Array(n), invFreq: Float32Array(half), scaling, cos, sin, n, half):
// cos/sin [n, half] = cos/sin(position * invFreq) * scaling, computed in double.
ASTARPO_EXPORT(ropeTables) {
  Args a(env, info);
  size_t pb, fb;
  const int32_t* pos = static_cast<const int32_t*>(a.typed(0, &pb));
  const float* inv = static_cast<const float*>(a.typed(1, &fb));
  double scaling = a.num(2);
  float* cs = a.ptr<float>(3);
  float* sn = a.ptr<float>(4);
  int64_t n = a.i64(5), half = a.i64(6);
  if (pb < static_cast<size_t>(n) * 4 || fb < static_cast<size_t>(half) * 4) { throwError(env, "ropeTables: arrays too short"); return nullptr; }
  for (int64_t r = 0; r < n; r++)
    for (int64_t i = 0; i < half; i++) {
      double angle = static_cast<double>(pos[r]) * static_cast<double>(inv[i]);
      cs[r * half + i] = static_cast<float>(std::cos(angle) * scaling);
      sn[r * half + i] = static_cast<float>(std::sin(angle) * scaling);
    }
  return nullptr;
}

// rope(x, out, cos, sin, rows, heads, dim, inverse): x [rows, heads, dim], tables [rows, dim/2];
// rotate-half convention; inverse rotates back (the backward pass).
ASTARPO_EXPORT(rope) {
  Args a(env, info);
  const float* x = a.ptr<float>(0);
  float* out = a.ptr<float>(1);
  const float* cs = a.ptr<float>(2);
  const float* sn = a.ptr<float>(3);
  int64_t rows = a.i64(4), heads = a.i64(5), dim = a.i64(6);
  float sign = a.num(7) != 0 ? -1.0f : 1.0f;
  int64_t half = dim / 2, width = heads * dim;
  parallelFor(rows, std::max<int64_t>(1, kParallelElements / width), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) ropeRow(x + r * width, out + r * width, cs + r * half, sn + r * half, heads, dim, sign);
  });
  return nullptr;
}

// swiglu(gate, up, out, n): silu(gate) * up
ASTARPO_EXPORT(swiglu) {
  Args a(env, info);
  const float* g = a.ptr<float>(0);
  const float* u = a.ptr<float>(1);
  float* out = a.ptr<float>(2);
  parallelFor(a.i64(3), kParallelElements / 4, [&](int64_t b, int64_t e) { swigluRange(g, u, out, b, e); });
  return nullptr;
}

// swigluBackward(gate, up, dout, dgate, dup, n)
ASTARPO_EXPORT(swigluBackward) {
  Args a(env, info);
  const float* g = a.ptr<float>(0);
  const float* u = a.ptr<float>(1);
  const float* d = a.ptr<float>(2);
  float* dg = a.ptr<float>(3);
  float* du = a.ptr<float>(4);
  parallelFor(a.i64(5), kParallelElements / 4, [&](int64_t b, int64_t e) { swigluBackwardRange(g, u, d, dg, du, b, e); });
  return nullptr;
}

// unaryBackward(kind, x, g, dx, n): dx = g * f'(x) for the kinds of `unary` that have one
ASTARPO_EXPORT(unaryBackward) {
  Args a(env, info);
  int kind = static_cast<int>(a.i64(0));
  const float* x = a.ptr<float>(1);
  const float* g = a.ptr<float>(2);
  float* dx = a.ptr<float>(3);
  int64_t n = a.i64(4);
  parallelFor(n, kParallelElements, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      float v = x[i], d;
      switch (kind) {
        case 0: d = -1; break;                                  // neg
        case 1: d = expApprox(v); break;                         // exp
        case 2: d = 1.0f / v; break;                            // log
        case 3: d = 2 * v; break;                               // square
        case 4: d = 0.5f / std::sqrt(v); break;                 // sqrt
        case 5: { float s = 1.0f / (1.0f + expApprox(-v)); d = s * (1 + v * (1 - s)); break; }  // silu
        case 6: d = v > 0 ? 1.0f : 0.0f; break;                 // relu
        case 7: { float t = std::tanh(v); d = 1 - t * t; break; } // tanh
        default: d = v > 0 ? 1.0f : v < 0 ? -1.0f : 0.0f;       // abs
      }
      dx[i] = g[i] * d;
    }
  });
  return nullptr;
}

ASTARPO_VECTORIZE void widenRow(const uint16_t* __restrict src, uint32_t* __restrict dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = uint32_t(src[i]) << 16;
}

// embedding(ids: addr of int32[n], table, out, n, dim, vocab[, bf16]) -> -1, or the position of the
// first id out of range. bf16 = 1: the table holds bfloat16 values, widened into the fp32 output.
ASTARPO_EXPORT(embedding) {
  Args a(env, info);
  const int32_t* ids = a.ptr<int32_t>(0);
  float* out = a.ptr<float>(2);
  int64_t n = a.i64(3), dim = a.i64(4), vocab = a.i64(5);
  const bool bf16 = a.count > 6 && a.num(6) != 0;
  const float* table = a.ptr<float>(1);
  const uint16_t* halfTable = a.ptr<uint16_t>(1);
  for (int64_t i = 0; i < n; i++)
    if (ids[i] < 0 || ids[i] >= vocab) return number(env, static_cast<double>(i));
  parallelFor(n, std::max<int64_t>(1, kParallelElements / dim), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      const int64_t row = static_cast<int64_t>(ids[i]) * dim;
      if (bf16) widenRow(halfTable + row, reinterpret_cast<uint32_t*>(out + i * dim), dim);
      else std::memcpy(out + i * dim, table + row, dim * sizeof(float));
    }
  });
  return number(env, -1);
}

// embeddingBackward(ids, g, dtable, n, dim): dtable[ids[i]] += g[i]; columns split across threads
ASTARPO_EXPORT(embeddingBackward) {
  Args a(env, info);
  const int32_t* ids = a.ptr<int32_t>(0);
  const float* g = a.ptr<float>(1);
  float* dt = a.ptr<float>(2);
  int64_t n = a.i64(3), dim = a.i64(4);
  parallelFor(dim, std::max<int64_t>(16, kParallelElements / std::max<int64_t>(1, n)), [&](int64_t c0, int64_t c1) {
    for (int64_t i = 0; i < n; i++) {
      float* row = dt + static_cast<int64_t>(ids[i]) * dim;
      const float* src = g + i * dim;
      for (int64_t c = c0; c < c1; c++) row[c] += src[c];
    }
  });
  return nullptr;
}

// gatherRows(src, indices: Int32Array(count), dst, count, rowBytes): dst[k] = src[indices[k]]
ASTARPO_EXPORT(gatherRows) {
  Args a(env, info);
  const char* src = a.ptr<char>(0);
  size_t ib;
  const int32_t* idx = static_cast<const int32_t*>(a.typed(1, &ib));
  char* dst = a.ptr<char>(2);
  int64_t count = a.i64(3), rowBytes = a.i64(4);
  for (int64_t k = 0; k < count; k++) std::memmove(dst + k * rowBytes, src + static_cast<int64_t>(idx[k]) * rowBytes, rowBytes);
  return nullptr;
}

// writeRows(dst, src, batch, srcRows, dstRows, rowBytes, offsets: Int32Array(batch)):
// for each b, dst[b, offsets[b] + t] = src[b, t] (appending new keys/values to a cache).
ASTARPO_EXPORT(writeRows) {
  Args a(env, info);
  char* dst = a.ptr<char>(0);
  const char* src = a.ptr<char>(1);
  int64_t batch = a.i64(2), srcRows = a.i64(3), dstRows = a.i64(4), rowBytes = a.i64(5);
  size_t ob;
  const int32_t* off = static_cast<const int32_t*>(a.typed(6, &ob));
  for (int64_t b = 0; b < batch; b++) {
    if (off[b] < 0 || off[b] + srcRows > dstRows) { throwError(env, "writeRows: rows past the end of the destination"); return nullptr; }
    std::memcpy(dst + (b * dstRows + off[b]) * rowBytes, src + b * srcRows * rowBytes, srcRows * rowBytes);
  }
  return nullptr;
}
