// fp32 matrix product for every kernel of the addon:
//   C = alpha * op(A) @ op(B) + beta * C (+ bias[n] on every row)
// row-major, op(A) is [M,K], op(B) is [K,N]. transA: A is stored [K,M];
// transB: B is stored [N,K] (the x @ W^T of a Linear layer). beta == 0
// never reads C. batch products at element strides strideA/B/C (0 broadcasts).
// Runs on the pool (threaded above a work threshold) with the kernels of
// the active instruction set (astarpo::isa()).
#pragma once
#include <cstdint>

namespace astarpo {

void gemm(int64_t M, int64_t N, int64_t K,
          const float* a, int64_t lda, bool transA,
          const float* b, int64_t ldb, bool transB,
          float* c, int64_t ldc, float alpha, float beta, const float* bias,
          int64_t batch = 1, int64_t strideA = 0, int64_t strideB = 0, int64_t strideC = 0);

// The same product with B a bfloat16 matrix (a frozen Linear weight held at
// half the bytes): stored [N, K] with transB (x @ W^T, the forward pass) or
// [K, N] without (g @ W, the input's gradient). A, C and the sums stay fp32.
void gemmBf16(int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, bool transA,
              const uint16_t* b, int64_t ldb, bool transB, float* c, int64_t ldc, float alpha, float beta, const float* bias);

}  // namespace astarpo
