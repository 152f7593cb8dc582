// The bit-level recipes that the CPU and the CUDA kernels must share to give
// the same bits on either device: the dropout draw and bfloat16 rounding.
// One definition each, compiled for the host and (under nvcc) the device.
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define ASTARPO_HOST_DEVICE __host__ __device__
#else
#define ASTARPO_HOST_DEVICE
#endif

namespace astarpo {

// splitmix64's finaliser: a 64-bit hash whose every output bit depends on every input bit.
ASTARPO_HOST_DEVICE inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Dropout's draw for element i (32 bits), from the state mix64(seed): it depends on (seed, i) alone, so the
// mask is the same on any device and thread count, and can be drawn again.
ASTARPO_HOST_DEVICE inline uint64_t dropoutDraw(uint64_t state, int64_t i) {
  return mix64(state + uint64_t(i + 1) * 0x9e3779b97f4a7c15ULL) >> 32;
}

// The bits of a float rounded to bfloat16 (to nearest, ties to even), as PyTorch rounds; a NaN stays a quiet NaN.
ASTARPO_HOST_DEVICE inline uint16_t floatBitsToBf16(uint32_t bits) {
  const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  return (bits & 0x7fffffffu) > 0x7f800000u ? uint16_t(0x7fc0) : uint16_t(rounded);
}

}  // namespace astarpo
