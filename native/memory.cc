// Host memory for tensors: 64-byte aligned blocks whose live and peak bytes
// are counted here, so peak memory is measured, not estimated.
#include "registry.h"
#include <atomic>
#include <cstdlib>
#include <cstring>

namespace {

constexpr size_t kAlign = 64;
std::atomic<int64_t> g_live{0}, g_peak{0}, g_blocks{0};

// The block's size lives in the 64 bytes before the pointer handed out.
void* allocate(size_t bytes) {
  size_t total = kAlign + ((bytes + kAlign - 1) / kAlign) * kAlign;
  void* base = std::aligned_alloc(kAlign, total);
  if (!base) return nullptr;
  *static_cast<size_t*>(base) = bytes;
  int64_t live = g_live.fetch_add(static_cast<int64_t>(bytes)) + static_cast<int64_t>(bytes);
  int64_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {}
  g_blocks.fetch_add(1);
  return static_cast<char*>(base) + kAlign;
}

void release(void* p) {
  if (!p) return;
  char* base = static_cast<char*>(p) - kAlign;
  g_live.fetch_sub(static_cast<int64_t>(*reinterpret_cast<size_t*>(base)));
  g_blocks.fetch_sub(1);
  std::free(base);
}

}  // namespace

using namespace astarpo;

// alloc(bytes) -> address (a number); throws when the machine is out of memory.
ASTARPO_EXPORT(alloc) {
  Args a(env, info);
  double bytes = a.num(0);
  if (!(bytes >= 0)) { throwError(env, "alloc: byte count must be >= 0"); return nullptr; }
  void* p = allocate(static_cast<size_t>(bytes));
  if (!p) { throwError(env, "alloc: out of host memory"); return nullptr; }
  return number(env, static_cast<double>(reinterpret_cast<uintptr_t>(p)));
}

// free(address)
ASTARPO_EXPORT(free) {
  Args a(env, info);
  release(a.ptr<void>(0));
  return undefined(env);
}

// memoryStats(out: Float64Array(3)) fills [live bytes, peak bytes, live blocks].
ASTARPO_EXPORT(memoryStats) {
  Args a(env, info);
  size_t bytes;
  double* out = static_cast<double*>(a.typed(0, &bytes));
  if (bytes >= 3 * sizeof(double)) {
    out[0] = static_cast<double>(g_live.load());
    out[1] = static_cast<double>(g_peak.load());
    out[2] = static_cast<double>(g_blocks.load());
  }
  return undefined(env);
}

ASTARPO_EXPORT(resetPeak) {
  g_peak.store(g_live.load());
  return undefined(env);
}

// copyIn(address, byteOffset, typedArray): host array -> tensor memory.
ASTARPO_EXPORT(copyIn) {
  Args a(env, info);
  size_t bytes;
  void* src = a.typed(2, &bytes);
  std::memcpy(a.ptr<char>(0) + a.i64(1), src, bytes);
  return undefined(env);
}

// copyOut(address, byteOffset, typedArray): tensor memory -> host array.
ASTARPO_EXPORT(copyOut) {
  Args a(env, info);
  size_t bytes;
  void* dst = a.typed(2, &bytes);
  std::memcpy(dst, a.ptr<char>(0) + a.i64(1), bytes);
  return undefined(env);
}

// copy(dst, src, bytes)
ASTARPO_EXPORT(copy) {
  Args a(env, info);
  std::memmove(a.ptr<void>(0), a.ptr<void>(1), static_cast<size_t>(a.i64(2)));
  return undefined(env);
}

// zero(address, bytes)
ASTARPO_EXPORT(zero) {
  Args a(env, info);
  std::memset(a.ptr<void>(0), 0, static_cast<size_t>(a.i64(1)));
  return undefined(env);
}
