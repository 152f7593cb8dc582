// Host memory for tensors: 64-byte aligned blocks whose live and peak bytes
// are counted here, so peak memory is measured, not estimated.
//
// Freed blocks are cached by size class and handed out again: a training
// step allocates and frees the same few hundred activation sizes every time,
// and returning them to the system costs an munmap now and a page fault per
// 4 KiB on the next first touch. Live and peak count the bytes of blocks in
// use (what tensors hold); `cached` is what the cache keeps on top, bounded
// by ASTARPO_ALLOC_CACHE_MB (0 turns the cache off), by default the larger of
// 1 GiB and half the most bytes ever live: a step's gradients (a quarter of
// an AdamW run's memory) then come back from the cache every step.
//
// Blocks of 4 MiB and more are mapped on their own on 2 MiB boundaries and
// ask for transparent huge pages: one fault and one TLB entry per 2 MiB
// instead of 512 (the 0.5B-shape training step spent a fifth of its CPU time
// in page faults on 4 KiB pages).
#include "registry.h"
#include <sys/mman.h>
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {

constexpr size_t kAlign = 64;
constexpr size_t kMappedBytes = size_t{4} << 20;
constexpr size_t kHugePage = size_t{2} << 20;
std::atomic<int64_t> g_live{0}, g_peak{0}, g_blocks{0}, g_highWater{0};

// The 64 bytes before the pointer handed out hold the requested and the class size.
struct Header {
  size_t bytes;
  size_t classBytes;
};

// Sizes round up to a multiple of 64 bytes up to 4 KiB, then to eighths of
// their power of two (at most 12.5% more than asked for).
size_t sizeClass(size_t bytes) {
  if (bytes <= 4096) return bytes == 0 ? kAlign : (bytes + kAlign - 1) / kAlign * kAlign;
  int shift = 63 - __builtin_clzll(bytes) - 3;
  size_t step = size_t{1} << shift;
  return (bytes + step - 1) & ~(step - 1);
}

// The configured cache bound in bytes, or -1 for the default (which follows the high-water mark).
int64_t configuredCacheLimit() {
  const char* env = std::getenv("ASTARPO_ALLOC_CACHE_MB");
  if (!env || !*env) return -1;
  return static_cast<int64_t>(std::strtoull(env, nullptr, 10) << 20);
}

size_t cacheLimitBytes() {
  static const int64_t configured = configuredCacheLimit();
  if (configured >= 0) return static_cast<size_t>(configured);
  return static_cast<size_t>(std::max<int64_t>(int64_t{1} << 30, g_highWater.load() / 2));
}

size_t roundUp(size_t x, size_t to) { return (x + to - 1) / to * to; }

// The bytes a block of this class occupies: its header and data, whole pages when mapped.
size_t blockBytes(size_t classBytes) {
  return classBytes + kAlign >= kMappedBytes ? roundUp(classBytes + kAlign, 4096) : classBytes + kAlign;
}

// A block's memory from the system (null when there is none), and back.
void* systemAlloc(size_t classBytes) {
  const size_t bytes = blockBytes(classBytes);
  if (bytes < kMappedBytes) return std::aligned_alloc(kAlign, bytes);
  // Map a huge page more than needed and keep the aligned part.
  void* raw = mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw), aligned = roundUp(start, kHugePage);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + bytes + kHugePage;
  if (end > aligned + bytes) munmap(reinterpret_cast<void*>(aligned + bytes), end - (aligned + bytes));
  void* base = reinterpret_cast<void*>(aligned);
  madvise(base, bytes, MADV_HUGEPAGE);  // a hint: without THP the block simply has small pages
  return base;
}

void systemFree(void* base, size_t classBytes) {
  const size_t bytes = blockBytes(classBytes);
  if (bytes < kMappedBytes) std::free(base);
  else munmap(base, bytes);
}

class BlockCache {
 public:
  void* take(size_t classBytes) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find(classBytes);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* base = it->second.back();
    it->second.pop_back();
    cached_ -= classBytes;
    return base;
  }

  // Keeps the block if the cache has room; false means the caller frees it.
  bool give(void* base, size_t classBytes) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_ + classBytes > cacheLimitBytes()) return false;
    free_[classBytes].push_back(base);
    cached_ += classBytes;
    return true;
  }

  void releaseAll() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [size, blocks] : free_) for (void* base : blocks) systemFree(base, size);
    free_.clear();
    cached_ = 0;
  }

  size_t cached() {
    std::lock_guard<std::mutex> lock(mu_);
    return cached_;
  }

 private:
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
};

BlockCache& cache() {
  static BlockCache* instance = new BlockCache();  // never destroyed: blocks may be freed during exit
  return *instance;
}

void* allocate(size_t bytes) {
  size_t classBytes = sizeClass(bytes);
  void* base = cache().take(classBytes);
  if (!base) base = systemAlloc(classBytes);
  if (!base) {
    cache().releaseAll();
    base = systemAlloc(classBytes);
    if (!base) return nullptr;
  }
  *static_cast<Header*>(base) = Header{bytes, classBytes};
  int64_t live = g_live.fetch_add(static_cast<int64_t>(bytes)) + static_cast<int64_t>(bytes);
  int64_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {}
  int64_t highWater = g_highWater.load();
  while (live > highWater && !g_highWater.compare_exchange_weak(highWater, live)) {}
  g_blocks.fetch_add(1);
  return static_cast<char*>(base) + kAlign;
}

void release(void* p) {
  if (!p) return;
  char* base = static_cast<char*>(p) - kAlign;
  Header header = *reinterpret_cast<Header*>(base);
  g_live.fetch_sub(static_cast<int64_t>(header.bytes));
  g_blocks.fetch_sub(1);
  if (!cache().give(base, header.classBytes)) systemFree(base, header.classBytes);
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

// memoryStats(out: Float64Array(3 or 4)) fills [live bytes, peak bytes, live blocks, cached bytes].
ASTARPO_EXPORT(memoryStats) {
  Args a(env, info);
  size_t bytes;
  double* out = static_cast<double*>(a.typed(0, &bytes));
  if (bytes >= 3 * sizeof(double)) {
    out[0] = static_cast<double>(g_live.load());
    out[1] = static_cast<double>(g_peak.load());
    out[2] = static_cast<double>(g_blocks.load());
  }
  if (bytes >= 4 * sizeof(double)) out[3] = static_cast<double>(cache().cached());
  return undefined(env);
}

// releaseCache(): returns every cached free block to the system.
ASTARPO_EXPORT(releaseCache) {
  cache().releaseAll();
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
