// What the host and the device allocators share: size classes, a cache of
// freed blocks by class, and live/peak accounting of the bytes tensors hold.
//
// Freed blocks are cached by size class and handed out again: a training step
// allocates and frees the same few hundred activation sizes every time, and
// giving them back costs a system call now and page faults (host) or a
// device synchronisation (cudaFree) later. Live and peak count the bytes of
// blocks in use (what tensors hold); `cached` is what the cache keeps on top.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace astarpo {

constexpr size_t kBlockAlign = 64;

// Sizes round up to a multiple of 64 bytes up to 4 KiB, then to eighths of
// their power of two (at most 12.5% more than asked for).
inline size_t sizeClass(size_t bytes) {
  if (bytes <= 4096) return bytes == 0 ? kBlockAlign : (bytes + kBlockAlign - 1) / kBlockAlign * kBlockAlign;
  int shift = 63 - __builtin_clzll(bytes) - 3;
  size_t step = size_t{1} << shift;
  return (bytes + step - 1) & ~(step - 1);
}

// Live, peak and high-water bytes of blocks in use, and their count.
class Accounting {
 public:
  void added(size_t bytes) {
    const int64_t live = live_.fetch_add(static_cast<int64_t>(bytes)) + static_cast<int64_t>(bytes);
    raise(peak_, live);
    raise(highWater_, live);
    blocks_.fetch_add(1);
  }
  void removed(size_t bytes) {
    live_.fetch_sub(static_cast<int64_t>(bytes));
    blocks_.fetch_sub(1);
  }
  void resetPeak() { peak_.store(live_.load()); }
  int64_t live() const { return live_.load(); }
  int64_t peak() const { return peak_.load(); }
  int64_t blocks() const { return blocks_.load(); }
  int64_t highWater() const { return highWater_.load(); }

 private:
  static void raise(std::atomic<int64_t>& to, int64_t value) {
    int64_t seen = to.load();
    while (value > seen && !to.compare_exchange_weak(seen, value)) {}
  }
  std::atomic<int64_t> live_{0}, peak_{0}, blocks_{0}, highWater_{0};
};

// Freed blocks by class size, up to a limit in bytes.
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

  // Keeps the block if the cache has room under `limit`; false means the caller frees it.
  bool give(void* base, size_t classBytes, size_t limit) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_ + classBytes > limit) return false;
    free_[classBytes].push_back(base);
    cached_ += classBytes;
    return true;
  }

  // Hands every cached block to release(base, classBytes) and forgets them.
  template <class Release>
  void releaseAll(Release&& release) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [size, blocks] : free_) for (void* base : blocks) release(base, size);
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

// [live bytes, peak bytes, live blocks, cached bytes] into as many of out's entries as it has.
inline void writeStats(const Accounting& a, BlockCache& cache, double* out, size_t length) {
  const double stats[4] = {double(a.live()), double(a.peak()), double(a.blocks()), double(cache.cached())};
  for (size_t i = 0; i < std::min<size_t>(length, 4); i++) out[i] = stats[i];
}

}  // namespace astarpo
