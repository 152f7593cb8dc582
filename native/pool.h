// The one thread pool for all native work, sized to the machine's cores.
// Kernels never create threads of their own: two pools on two cores fight.
#pragma once
#include <cstdint>
#include <algorithm>

namespace astarpo {

int threadCount();

// Runs fn(ctx, task) for every task in [0, tasks) on the pool, the calling
// thread included; returns when all are done. Called from inside a task it
// runs the tasks inline, so nested parallel loops are safe (and serial).
void runTasks(int tasks, void (*fn)(void* ctx, int task), void* ctx);

// Chunks per thread of a large parallelFor: the pool hands them out as
// threads come free, so a thread that loses its core to another process
// delays one chunk, not half of the loop.
constexpr int kChunksPerThread = 4;

// Splits [0, n) into contiguous chunks of at least `grain` items (at most
// kChunksPerThread per thread) and calls body(begin, end) for each.
template <class Body>
void parallelFor(int64_t n, int64_t grain, Body&& body) {
  if (n <= 0) return;
  int64_t chunks = std::min<int64_t>(int64_t(threadCount()) * kChunksPerThread, std::max<int64_t>(1, n / std::max<int64_t>(1, grain)));
  if (chunks <= 1) { body(int64_t(0), n); return; }
  struct Ctx { Body* body; int64_t n, chunks; } ctx{&body, n, chunks};
  runTasks(static_cast<int>(chunks), [](void* p, int t) {
    auto* c = static_cast<Ctx*>(p);
    int64_t begin = c->n * t / c->chunks, end = c->n * (t + 1) / c->chunks;
    (*c->body)(begin, end);
  }, &ctx);
}

// Like parallelFor but with an explicit task count (e.g. one per tile).
template <class Body>
void parallelTasks(int tasks, Body&& body) {
  if (tasks <= 0) return;
  if (tasks == 1) { body(0); return; }
  runTasks(tasks, [](void* p, int t) { (*static_cast<Body*>(p))(t); }, &body);
}

}  // namespace astarpo
