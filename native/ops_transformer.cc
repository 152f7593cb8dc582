// The fused kernels of a Llama/Qwen decoder layer other than the matrix
// product and attention: RMSNorm, RoPE, SwiGLU, embedding, and the
// unary-function gradients. Each forward has its backward beside it.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>
#include "pool.h"
#include "rope_tables.h"
#include "kernels.h"
#include "simd.h"

namespace astarpo {

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

void kernels::rmsNorm(const RmsNormArgs& a) {
  const int64_t cols = a.cols;
  parallelFor(a.rows, std::max<int64_t>(1, kParallelElements / cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) rmsNormRow(a.x + r * cols, a.w, a.out + r * cols, a.rstd ? a.rstd + r : nullptr, cols, a.eps);
  });
}

void kernels::rmsNormBackward(const RmsNormBackwardArgs& a) {
  const float *x = a.x, *w = a.w, *rstd = a.rstd, *g = a.g;
  float *dx = a.dx, *dw = a.dw;
  const int64_t rows = a.rows, cols = a.cols;
  if (!dw) {
    parallelFor(rows, std::max<int64_t>(1, kParallelElements / cols), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) rmsNormBackwardRow(x + r * cols, w, rstd[r], g + r * cols, dx + r * cols, nullptr, cols);
    });
    return;
  }
  // Per-thread partial dw, summed at the end: rows race on the same dw entries.
  int tasks = std::min<int64_t>(threadCount(), std::max<int64_t>(1, rows * cols / kParallelElements));
  std::vector<float> partial(static_cast<size_t>((tasks - 1) * cols));
  parallelTasks(tasks, [&](int t) {
    float* acc = t == 0 ? dw : partial.data() + (t - 1) * cols;
    for (int64_t r = rows * t / tasks; r < rows * (t + 1) / tasks; r++)
      rmsNormBackwardRow(x + r * cols, w, rstd[r], g + r * cols, dx + r * cols, acc, cols);
  });
  for (int t = 1; t < tasks; t++)
    for (int64_t c = 0; c < cols; c++) dw[c] += partial[(t - 1) * cols + c];
}

void kernels::ropeTables(const RopeTablesArgs& a) {
  fillRopeTables(a, a.cos, a.sin);
}

void kernels::rope(const RopeArgs& a) {
  const float sign = a.inverse ? -1.0f : 1.0f;
  const int64_t half = a.dim / 2, width = a.heads * a.dim;
  parallelFor(a.rows, std::max<int64_t>(1, kParallelElements / std::max<int64_t>(1, width)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) ropeRow(a.x + r * width, a.out + r * width, a.cos + r * half, a.sin + r * half, a.heads, a.dim, sign);
  });
}

void kernels::swiglu(const SwigluArgs& a) {
  parallelFor(a.n, kParallelElements / 4, [&](int64_t b, int64_t e) { swigluRange(a.gate, a.up, a.out, b, e); });
}

void kernels::swigluBackward(const SwigluBackwardArgs& a) {
  parallelFor(a.n, kParallelElements / 4, [&](int64_t b, int64_t e) { swigluBackwardRange(a.gate, a.up, a.dout, a.dgate, a.dup, b, e); });
}

// dx = g * f'(x) for the kinds of `unary`
void kernels::unaryBackward(const UnaryBackwardArgs& a) {
  parallelFor(a.n, kParallelElements, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      float v = a.x[i], d;
      switch (a.op) {
        case UnaryOp::Neg: d = -1; break;
        case UnaryOp::Exp: d = expApprox(v); break;
        case UnaryOp::Log: d = 1.0f / v; break;
        case UnaryOp::Square: d = 2 * v; break;
        case UnaryOp::Sqrt: d = 0.5f / std::sqrt(v); break;
        case UnaryOp::Silu: { float s = 1.0f / (1.0f + expApprox(-v)); d = s * (1 + v * (1 - s)); break; }
        case UnaryOp::Relu: d = v > 0 ? 1.0f : 0.0f; break;
        case UnaryOp::Tanh: { float t = std::tanh(v); d = 1 - t * t; break; }
        default: d = v > 0 ? 1.0f : v < 0 ? -1.0f : 0.0f;  // abs
      }
      a.dx[i] = a.g[i] * d;
    }
  });
}

ASTARPO_VECTORIZE void widenRow(const uint16_t* __restrict src, uint32_t* __restrict dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = uint32_t(src[i]) << 16;
}

int64_t kernels::embedding(const EmbeddingArgs& a) {
  const int32_t* ids = a.ids;
  const int64_t n = a.n, dim = a.dim;
  for (int64_t i = 0; i < n; i++)
    if (ids[i] < 0 || ids[i] >= a.vocab) return i;
  const bool bf16 = a.tableType == ElementType::Bf16;
  const float* table = static_cast<const float*>(a.table);
  const uint16_t* halfTable = static_cast<const uint16_t*>(a.table);
  parallelFor(n, std::max<int64_t>(1, kParallelElements / std::max<int64_t>(1, dim)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      const int64_t row = static_cast<int64_t>(ids[i]) * dim;
      if (bf16) widenRow(halfTable + row, reinterpret_cast<uint32_t*>(a.out + i * dim), dim);
      else std::memcpy(a.out + i * dim, table + row, dim * sizeof(float));
    }
  });
  return -1;
}

// Columns split across threads: rows of one id never race.
void kernels::embeddingBackward(const EmbeddingBackwardArgs& a) {
  const int64_t n = a.n, dim = a.dim;
  parallelFor(dim, std::max<int64_t>(16, kParallelElements / std::max<int64_t>(1, n)), [&](int64_t c0, int64_t c1) {
    for (int64_t i = 0; i < n; i++) {
      float* row = a.dtable + static_cast<int64_t>(a.ids[i]) * dim;
      const float* src = a.g + i * dim;
      for (int64_t c = c0; c < c1; c++) row[c] += src[c];
    }
  });
}

void kernels::gatherRows(const GatherRowsArgs& a) {
  for (int64_t k = 0; k < a.count; k++)
    std::memmove(a.dst + k * a.rowBytes, a.src + static_cast<int64_t>(a.indices.data[k]) * a.rowBytes, a.rowBytes);
}

void kernels::writeRows(const WriteRowsArgs& a) {
  for (int64_t b = 0; b < a.batch; b++) {
    const int64_t off = a.offsets.data[b];
    if (off < 0 || off + a.srcRows > a.dstRows) throw KernelError("rows past the end of the destination");
    std::memcpy(a.dst + (b * a.dstRows + off) * a.rowBytes, a.src + b * a.srcRows * a.rowBytes, a.srcRows * a.rowBytes);
  }
}

}  // namespace astarpo
