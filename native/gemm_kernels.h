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

constexpr int kMaxTileRows = 16;

struct KernelSet {
  const char* name;
  int mr, nr;          // tile rows and columns
  int kc, mc, nc;      // cache blocks: K depth, rows of A kept in L2, columns of B per panel
  TileKernel tile[kMaxTileRows];  // tile[rows - 1] computes a tile of that many rows
};

const KernelSet& avx512Kernels();
const KernelSet& avx2Kernels();
const KernelSet& portableKernels();

}  // namespace astarpo::gemm_detail
