// Elementwise and reduction kernels. Broadcasting follows one rule: operand b
// has bn elements and element i of a pairs with b[(i / inner) % bn], which
// covers a trailing shape (inner = 1, e.g. a bias) and a leading one (inner =
// the block size, e.g. one scale per row).
#include <cmath>
#include <cstdint>
#include "bits.h"
#include "pool.h"
#include "kernels.h"
#include "simd.h"

namespace astarpo {

namespace {

template <BinaryOp op>
ASTARPO_VECTORIZE void binaryRange(const float* __restrict a, const float* __restrict b, float* __restrict out,
                                   int64_t begin, int64_t end, int64_t bn, int64_t inner) {
  if (bn == 1) {
    float s = b[0];
    for (int64_t i = begin; i < end; i++) {
      if constexpr (op == BinaryOp::Add) out[i] = a[i] + s;
      else if constexpr (op == BinaryOp::Sub) out[i] = a[i] - s;
      else if constexpr (op == BinaryOp::Mul) out[i] = a[i] * s;
      else out[i] = a[i] / s;
    }
    return;
  }
  if (inner == 1) {
    // walk whole rows of b so the inner loop is a plain vector loop
    int64_t i = begin;
    while (i < end) {
      int64_t j = i % bn, stop = std::min(end, i + (bn - j));
      const float* bb = b + j - i;
      for (int64_t k = i; k < stop; k++) {
        if constexpr (op == BinaryOp::Add) out[k] = a[k] + bb[k];
        else if constexpr (op == BinaryOp::Sub) out[k] = a[k] - bb[k];
        else if constexpr (op == BinaryOp::Mul) out[k] = a[k] * bb[k];
        else out[k] = a[k] / bb[k];
      }
      i = stop;
    }
    return;
  }
  for (int64_t i = begin; i < end; i++) {
    float s = b[(i / inner) % bn];
    if constexpr (op == BinaryOp::Add) out[i] = a[i] + s;
    else if constexpr (op == BinaryOp::Sub) out[i] = a[i] - s;
    else if constexpr (op == BinaryOp::Mul) out[i] = a[i] * s;
    else out[i] = a[i] / s;
  }
}

template <BinaryOp op>
void binaryLoop(const float* a, const float* b, float* out, int64_t n, int64_t bn, int64_t inner) {
  parallelFor(n, kParallelElements, [&](int64_t begin, int64_t end) { binaryRange<op>(a, b, out, begin, end, bn, inner); });
}

ASTARPO_VECTORIZE void unaryRange(UnaryOp kind, const float* __restrict x, float* __restrict out, int64_t begin, int64_t end) {
  switch (kind) {
    case UnaryOp::Neg: for (int64_t i = begin; i < end; i++) out[i] = -x[i]; break;
    case UnaryOp::Exp: for (int64_t i = begin; i < end; i++) out[i] = expApprox(x[i]); break;
    case UnaryOp::Log: for (int64_t i = begin; i < end; i++) out[i] = std::log(x[i]); break;
    case UnaryOp::Square: for (int64_t i = begin; i < end; i++) out[i] = x[i] * x[i]; break;
    case UnaryOp::Sqrt: for (int64_t i = begin; i < end; i++) out[i] = std::sqrt(x[i]); break;
    case UnaryOp::Silu: for (int64_t i = begin; i < end; i++) out[i] = x[i] / (1.0f + expApprox(-x[i])); break;
    case UnaryOp::Relu: for (int64_t i = begin; i < end; i++) out[i] = x[i] > 0 ? x[i] : 0.0f; break;
    case UnaryOp::Tanh: for (int64_t i = begin; i < end; i++) out[i] = std::tanh(x[i]); break;
    case UnaryOp::Abs: for (int64_t i = begin; i < end; i++) out[i] = std::fabs(x[i]); break;
  }
}

// No __restrict: y and x may be the same array (scaling in place).
ASTARPO_VECTORIZE void axpbyRange(float* y, const float* x, float alpha, float beta, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; i++) y[i] = alpha * x[i] + beta * y[i];
}

ASTARPO_VECTORIZE void fillRange(float* __restrict y, float v, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; i++) y[i] = v;
}

// Sum in double over blocks of 256 floats: fp32 sums of a million terms drift.
// Within a block, kSumLanes independent partial sums: one running sum is a
// chain of dependent adds the compiler may not reorder, so it never
// vectorized (the gradient norm of a 0.5B model took half a second).
constexpr int kSumBlock = 256, kSumLanes = 16;

template <bool Squares>
ASTARPO_VECTORIZE float blockSum(const float* __restrict x) {
  float lanes[kSumLanes] = {};
  for (int k = 0; k < kSumBlock; k += kSumLanes)
    for (int l = 0; l < kSumLanes; l++) lanes[l] += Squares ? x[k + l] * x[k + l] : x[k + l];
  float sum = 0;
  for (int l = 0; l < kSumLanes; l++) sum += lanes[l];
  return sum;
}

