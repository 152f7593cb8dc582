// Conversions between fp32 and bfloat16 storage. Rounding is to nearest, ties
// to even, with NaN as the canonical quiet NaN: the bits PyTorch gives, so a
// weight cast here equals the same weight saved by transformers in bf16.
#include <cstdint>
#include <cstring>
#include "pool.h"
#include "registry.h"
#include "simd.h"

using namespace astarpo;

namespace {

ASTARPO_VECTORIZE void toBf16Range(const uint32_t* __restrict src, uint16_t* __restrict dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const uint32_t bits = src[i];
    const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
    dst[i] = (bits & 0x7fffffffu) > 0x7f800000u ? uint16_t(0x7fc0) : uint16_t(rounded);
  }
}

ASTARPO_VECTORIZE void fromBf16Range(const uint16_t* __restrict src, uint32_t* __restrict dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = uint32_t(src[i]) << 16;
}

}  // namespace

// toBf16(src f32, dst bf16, n)
ASTARPO_EXPORT(toBf16) {
  Args a(env, info);
  const uint32_t* src = a.ptr<uint32_t>(0);
  uint16_t* dst = a.ptr<uint16_t>(1);
  parallelFor(a.i64(2), kParallelElements, [&](int64_t b, int64_t e) { toBf16Range(src + b, dst + b, e - b); });
  return nullptr;
}

// fromBf16(src bf16, dst f32, n)
ASTARPO_EXPORT(fromBf16) {
  Args a(env, info);
  const uint16_t* src = a.ptr<uint16_t>(0);
  uint32_t* dst = a.ptr<uint32_t>(1);
  parallelFor(a.i64(2), kParallelElements, [&](int64_t b, int64_t e) { fromBf16Range(src + b, dst + b, e - b); });
  return nullptr;
}
