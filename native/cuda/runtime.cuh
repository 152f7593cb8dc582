// What every CUDA kernel file shares: errors as KernelError, launch sizes,
// block-wide reductions, and staging of the small host arrays some kernels
// take (positions, offsets, indices). All work goes to the default stream,
// so kernels, copies and frees are ordered among themselves without events.
#pragma once
#include <cuda_runtime.h>
#include <algorithm>
#include <cstdint>
#include <string>
#include "../bits.h"
#include "../kernels.h"

namespace astarpo::cuda {

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw KernelError(std::string(what) + ": " + cudaGetErrorString(status));
}

// A launch's own errors (bad configuration) surface at once; faults inside a kernel at the next synchronising call.
inline void launched(const char* what) { check(cudaGetLastError(), what); }

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n elements (at most 2^20: each thread then takes several).
inline unsigned gridFor(int64_t n, int threads = kThreads) {
  return static_cast<unsigned>(std::clamp<int64_t>((n + threads - 1) / threads, 1, int64_t{1} << 20));
}

#define ASTARPO_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

template <class T>
__device__ inline T warpSum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__device__ inline float warpMax(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// The sum over the block, returned to every thread (blockDim.x a multiple of 32).
template <class T>
__device__ inline T blockSum(T v) {
  __shared__ T partial[32];
  v = warpSum(v);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  __syncthreads();  // partial may still be read by a previous call
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < warps ? partial[lane] : T(0);
  return warpSum(v);
}

__device__ inline float blockMax(float v) {
  __shared__ float partial[32];
  v = warpMax(v);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < warps ? partial[lane] : -INFINITY;
  return warpMax(v);
}

// A device copy of a host array, in a buffer that grows and is kept: stream
// order makes reusing it in the next call safe.
template <class T>
class Staging {
 public:
  const T* upload(const T* host, size_t count) {
    if (count == 0) return nullptr;
    reserve(count);
    check(cudaMemcpy(device_, host, count * sizeof(T), cudaMemcpyHostToDevice), "copy to the device");
    return device_;
  }
  T* reserve(size_t count) {
    if (count > capacity_) {
      if (device_) check(cudaFree(device_), "cudaFree");
      device_ = nullptr;
      check(cudaMalloc(&device_, count * sizeof(T)), "cudaMalloc");
      capacity_ = count;
    }
    return device_;
  }

 private:
  T* device_ = nullptr;
  size_t capacity_ = 0;
};

// Waits for the work queued so far and reads n values back.
template <class T>
void download(T* host, const T* device, size_t count) {
  if (count > 0) check(cudaMemcpy(host, device, count * sizeof(T), cudaMemcpyDeviceToHost), "copy from the device");
}

__device__ inline float bf16ToFloat(uint16_t h) { return __uint_as_float(uint32_t(h) << 16); }

}  // namespace astarpo::cuda
