// Matrix products through cuBLAS, loaded at run time (dlopen) so the addon
// builds without cuBLAS's headers or libraries and loads where only the
// driver is present; the first product looks for libcublas.so.13 or .12 (a
// path in ASTARPO_CUBLAS first), e.g. from pip's nvidia-cublas wheel on
// LD_LIBRARY_PATH. Row-major C = op(A) op(B) is column-major C^T = op(B)^T
// op(A)^T, so A and B swap places in the call. fp32 by default;
// ASTARPO_CUDA_TF32=1 lets cuBLAS use TF32 tensor cores (10-bit mantissas).
#include <dlfcn.h>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <string>
#include "../gemm_args.h"
#include "runtime.cuh"

namespace astarpo {
namespace {

using namespace cuda;

// The few cuBLAS declarations used, with the values of cublas_api.h and library_types.h.
using CublasHandle = void*;
using CublasStatus = int;
enum : int { kOpN = 0, kOpT = 1, kR32F = 0, kCompute32F = 68, kCompute32FFastTf32 = 77, kGemmDefault = -1 };
using CreateFn = CublasStatus (*)(CublasHandle*);
using SetStreamFn = CublasStatus (*)(CublasHandle, cudaStream_t);
using GemmStridedBatchedExFn = CublasStatus (*)(CublasHandle, int, int, int, int, int, const void*, const void*, int, int, long long,
                                                const void*, int, int, long long, const void*, void*, int, int, long long, int, int, int);

struct Cublas {
  CublasHandle handle = nullptr;
  GemmStridedBatchedExFn gemm = nullptr;
  int computeType = kCompute32F;
};

void* openCublas(std::string& tried) {
  const char* configured = std::getenv("ASTARPO_CUBLAS");
  for (const char* name : {configured, "libcublas.so.13", "libcublas.so.12", "libcublas.so"}) {
    if (!name) continue;
    if (void* lib = dlopen(name, RTLD_NOW | RTLD_LOCAL)) return lib;
    tried += std::string(tried.empty() ? "" : ", ") + name;
  }
  return nullptr;
}

const Cublas& cublas() {
  static Cublas instance;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string tried;
    void* lib = openCublas(tried);
    if (!lib) {
      error = "cuBLAS not found (tried " + tried + "): put libcublas.so's folder on LD_LIBRARY_PATH or its path in ASTARPO_CUBLAS";
      return;
    }
    auto create = reinterpret_cast<CreateFn>(dlsym(lib, "cublasCreate_v2"));
    auto setStream = reinterpret_cast<SetStreamFn>(dlsym(lib, "cublasSetStream_v2"));
    instance.gemm = reinterpret_cast<GemmStridedBatchedExFn>(dlsym(lib, "cublasGemmStridedBatchedEx"));
    if (!create || !setStream || !instance.gemm) {
      error = "the cuBLAS library found lacks cublasCreate_v2, cublasSetStream_v2 or cublasGemmStridedBatchedEx";
      return;
    }
    if (create(&instance.handle) != 0 || setStream(instance.handle, nullptr) != 0) {
      error = "cublasCreate failed (is a GPU present?)";
      instance.handle = nullptr;
      return;
    }
    const char* tf32 = std::getenv("ASTARPO_CUDA_TF32");
    if (tf32 && std::string(tf32) == "1") instance.computeType = kCompute32FFastTf32;
  });
  if (!instance.handle) throw KernelError(error);
  return instance;
}

int asInt(int64_t v, const char* name) {
  if (v > std::numeric_limits<int>::max()) throw KernelError(std::string(name) + " is past cuBLAS's 32-bit sizes");
  return static_cast<int>(v);
}

__global__ void addBiasKernel(float* c, const float* bias, int64_t M, int64_t N, int64_t ldc, int64_t batch, int64_t strideC) {
  ASTARPO_GRID_LOOP(t, batch * M * N) {
    const int64_t n = t % N, m = (t / N) % M, b = t / (M * N);
    c[b * strideC + m * ldc + n] += bias[n];
  }
}

Staging<float> g_widened;

}  // namespace

// Addresses are device memory, bias null = none; bType Bf16: B holds bfloat16 (then batch = 1), widened
// into a scratch buffer first (the products' inputs stay fp32, as on the CPU).
void kernels::gemm(const GemmArgs& a) {
  checkGemmArgs(a);
  if (a.M == 0 || a.N == 0) return;
  const Cublas& blas = cublas();
  const void* b = a.b;
  if (a.bType == ElementType::Bf16) {
    const int64_t elements = (a.transB ? a.N : a.K) * a.ldb;
    float* wide = g_widened.reserve(static_cast<size_t>(elements));
    kernels::fromBf16(FromBf16Args{static_cast<const uint16_t*>(a.b), wide, elements});
    b = wide;
  }
  const float alpha = a.alpha, beta = a.beta;
  const CublasStatus status = blas.gemm(blas.handle, a.transB ? kOpT : kOpN, a.transA ? kOpT : kOpN, asInt(a.N, "N"), asInt(a.M, "M"),
                                        asInt(a.K, "K"), &alpha, b, kR32F, asInt(a.ldb, "ldb"), a.strideB, a.a, kR32F, asInt(a.lda, "lda"),
                                        a.strideA, &beta, a.c, kR32F, asInt(a.ldc, "ldc"), a.strideC, asInt(a.batch, "batch"),
                                        blas.computeType, kGemmDefault);
  if (status != 0) throw KernelError("cublasGemmStridedBatchedEx failed with status " + std::to_string(status));
  if (a.bias) {
    addBiasKernel<<<gridFor(a.batch * a.M * a.N), kThreads>>>(a.c, a.bias, a.M, a.N, a.ldc, a.batch, a.strideC);
    launched("gemm (bias)");
  }
}

}  // namespace astarpo
