// Host memory for tensors: 64-byte aligned blocks whose live and peak bytes
// are counted here, so peak memory is measured, not estimated. Freed blocks
// are cached by size class (block_cache.h), bounded by ASTARPO_ALLOC_CACHE_MB
// (0 turns the cache off), by default the larger of 1 GiB and half the most
// bytes ever live: a step's gradients (a quarter of an AdamW run's memory)
// then come back from the cache every step, without an munmap now and a page
// fault per 4 KiB on the next first touch.
//
// Blocks of 4 MiB and more are mapped on their own on 2 MiB boundaries and
// ask for transparent huge pages: one fault and one TLB entry per 2 MiB
// instead of 512 (the 0.5B-shape training step spent a fifth of its CPU time
// in page faults on 4 KiB pages).
#include <sys/mman.h>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include "block_cache.h"
#include "kernels.h"

namespace astarpo {
namespace {

constexpr size_t kMappedBytes = size_t{4} << 20;
constexpr size_t kHugePage = size_t{2} << 20;

// The 64 bytes before the pointer handed out hold the requested and the class size.
struct Header {
  size_t bytes;
  size_t classBytes;
};

Accounting g_accounting;

BlockCache& cache() {
  static BlockCache* instance = new BlockCache();  // never destroyed: blocks may be freed during exit
  return *instance;
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
  return static_cast<size_t>(std::max<int64_t>(int64_t{1} << 30, g_accounting.highWater() / 2));
}

size_t roundUp(size_t x, size_t to) { return (x + to - 1) / to * to; }

// The bytes a block of this class occupies: its header and data, whole pages when mapped.
size_t blockBytes(size_t classBytes) {
  return classBytes + kBlockAlign >= kMappedBytes ? roundUp(classBytes + kBlockAlign, 4096) : classBytes + kBlockAlign;
}

// A block's memory from the system (null when there is none), and back.
void* systemAlloc(size_t classBytes) {
  const size_t bytes = blockBytes(classBytes);
  if (bytes < kMappedBytes) return std::aligned_alloc(kBlockAlign, bytes);
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

void* allocate(size_t bytes) {
  size_t classBytes = sizeClass(bytes);
  void* base = cache().take(classBytes);
  if (!base) base = systemAlloc(classBytes);
  if (!base) {
    cache().releaseAll(systemFree);
    base = systemAlloc(classBytes);
    if (!base) return nullptr;
  }
  *static_cast<Header*>(base) = Header{bytes, classBytes};
  g_accounting.added(bytes);
  return static_cast<char*>(base) + kBlockAlign;
}

void release(void* p) {
  if (!p) return;
  char* base = static_cast<char*>(p) - kBlockAlign;
  Header header = *reinterpret_cast<Header*>(base);
  g_accounting.removed(header.bytes);
  if (!cache().give(base, header.classBytes, cacheLimitBytes())) systemFree(base, header.classBytes);
}

}  // namespace

void* kernels::alloc(const AllocArgs& a) {
  void* p = allocate(static_cast<size_t>(a.bytes));
  if (!p) throw KernelError("out of host memory");
  return p;
}

void kernels::free(const FreeArgs& a) { release(a.addr); }

void kernels::memoryStats(const MemoryStatsArgs& a) { writeStats(g_accounting, cache(), a.out.data, a.out.length); }

void kernels::releaseCache() { cache().releaseAll(systemFree); }

void kernels::resetPeak() { g_accounting.resetPeak(); }

void kernels::copyIn(const CopyInArgs& a) { std::memcpy(a.addr + a.byteOffset, a.data.data, a.data.bytes); }

void kernels::copyOut(const CopyOutArgs& a) { std::memcpy(a.out.data, a.addr + a.byteOffset, a.out.bytes); }

void kernels::copy(const CopyArgs& a) { std::memmove(a.dst, a.src, static_cast<size_t>(a.bytes)); }

void kernels::zero(const ZeroArgs& a) { std::memset(a.addr, 0, static_cast<size_t>(a.bytes)); }

}  // namespace astarpo
