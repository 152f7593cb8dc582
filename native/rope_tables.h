// RoPE's cos and sin tables, made on the host for every backend (angles in
// double, then rounded to float once) so that the CPU and the GPU rotate by
// the same floats.
#pragma once
#include <cmath>
#include <cstdint>
#include "kernels.h"

namespace astarpo {

// cos[r * half + i] and sin[r * half + i] of positions[r] * invFreq[i], times `scaling`, into host memory.
inline void fillRopeTables(const kernels::RopeTablesArgs& a, float* cos, float* sin) {
  const int64_t n = a.n, half = a.half;
  for (int64_t r = 0; r < n; r++)
    for (int64_t i = 0; i < half; i++) {
      const double angle = static_cast<double>(a.positions.data[r]) * static_cast<double>(a.invFreq.data[i]);
      cos[r * half + i] = static_cast<float>(std::cos(angle) * a.scaling);
      sin[r * half + i] = static_cast<float>(std::sin(angle) * a.scaling);
    }
}

}  // namespace astarpo
