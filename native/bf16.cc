// Conversions between fp32 and bfloat16 storage. Rounding is to nearest, ties
// to even, with NaN as the canonical quiet NaN: the bits PyTorch gives, so a
// weight cast here equals the same weight saved by transformers in bf16.
#include <cstdint>
#include <cstring>
#include "bits.h"
#include "pool.h"
#include "kernels.h"
#include "simd.h"

namespace astarpo {

namespace {

ASTARPO_VECTORIZE void toBf16Range(const uint32_t* __restrict src, uint16_t* __restrict dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    dst[i] = floatBitsToBf16(src[i]);
  }
}

ASTARPO_VECTORIZE void fromBf16Range(const uint16_t* __restrict src, uint32_t* __restrict dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = uint32_t(src[i]) << 16;
}

}  // namespace

void kernels::toBf16(const ToBf16Args& a) {
  const uint32_t* src = reinterpret_cast<const uint32_t*>(a.src);
  parallelFor(a.n, kParallelElements, [&](int64_t b, int64_t e) { toBf16Range(src + b, a.dst + b, e - b); });
}

void kernels::fromBf16(const FromBf16Args& a) {
  uint32_t* dst = reinterpret_cast<uint32_t*>(a.dst);
  parallelFor(a.n, kParallelElements, [&](int64_t b, int64_t e) { fromBf16Range(a.src + b, dst + b, e - b); });
}

}  // namespace astarpo
