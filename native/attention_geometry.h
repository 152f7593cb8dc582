// The geometry of one attention call, checked the same way by every backend:
// B rows of T queries over a key/value buffer of capacity S, H query heads
// sharing Hkv key/value heads of size D, and the optional per-row arrays
// (qPos: position of the first query, default kvLen - T; keyStart: first
// visible key, default 0; kvLen: filled key positions, default S).
#pragma once
#include <cstdint>
#include <string>
#include "kernels.h"

namespace astarpo {

// Throws a KernelError naming what does not fit. Args: either attention kernel's argument struct.
template <class Args>
void checkAttentionGeometry(const Args& a) {
  if (a.H % a.Hkv != 0)
    throw KernelError("H = " + std::to_string(a.H) + " is not a multiple of Hkv = " + std::to_string(a.Hkv));
  const auto rows = [&](const HostArray<const int32_t>& array, const char* name) {
    if (array.data && static_cast<int64_t>(array.length) < a.B)
      throw KernelError(std::string(name) + " must be an Int32Array of B = " + std::to_string(a.B) + " entries, or 0");
  };
  rows(a.qPos, "qPos");
  rows(a.keyStart, "keyStart");
  rows(a.kvLen, "kvLen");
  for (int64_t b = 0; a.kvLen.data && b < a.B; b++) {
    if (a.kvLen.data[b] < 0 || a.kvLen.data[b] > a.S)
      throw KernelError("kvLen[" + std::to_string(b) + "] = " + std::to_string(a.kvLen.data[b]) + " is outside 0..S = " + std::to_string(a.S));
  }
}

}  // namespace astarpo
