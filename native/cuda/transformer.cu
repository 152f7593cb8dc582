// The decoder's fused kernels other than products, attention and the loss:
// RMSNorm, RoPE, embedding and the row copies of the KV cache. A row of
// RMSNorm is one block; RoPE's tables are made on the host in double, as on
// the CPU, so both devices rotate by the same angles.
#include <cmath>
#include <vector>
#include "../rope_tables.h"
#include "runtime.cuh"

namespace astarpo {
namespace {

using namespace cuda;

__global__ void rmsNormKernel(const float* x, const float* w, float* out, float* rstd, int64_t cols, float eps) {
  const float* xr = x + blockIdx.x * cols;
  float* yr = out + blockIdx.x * cols;
  float ss = 0;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) ss += xr[c] * xr[c];
  const float r = rsqrtf(blockSum(ss) / static_cast<float>(cols) + eps);
  if (rstd && threadIdx.x == 0) rstd[blockIdx.x] = r;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = xr[c] * r * w[c];
}

// dx = rstd * (w*g - x * rstd^2 * mean(x * w * g))
__global__ void rmsNormDxKernel(const float* x, const float* w, const float* rstd, const float* g, float* dx, int64_t cols) {
  const int64_t offset = blockIdx.x * cols;
  const float r = rstd[blockIdx.x];
  float dot = 0;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) dot += x[offset + c] * w[c] * g[offset + c];
  const float k = blockSum(dot) * r * r / static_cast<float>(cols);
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) dx[offset + c] = r * (w[c] * g[offset + c] - x[offset + c] * k);
}

// dw[c] += sum over rows of g * x * rstd: one thread per column, so no two threads write one entry.
__global__ void rmsNormDwKernel(const float* x, const float* rstd, const float* g, float* dw, int64_t rows, int64_t cols) {
  ASTARPO_GRID_LOOP(c, cols) {
    float s = 0;
    for (int64_t r = 0; r < rows; r++) s += g[r * cols + c] * x[r * cols + c] * rstd[r];
    dw[c] += s;
  }
}

__global__ void ropeKernel(const float* x, float* out, const float* cs, const float* sn, int64_t rows, int64_t heads, int64_t dim,
                           float sign) {
  const int64_t half = dim / 2;
  ASTARPO_GRID_LOOP(t, rows * heads * half) {
    const int64_t i = t % half, rh = t / half, r = rh / heads;
    const float* xh = x + rh * dim;
    float* oh = out + rh * dim;
    const float x1 = xh[i], x2 = xh[i + half], c = cs[r * half + i], s = sign * sn[r * half + i];
    oh[i] = x1 * c - x2 * s;
    oh[i + half] = x2 * c + x1 * s;
  }
}

__global__ void embeddingKernel(const int32_t* ids, const void* table, bool bf16, float* out, int64_t n, int64_t dim) {
  ASTARPO_GRID_LOOP(t, n * dim) {
    const int64_t row = ids[t / dim], c = t % dim;
    out[t] = bf16 ? bf16ToFloat(static_cast<const uint16_t*>(table)[row * dim + c]) : static_cast<const float*>(table)[row * dim + c];
  }
}

__global__ void embeddingBackwardKernel(const int32_t* ids, const float* g, float* dtable, int64_t n, int64_t dim) {
  ASTARPO_GRID_LOOP(t, n * dim) atomicAdd(dtable + static_cast<int64_t>(ids[t / dim]) * dim + t % dim, g[t]);
}

__global__ void gatherRowsKernel(const char* src, const int32_t* indices, char* dst, int64_t count, int64_t rowBytes) {
  ASTARPO_GRID_LOOP(t, count * rowBytes) dst[t] = src[static_cast<int64_t>(indices[t / rowBytes]) * rowBytes + t % rowBytes];
}

__global__ void gatherWordsKernel(const uint32_t* src, const int32_t* indices, uint32_t* dst, int64_t count, int64_t rowWords) {
  ASTARPO_GRID_LOOP(t, count * rowWords) dst[t] = src[static_cast<int64_t>(indices[t / rowWords]) * rowWords + t % rowWords];
}

Staging<int32_t> g_indices;

}  // namespace

void kernels::rmsNorm(const RmsNormArgs& a) {
  if (a.rows > 0) rmsNormKernel<<<static_cast<unsigned>(a.rows), kThreads>>>(a.x, a.w, a.out, a.rstd, a.cols, a.eps);
  launched("rmsNorm");
}