double sumRange(const float* x, int64_t begin, int64_t end, bool squares) {
  double total = 0;
  int64_t i = begin;
  for (; i + kSumBlock <= end; i += kSumBlock) total += squares ? blockSum<true>(x + i) : blockSum<false>(x + i);
  for (; i < end; i++) total += squares ? double(x[i]) * x[i] : x[i];
  return total;
}

double sumAll(const float* x, int64_t n, bool squares) {
  double partial[64] = {0};
  if (n < kParallelElements) return sumRange(x, 0, n, squares);
  const int64_t chunks = std::min<int64_t>({int64_t(threadCount()) * kChunksPerThread, n / kParallelElements, 64});
  parallelTasks(static_cast<int>(chunks), [&](int t) {
    partial[t] = sumRange(x, n * t / chunks, n * (t + 1) / chunks, squares);
  });
  double total = 0;
  for (int64_t t = 0; t < chunks; t++) total += partial[t];
  return total;
}

// Element i is kept when the i-th draw of splitmix64 seeded with `seed` is at
// least p (in units of 2^-32), and scaled by 1 / (1 - p). Each draw depends on
// (seed, i) alone, so the mask is the same on any number of threads and can be
// drawn again from the seed (the backward pass, a recomputed layer).
void dropoutRange(const float* __restrict x, float* __restrict out, int64_t begin, int64_t end, uint64_t seed,
                  uint64_t threshold, float keepScale) {
  const uint64_t state = mix64(seed);
  for (int64_t i = begin; i < end; i++) {
    out[i] = dropoutDraw(state, i) >= threshold ? x[i] * keepScale : 0.0f;
  }
}

}  // namespace

// out[i] = x[i] / (1 - p), or 0 with probability p, by a counter-based draw from (seed, i); the same call
// on the output's gradient is the backward pass.
void kernels::dropout(const DropoutArgs& a) {
  if (!(a.p >= 0 && a.p < 1)) throw KernelError("p must lie in [0, 1)");
  const uint64_t threshold = static_cast<uint64_t>(a.p * 4294967296.0);
  const float keepScale = static_cast<float>(1.0 / (1.0 - a.p));
  parallelFor(a.n, kParallelElements, [&](int64_t b, int64_t e) {
    dropoutRange(a.x, a.out, b, e, static_cast<uint64_t>(a.seed), threshold, keepScale);
  });
}

void kernels::binary(const BinaryArgs& a) {
  switch (a.op) {
    case BinaryOp::Add: binaryLoop<BinaryOp::Add>(a.a, a.b, a.out, a.n, a.bn, a.inner); break;
    case BinaryOp::Sub: binaryLoop<BinaryOp::Sub>(a.a, a.b, a.out, a.n, a.bn, a.inner); break;
    case BinaryOp::Mul: binaryLoop<BinaryOp::Mul>(a.a, a.b, a.out, a.n, a.bn, a.inner); break;
    case BinaryOp::Div: binaryLoop<BinaryOp::Div>(a.a, a.b, a.out, a.n, a.bn, a.inner); break;
  }
}

void kernels::unary(const UnaryArgs& a) {
  parallelFor(a.n, kParallelElements, [&](int64_t b, int64_t e) { unaryRange(a.op, a.x, a.out, b, e); });
}

// y = alpha * x + beta * y (gradient accumulation, scaling)
void kernels::axpby(const AxpbyArgs& a) {
  parallelFor(a.n, kParallelElements, [&](int64_t b, int64_t e) { axpbyRange(a.y, a.x, a.alpha, a.beta, b, e); });
}

void kernels::fill(const FillArgs& a) {
  parallelFor(a.n, kParallelElements, [&](int64_t b, int64_t e) { fillRange(a.y, a.value, b, e); });
}

double kernels::sum(const SumArgs& a) { return sumAll(a.x, a.n, a.squares); }

// The gradient of an operand that was broadcast by `binary`.
void kernels::reduceBroadcast(const ReduceBroadcastArgs& a) {
  const float* g = a.g;
  float* out = a.out;
  const int64_t n = a.n, bn = a.bn, inner = a.inner;
  // Each task owns a range of output entries j, so no two tasks write one place.
  const int64_t blocks = n / (bn * inner);
  parallelFor(bn, std::max<int64_t>(1, kParallelElements / std::max<int64_t>(1, n / bn)), [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; j++) {
      double s = 0;
      for (int64_t blk = 0; blk < blocks; blk++) {
        const float* p = g + (blk * bn + j) * inner;
        for (int64_t k = 0; k < inner; k++) s += p[k];
      }
      out[j] = static_cast<float>(a.accumulate ? out[j] + s : s);
    }
  });
}

void kernels::sumLastDim(const SumLastDimArgs& a) {
  const int64_t cols = a.cols;
  parallelFor(a.rows, std::max<int64_t>(1, kParallelElements / std::max<int64_t>(1, cols)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) a.out[r] = static_cast<float>(sumRange(a.x + r * cols, 0, cols, false));
  });
}

bool kernels::allFinite(const AllFiniteArgs& a) {
  for (int64_t i = 0; i < a.n; i++) if (!std::isfinite(a.x[i])) return false;
  return true;
}

}  // namespace astarpo
