// The checks of a gemm call every backend makes the same way: leading
// dimensions that fit their matrices, a bf16 B only unbatched, and C
// matrices of a batch that do not overlap.
#pragma once
#include <cstdint>
#include <string>
#include "kernels.h"

namespace astarpo {

inline void checkGemmArgs(const kernels::GemmArgs& a) {
  const auto atLeast = [](const char* name, int64_t value, int64_t min) {
    if (value < min) throw KernelError(std::string("argument ") + name + " must be >= " + std::to_string(min) + ", got " + std::to_string(value));
  };
  atLeast("lda", a.lda, a.transA ? a.M : a.K);
  atLeast("ldb", a.ldb, a.transB ? a.K : a.N);
  atLeast("ldc", a.ldc, a.N);
  if (a.bType == ElementType::Bf16 && a.batch != 1) throw KernelError("bType Bf16 (a bfloat16 B) takes batch = 1");
  const bool empty = a.M == 0 || a.N == 0;
  if (a.batch > 1 && a.strideC < a.M * a.ldc - (a.ldc - a.N) && !empty)
    throw KernelError("strideC must separate the batch's C matrices (>= (M - 1) * ldc + N)");
}

}  // namespace astarpo