void kernels::rmsNormBackward(const RmsNormBackwardArgs& a) {
  if (a.rows == 0) return;
  rmsNormDxKernel<<<static_cast<unsigned>(a.rows), kThreads>>>(a.x, a.w, a.rstd, a.g, a.dx, a.cols);
  if (a.dw) rmsNormDwKernel<<<gridFor(a.cols), kThreads>>>(a.x, a.rstd, a.g, a.dw, a.rows, a.cols);
  launched("rmsNormBackward");
}

void kernels::ropeTables(const RopeTablesArgs& a) {
  const int64_t n = a.n, half = a.half;
  std::vector<float> tables(static_cast<size_t>(2 * n * half));
  fillRopeTables(a, tables.data(), tables.data() + n * half);
  const size_t bytes = static_cast<size_t>(n * half) * sizeof(float);
  check(cudaMemcpy(a.cos, tables.data(), bytes, cudaMemcpyHostToDevice), "copy to the device");
  check(cudaMemcpy(a.sin, tables.data() + n * half, bytes, cudaMemcpyHostToDevice), "copy to the device");
}

void kernels::rope(const RopeArgs& a) {
  const int64_t total = a.rows * a.heads * (a.dim / 2);
  if (total > 0) ropeKernel<<<gridFor(total), kThreads>>>(a.x, a.out, a.cos, a.sin, a.rows, a.heads, a.dim, a.inverse ? -1.0f : 1.0f);
  launched("rope");
}

// The ids are read back to check them first: an id out of range must be reported, not read past the table.
int64_t kernels::embedding(const EmbeddingArgs& a) {
  std::vector<int32_t> ids(static_cast<size_t>(a.n));
  download(ids.data(), a.ids, ids.size());
  for (int64_t i = 0; i < a.n; i++)
    if (ids[i] < 0 || ids[i] >= a.vocab) return i;
  if (a.n * a.dim > 0) embeddingKernel<<<gridFor(a.n * a.dim), kThreads>>>(a.ids, a.table, a.tableType == ElementType::Bf16, a.out, a.n, a.dim);
  launched("embedding");
  return -1;
}

void kernels::embeddingBackward(const EmbeddingBackwardArgs& a) {
  if (a.n * a.dim > 0) embeddingBackwardKernel<<<gridFor(a.n * a.dim), kThreads>>>(a.ids, a.g, a.dtable, a.n, a.dim);
  launched("embeddingBackward");
}

void kernels::gatherRows(const GatherRowsArgs& a) {
  if (a.count * a.rowBytes == 0) return;
  const int32_t* indices = g_indices.upload(a.indices.data, static_cast<size_t>(a.count));
  const bool words = a.rowBytes % 4 == 0 && reinterpret_cast<uintptr_t>(a.src) % 4 == 0 && reinterpret_cast<uintptr_t>(a.dst) % 4 == 0;
  if (words) {
    gatherWordsKernel<<<gridFor(a.count * a.rowBytes / 4), kThreads>>>(reinterpret_cast<const uint32_t*>(a.src), indices,
                                                                          reinterpret_cast<uint32_t*>(a.dst), a.count, a.rowBytes / 4);
  } else {
    gatherRowsKernel<<<gridFor(a.count * a.rowBytes), kThreads>>>(a.src, indices, a.dst, a.count, a.rowBytes);
  }
  launched("gatherRows");
}

void kernels::writeRows(const WriteRowsArgs& a) {
  for (int64_t b = 0; b < a.batch; b++) {
    const int64_t off = a.offsets.data[b];
    if (off < 0 || off + a.srcRows > a.dstRows) throw KernelError("rows past the end of the destination");
  }
  // One strided copy when every row of the batch appends at the same offset (the common case of a decode step).
  bool same = true;
  for (int64_t b = 1; b < a.batch; b++) same = same && a.offsets.data[b] == a.offsets.data[0];
  const size_t width = static_cast<size_t>(a.srcRows * a.rowBytes);
  if (a.batch == 0 || width == 0) return;
  if (same) {
    check(cudaMemcpy2DAsync(a.dst + a.offsets.data[0] * a.rowBytes, static_cast<size_t>(a.dstRows * a.rowBytes), a.src, width, width,
                            static_cast<size_t>(a.batch), cudaMemcpyDeviceToDevice), "writeRows copy");
    return;
  }
  for (int64_t b = 0; b < a.batch; b++)
    check(cudaMemcpyAsync(a.dst + (b * a.dstRows + a.offsets.data[b]) * a.rowBytes, a.src + b * a.srcRows * a.rowBytes, width,
                          cudaMemcpyDeviceToDevice), "writeRows copy");
}

}  // namespace astarpo
