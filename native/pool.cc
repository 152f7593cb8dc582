#include "pool.h"
#include "kernels.h"
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <sched.h>
#include <thread>
#include <vector>
#include <immintrin.h>

namespace astarpo {
namespace {

int machineThreads() {
  if (const char* env = std::getenv("ASTARPO_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

thread_local bool t_insideTask = false;

// Waits until ready() holds: spinning first (the common case is a few
// microseconds), then yielding the core, because on a busy machine the thread
// we wait for may be the one that needs it.
template <class Ready>
void waitUntil(Ready ready) {
  for (int i = 0; !ready(); i++) {
    if (i < 4000) _mm_pause();
    else std::this_thread::yield();
  }
}

// One launch's tasks, published to the workers through an atomic pointer.
struct Launch {
  void (*fn)(void*, int);
  void* ctx;
  int tasks;
  std::atomic<int> next{0}, done{0};
};

// Workers spin briefly on a generation counter (a kernel launch is often
// microseconds after the last), then sleep on a condition variable. The caller
// works too and returns once every task is done: a worker that has not woken
// yet is not waited for, only one that is inside the launch.
class Pool {
 public:
  explicit Pool(int threads) : threads_(threads) {
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this] { workerLoop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int threads() const { return threads_; }

  void run(int tasks, void (*fn)(void*, int), void* ctx) {
    if (tasks <= 0) return;
    if (threads_ == 1 || tasks == 1 || t_insideTask) {
      bool was = t_insideTask;
      t_insideTask = true;
      for (int t = 0; t < tasks; t++) fn(ctx, t);
      t_insideTask = was;
      return;
    }
    std::lock_guard<std::mutex> serial(launchMutex_);
    Launch launch;
    launch.fn = fn;
    launch.ctx = ctx;
    launch.tasks = tasks;
    current_.store(&launch);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    work(launch);
    waitUntil([&] { return launch.done.load() == tasks; });
    // Unpublish, then wait out any worker that may still hold the pointer.
    current_.store(nullptr);
    waitUntil([&] { return active_.load() == 0; });
  }

 private:
  static void work(Launch& launch) {
    bool was = t_insideTask;
    t_insideTask = true;
    for (;;) {
      int t = launch.next.fetch_add(1);
      if (t >= launch.tasks) break;
      launch.fn(launch.ctx, t);
      launch.done.fetch_add(1);
    }
    t_insideTask = was;
  }

  // Workers start from generation 0, not from whatever the counter reads when
  // the thread first runs: a launch may already have happened by then.
  void workerLoop() {
    uint64_t seen = 0;
    for (;;) {
      bool woke = false;
      for (int spin = 0; spin < 20000; spin++) {
        if (generation_.load(std::memory_order_acquire) != seen) { woke = true; break; }
        _mm_pause();
      }
      if (!woke) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      }
      seen = generation_.load(std::memory_order_acquire);
      if (stop_) return;
      active_.fetch_add(1);
      if (Launch* launch = current_.load()) work(*launch);
      active_.fetch_sub(1);
    }
  }

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_, launchMutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<Launch*> current_{nullptr};
  std::atomic<int> active_{0};
  bool stop_ = false;
};

Pool& pool() {
  static Pool* p = new Pool(machineThreads());  // never destroyed: workers outlive module unload order
  return *p;
}

}  // namespace

int threadCount() { return pool().threads(); }
void runTasks(int tasks, void (*fn)(void*, int), void* ctx) { pool().run(tasks, fn, ctx); }

}  // namespace astarpo

namespace astarpo {

int64_t kernels::threads() { return threadCount(); }

}  // namespace astarpo
