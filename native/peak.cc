// The machine's fp32 peak: every pool thread runs independent FMA chains for
// a fixed time. The chains outnumber FMA latency x issue width, so the loop is
// bound by FMA throughput alone, the ceiling any matrix product can reach.
#include "pool.h"
#include "isa.h"
#include "kernels.h"
#include <atomic>
#include <chrono>
#include <immintrin.h>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kChains = 16;
constexpr int64_t kStepsPerCheck = 1 << 14;

// Each function runs kStepsPerCheck steps of kChains FMAs and returns the
// FLOPs done; `sink` keeps the results alive.
__attribute__((target("avx512f"))) double fmaBurst512(float* sink) {
  __m512 acc[kChains];
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < kChains; i++) acc[i] = _mm512_set1_ps(float(i));
  for (int64_t s = 0; s < kStepsPerCheck; s++)
#pragma GCC unroll 16
    for (int i = 0; i < kChains; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  float lanes[16];
  for (int i = 1; i < kChains; i++) acc[0] = _mm512_add_ps(acc[0], acc[i]);
  _mm512_storeu_ps(lanes, acc[0]);
  for (float v : lanes) *sink += v;
  return 2.0 * 16 * kChains * kStepsPerCheck;
}

__attribute__((target("avx2,fma"))) double fmaBurst256(float* sink) {
  constexpr int kChains256 = 12;  // 16 ymm registers: leave room for the constants
  __m256 acc[kChains256];
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < kChains256; i++) acc[i] = _mm256_set1_ps(float(i));
  for (int64_t s = 0; s < kStepsPerCheck; s++)
#pragma GCC unroll 16
    for (int i = 0; i < kChains256; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  float lanes[8];
  for (int i = 1; i < kChains256; i++) acc[0] = _mm256_add_ps(acc[0], acc[i]);
  _mm256_storeu_ps(lanes, acc[0]);
  for (float v : lanes) *sink += v;
  return 2.0 * 8 * kChains256 * kStepsPerCheck;
}

// What the portable kernels can use: multiply-adds the compiler may
// vectorize for the baseline target.
double fmaBurstPortable(float* sink) {
  float acc[kChains][4];
  for (int i = 0; i < kChains; i++)
    for (int j = 0; j < 4; j++) acc[i][j] = float(i + j);
  for (int64_t s = 0; s < kStepsPerCheck; s++)
    for (int i = 0; i < kChains; i++)
      for (int j = 0; j < 4; j++) acc[i][j] = acc[i][j] * 0.999999f + 1e-7f;
  for (int i = 0; i < kChains; i++)
    for (int j = 0; j < 4; j++) *sink += acc[i][j];
  return 2.0 * 4 * kChains * kStepsPerCheck;
}

}  // namespace

namespace astarpo {

// GFLOP/s of FMA-only loops on every pool thread for about `ms` milliseconds, with the active instruction set.
double kernels::peakFlops(const PeakFlopsArgs& args) {
  const double ms = args.ms;
  if (!(ms > 0 && ms <= 60000)) throw KernelError("ms must be in (0, 60000]");
  double (*burst)(float*) = isa() == Isa::Avx512 ? fmaBurst512 : isa() == Isa::Avx2 ? fmaBurst256 : fmaBurstPortable;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::chrono::microseconds(static_cast<int64_t>(ms * 1000));
  std::atomic<double> flops{0};
  struct Ctx { double (*burst)(float*); Clock::time_point deadline; std::atomic<double>* flops; } ctx{burst, deadline, &flops};
  runTasks(threadCount(), [](void* p, int) {
    auto* c = static_cast<Ctx*>(p);
    float sink = 0;
    double done = 0;
    // At least one burst: a thread that starts after the deadline (a loaded machine) still measures something.
    do done += c->burst(&sink); while (Clock::now() < c->deadline);
    double seen = c->flops->load();
    while (!c->flops->compare_exchange_weak(seen, seen + done + (sink == 12345.678f ? 1 : 0))) {}
  }, &ctx);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return flops.load() / seconds * 1e-9;
}

}  // namespace astarpo
