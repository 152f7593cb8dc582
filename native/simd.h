// Loops that the compiler vectorises well get one clone per instruction set,
// picked by the loader on the running CPU (gemm has hand-written tiles instead).
#pragma once
#define ASTARPO_VECTORIZE __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

// Elementwise work below this many elements stays on the calling thread:
// waking the other core costs more than it saves.
constexpr long kParallelElements = 1 << 15;

#include <cstdint>
#include <cstring>

// e^x in float without a library call, so loops that use it vectorize
// (std::exp stays a scalar call unless the whole build uses -ffast-math).
// Cody-Waite range reduction and a degree-5 polynomial: within 2 ulp of
// expf; 0 below -87.3365 (where floats turn subnormal), +inf above 88.7228 (past the largest float),
// NaN stays NaN.
inline float expApprox(float x) {
  constexpr float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to an integer
  float clamped = x < -87.3365f ? -87.3365f : (x > 88.7228f ? 88.7228f : x);
  float n = (clamped * kLog2e + kRound) - kRound;
  float r = clamped - n * kLn2Hi - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float e = p * r * r + r + 1.0f;
  // 2^n as two factors, each a normal float for every n in [-126, 128]
  int32_t half = static_cast<int32_t>(n) >> 1;
  int32_t bitsA = (half + 127) << 23, bitsB = (static_cast<int32_t>(n) - half + 127) << 23;
  float scaleA, scaleB;
  std::memcpy(&scaleA, &bitsA, sizeof scaleA);
  std::memcpy(&scaleB, &bitsB, sizeof scaleB);
  float result = e * scaleA * scaleB;
  result = x < -87.3365f ? 0.0f : result;
  return x > 88.7228f ? __builtin_inff() : result;
}
