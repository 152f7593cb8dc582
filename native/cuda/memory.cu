// Device memory for tensors: plain cudaMalloc underneath a cache of freed
// blocks by size class (block_cache.h, shared with the host allocator), so a
// training step's few hundred activation sizes come back without a cudaFree,
// which synchronises the device. Live and peak count the bytes tensors hold,
// as on the CPU, so memory() reports the same numbers on either device.
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>
#include "../block_cache.h"
#include "runtime.cuh"

namespace astarpo {
namespace {

using cuda::check;

struct Block {
  size_t bytes, classBytes;
};

Accounting g_accounting;
std::mutex g_blocksMutex;
std::unordered_map<uintptr_t, Block>& blocks() {
  static auto* map = new std::unordered_map<uintptr_t, Block>();  // never destroyed: blocks may be freed during exit
  return *map;
}

BlockCache& cache() {
  static auto* instance = new BlockCache();
  return *instance;
}

// ASTARPO_CUDA_CACHE_MB bounds the cache (0 turns it off); by default it keeps every freed block, and
// an allocation that finds the device full first returns the cache to the driver.
size_t cacheLimitBytes() {
  static const size_t limit = [] {
    const char* env = std::getenv("ASTARPO_CUDA_CACHE_MB");
    return env ? static_cast<size_t>(std::strtoull(env, nullptr, 10)) << 20 : SIZE_MAX;
  }();
  return limit;
}

void releaseCached() {
  cache().releaseAll([](void* base, size_t) { cudaFree(base); });
}

}  // namespace

void* kernels::alloc(const AllocArgs& a) {
  const size_t bytes = static_cast<size_t>(a.bytes), classBytes = sizeClass(bytes);
  void* base = cache().take(classBytes);
  if (!base) {
    cudaError_t status = cudaMalloc(&base, classBytes);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear the error before trying again with the cache returned to the driver
      releaseCached();
      status = cudaMalloc(&base, classBytes);
    }
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      throw KernelError("out of device memory (" + std::to_string(bytes) + " bytes asked, " + std::to_string(g_accounting.live()) +
                        " live)");
    }
    check(status, "cudaMalloc");
  }
  {
    std::lock_guard<std::mutex> lock(g_blocksMutex);
    blocks()[reinterpret_cast<uintptr_t>(base)] = Block{bytes, classBytes};
  }
  g_accounting.added(bytes);
  return base;
}

void kernels::free(const FreeArgs& a) {
  Block block;
  {
    std::lock_guard<std::mutex> lock(g_blocksMutex);
    auto it = blocks().find(reinterpret_cast<uintptr_t>(a.addr));
    if (it == blocks().end()) throw KernelError("not an address alloc() handed out");
    block = it->second;
    blocks().erase(it);
  }
  g_accounting.removed(block.bytes);
  if (!cache().give(a.addr, block.classBytes, cacheLimitBytes())) check(cudaFree(a.addr), "cudaFree");
}

void kernels::memoryStats(const MemoryStatsArgs& a) { writeStats(g_accounting, cache(), a.out.data, a.out.length); }

void kernels::resetPeak() { g_accounting.resetPeak(); }

void kernels::releaseCache() { releaseCached(); }

void kernels::copyIn(const CopyInArgs& a) {
  check(cudaMemcpy(a.addr + a.byteOffset, a.data.data, a.data.bytes, cudaMemcpyHostToDevice), "copy to the device");
}

void kernels::copyOut(const CopyOutArgs& a) {
  check(cudaMemcpy(a.out.data, a.addr + a.byteOffset, a.out.bytes, cudaMemcpyDeviceToHost), "copy from the device");
}

void kernels::copy(const CopyArgs& a) {
  check(cudaMemcpyAsync(a.dst, a.src, static_cast<size_t>(a.bytes), cudaMemcpyDeviceToDevice), "device copy");
}

void kernels::zero(const ZeroArgs& a) { check(cudaMemsetAsync(a.addr, 0, static_cast<size_t>(a.bytes)), "cudaMemset"); }

void kernels::synchronize() { check(cudaDeviceSynchronize(), "synchronize"); }

std::string kernels::deviceInfo() {
  int device = 0, count = 0, driver = 0, runtime = 0;
  check(cudaGetDeviceCount(&count), "no usable CUDA device");
  check(cudaGetDevice(&device), "cudaGetDevice");
  cudaDeviceProp p{};
  check(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties");
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  std::string name;
  for (const char* c = p.name; *c; c++) if (*c != '"' && *c != '\\') name += *c;
  return "{\"name\":\"" + name + "\",\"devices\":" + std::to_string(count) + ",\"computeCapability\":\"" + std::to_string(p.major) + "." +
         std::to_string(p.minor) + "\",\"multiprocessors\":" + std::to_string(p.multiProcessorCount) + ",\"memoryBytes\":" +
         std::to_string(p.totalGlobalMem) + ",\"driverVersion\":" + std::to_string(driver) + ",\"runtimeVersion\":" + std::to_string(runtime) + "}";
}

}  // namespace astarpo
