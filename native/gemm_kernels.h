// The per-instruction-set pieces of the matrix product: register-blocked tile
// kernels over packed panels, and the cache block sizes that suit them. The
// blocking, packing and threading around them live in gemm.cc.
#pragma once
#include <cstdint>

namespace astarpo::gemm_detail {

// C[rows, cols] = alpha * A~ @ B~ + beta * C (+ bias[col]) for one tile.
// A~ is a packed micro-panel: kc steps of `mr` floats (row values at one k).
// B~ holds kc rows of `nr` floats, bStride floats apart (zero-padded past cols).
// beta == 0 never reads C; bias may be null. rows is fixed by the table slot.
using TileKernel = void (*)(int64_t kc, const float* a, const float* b, int64_t bStride,
                            float* c, int64_t ldc, int cols, float alpha, float beta, const float* bias);

// C[rows, cols] = alpha * A @ W^T + beta * C (+ bias[col]) with the rows of A
// and of W both contiguous along K: the products of few rows by a weight
// stored [N, K], where streaming W once at memory bandwidth is all that
// matters. rows and cols are fixed by the table slot.
// W may be fp32 or bfloat16 (frozen weights held at half the bytes: the
// kernel widens each value as it loads it, so the sums stay fp32).
template <class W>
using DotKernelOf = void (*)(int64_t K, const float* a, int64_t lda, const W* w, int64_t ldw,
                             float* c, int64_t ldc, float alpha, float beta, const float* bias);
using Bf16 = uint16_t;
using DotKernel = DotKernelOf<float>;
using DotKernelBf16 = DotKernelOf<Bf16>;

// A bfloat16 value is the top half of the float32 with the same bits.
inline float widenBf16(Bf16 h) {
  const uint32_t bits = uint32_t(h) << 16;
  float f;
  __builtin_memcpy(&f, &bits, sizeof f);
  return f;
}

// dst[k * width + i] = src[i * rs + k] for i < rows, 0 for rows <= i < width:
// packs a panel whose source rows run along K (A of x @ W, B of x @ W^T).
using PackAcross = void (*)(const float* src, int64_t rs, int rows, int64_t kc, int width, float* dst);

// Packs `rows` source rows lying side by side at each k (src[k * cs + r]) into
// ceil(rows / width) panels of kc x width, zero past the last row. One pass
// per k over the whole run of rows keeps the reads contiguous.
using PackAlong = void (*)(const float* src, int64_t cs, int rows, int64_t kc, int width, float* dst);

// The epilogue every kernel shares: row[j] = alpha * sums[j] + bias[j]
// (+ beta * row[j]; beta == 0 never reads the row), for j < cols.
inline void storeRow(float* row, const float* sums, int cols, float alpha, float beta, const float* bias) {
  for (int j = 0; j < cols; j++) {
    const float r = alpha * sums[j] + (bias ? bias[j] : 0.0f);
    row[j] = beta != 0.0f ? r + beta * row[j] : r;
  }
}

// packAcross for a bfloat16 source, widened to fp32 on the way.
using PackAcrossBf16 = void (*)(const Bf16* src, int64_t rs, int rows, int64_t kc, int width, float* dst);

void packAcrossBf16(const Bf16* src, int64_t rs, int rows, int64_t kc, int width, float* dst);
// packAlong for a bfloat16 source (a weight read as [K, N]), widened to fp32 on
// the way; one plain loop serves every instruction set, since packing is paid
// once per panel and shared by every row block of A.
void packAlongBf16(const Bf16* src, int64_t cs, int rows, int64_t kc, int width, float* dst);
void packAcrossBf16Avx2(const Bf16* src, int64_t rs, int rows, int64_t kc, int width, float* dst);
void packAlongScalar(const float* src, int64_t cs, int rows, int64_t kc, int width, float* dst);
void packAlongAvx2(const float* src, int64_t cs, int rows, int64_t kc, int width, float* dst);
void packAlongAvx512(const float* src, int64_t cs, int rows, int64_t kc, int width, float* dst);
void packAcrossScalar(const float* src, int64_t rs, int rows, int64_t kc, int width, float* dst);
void packAcrossAvx2(const float* src, int64_t rs, int rows, int64_t kc, int width, float* dst);

constexpr int kMaxTileRows = 16;
constexpr int kMaxDotRows = 8;

struct KernelSet {
  const char* name;
  int mr, nr;          // tile rows and columns
  int kc, mc, nc;      // cache blocks: K depth, rows of A kept in L2, columns of B per panel
  TileKernel tile[kMaxTileRows];  // tile[rows - 1] computes a tile of that many rows
  PackAcross packAcross;
  PackAcrossBf16 packAcrossBf16;  // packAcross for a bfloat16 weight
  PackAlong packAlong;
  int streamRows;                 // at most this many rows: stream B unpacked (dot or strips)
  int dotRows, dotCols;           // the widest dot-product tile
  DotKernel dot[kMaxDotRows];     // dot[rows - 1]: dotCols columns
  DotKernel dotOne[kMaxDotRows];  // dotOne[rows - 1]: a single column
  DotKernelBf16 dotBf16[kMaxDotRows];     // the same two tables for bfloat16 weights
  DotKernelBf16 dotOneBf16[kMaxDotRows];
};

const KernelSet& avx512Kernels();
const KernelSet& avx2Kernels();
const KernelSet& portableKernels();

}  // namespace astarpo::gemm_detail
