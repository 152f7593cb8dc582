// Elementwise and reduction kernels. Broadcasting follows one rule: operand b
// has bn elements and element i of a pairs with b[(i / inner) % bn], which
// covers a trailing shape (inner = 1, e.g. a bias) and a leading one (inner =
// the block size, e.g. one scale per row).
#include <cmath>
#include <cstdint>
#include "pool.h"
#include "registry.h"
#include "simd.h"

using namespace astarpo;

namespace {

enum class Binary : int { Add = 0, Sub = 1, Mul = 2, Div = 3 };

template <Binary op>
ASTARPO_VECTORIZE void binaryRange(const float* __restrict a, const float* __restrict b, float* __restrict out,
                                   int64_t begin, int64_t end, int64_t bn, int64_t inner) {
  if (bn == 1) {
    float s = b[0];
    for (int64_t i = begin; i < end; i++) {
      if constexpr (op == Binary::Add) out[i] = a[i] + s;
      else if constexpr (op == Binary::Sub) out[i] = a[i] - s;
      else if constexpr (op == Binary::Mul) out[i] = a[i] * s;
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
        if constexpr (op == Binary::Add) out[k] = a[k] + bb[k];
        else if constexpr (op == Binary::Sub) out[k] = a[k] - bb[k];
        else if constexpr (op == Binary::Mul) out[k] = a[k] * bb[k];
        else out[k] = a[k] / bb[k];
      }
      i = stop;
    }
    return;
  }
  for (int64_t i = begin; i < end; i++) {
    float s = b[(i / inner) % bn];
    if constexpr (op == Binary::Add) out[i] = a[i] + s;
    else if constexpr (op == Binary::Sub) out[i] = a[i] - s;
    else if constexpr (op == Binary::Mul) out[i] = a[i] * s;
    else out[i] = a[i] / s;
  }
}

template <Binary op>
void binary(const float* a, const float* b, float* out, int64_t n, int64_t bn, int64_t inner) {
  parallelFor(n, kParallelElements, [&](int64_t begin, int64_t end) { binaryRange<op>(a, b, out, begin, end, bn, inner); });
}

enum class Unary : int { Neg = 0, Exp = 1, Log = 2, Square = 3, Sqrt = 4, Silu = 5, Relu = 6, Tanh = 7, Abs = 8 };

ASTARPO_VECTORIZE void unaryRange(int kind, const float* __restrict x, float* __restrict out, int64_t begin, int64_t end) {
  switch (static_cast<Unary>(kind)) {
    case Unary::Neg: for (int64_t i = begin; i < end; i++) out[i] = -x[i]; break;
    case Unary::Exp: for (int64_t i = begin; i < end; i++) out[i] = expApprox(x[i]); break;
    case Unary::Log: for (int64_t i = begin; i < end; i++) out[i] = std::log(x[i]); break;
    case Unary::Square: for (int64_t i = begin; i < end; i++) out[i] = x[i] * x[i]; break;
    case Unary::Sqrt: for (int64_t i = begin; i < end; i++) out[i] = std::sqrt(x[i]); break;
    case Unary::Silu: for (int64_t i = begin; i < end; i++) out[i] = x[i] / (1.0f + expApprox(-x[i])); break;
    case Unary::Relu: for (int64_t i = begin; i < end; i++) out[i] = x[i] > 0 ? x[i] : 0.0f; break;
    case Unary::Tanh: for (int64_t i = begin; i < end; i++) out[i] = std::tanh(x[i]); break;
    case Unary::Abs: for (int64_t i = begin; i < end; i++) out[i] = std::fabs(x[i]); break;
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

// splitmix64's finaliser: a 64-bit hash whose every output bit depends on every input bit.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Element i is kept when the i-th draw of splitmix64 seeded with `seed` is at
// least p (in units of 2^-32), and scaled by 1 / (1 - p). Each draw depends on
// (seed, i) alone, so the mask is the same on any number of threads and can be
// drawn again from the seed (the backward pass, a recomputed layer).
void dropoutRange(const float* __restrict x, float* __restrict out, int64_t begin, int64_t end, uint64_t seed,
                  uint64_t threshold, float keepScale) {
  const uint64_t state = mix64(seed);
  for (int64_t i = begin; i < end; i++) {
    const uint64_t draw = mix64(state + uint64_t(i + 1) * 0x9e3779b97f4a7c15ULL) >> 32;
    out[i] = draw >= threshold ? x[i] * keepScale : 0.0f;
  }
}

}  // namespace

// dropout(x, out, n, p, seed): out[i] = x[i] / (1 - p), or 0 with probability p, by a counter-based
// draw from (seed, i); the same call on the output's gradient is the backward pass.
ASTARPO_EXPORT(dropout) {
  Args a(env, info);
  const float* x = a.ptr<float>(0);
  float* out = a.ptr<float>(1);
  const int64_t n = a.i64(2);
  const double p = a.num(3), seed = a.num(4);
  if (!(p >= 0 && p < 1)) { throwError(env, "dropout: p must lie in [0, 1)"); return nullptr; }
  if (!(seed >= 0 && seed < 9007199254740992.0) || seed != double(int64_t(seed))) {
    throwError(env, "dropout: seed must be an integer in [0, 2^53)");
    return nullptr;
  }
  const uint64_t threshold = static_cast<uint64_t>(p * 4294967296.0);
  const float keepScale = static_cast<float>(1.0 / (1.0 - p));
  parallelFor(n, kParallelElements, [&](int64_t b, int64_t e) {
    dropoutRange(x, out, b, e, static_cast<uint64_t>(seed), threshold, keepScale);
  });
  return nullptr;
}

// binary(kind, a, b, out, n, bn, inner): out[i] = a[i] (+ - * /) b[(i / inner) % bn]
ASTARPO_EXPORT(binary) {
  Args a(env, info);
  int kind = static_cast<int>(a.i64(0));
  const float* x = a.ptr<float>(1);
  const float* y = a.ptr<float>(2);
  float* out = a.ptr<float>(3);
  int64_t n = a.i64(4), bn = a.i64(5), inner = a.i64(6);
  switch (static_cast<Binary>(kind)) {
    case Binary::Add: binary<Binary::Add>(x, y, out, n, bn, inner); break;
    case Binary::Sub: binary<Binary::Sub>(x, y, out, n, bn, inner); break;
    case Binary::Mul: binary<Binary::Mul>(x, y, out, n, bn, inner); break;
    case Binary::Div: binary<Binary::Div>(x, y, out, n, bn, inner); break;
    default: throwError(env, "binary: unknown kind");
  }
  return nullptr;
}

// unary(kind, x, out, n)
ASTARPO_EXPORT(unary) {
  Args a(env, info);
  int kind = static_cast<int>(a.i64(0));
  const float* x = a.ptr<float>(1);
  float* out = a.ptr<float>(2);
  parallelFor(a.i64(3), kParallelElements, [&](int64_t b, int64_t e) { unaryRange(kind, x, out, b, e); });
  return nullptr;
}

// axpby(y, x, n, alpha, beta): y = alpha * x + beta * y (gradient accumulation, scaling)
ASTARPO_EXPORT(axpby) {
  Args a(env, info);
  float* y = a.ptr<float>(0);
  const float* x = a.ptr<float>(1);
  float alpha = static_cast<float>(a.num(3)), beta = static_cast<float>(a.num(4));
  parallelFor(a.i64(2), kParallelElements, [&](int64_t b, int64_t e) { axpbyRange(y, x, alpha, beta, b, e); });
  return nullptr;
}

// fill(y, n, value)
ASTARPO_EXPORT(fill) {
  Args a(env, info);
  float* y = a.ptr<float>(0);
  float v = static_cast<float>(a.num(2));
  parallelFor(a.i64(1), kParallelElements, [&](int64_t b, int64_t e) { fillRange(y, v, b, e); });
  return nullptr;
}

// sum(x, n, squares) -> number (double accumulation)
ASTARPO_EXPORT(sum) {
  Args a(env, info);
  return number(env, sumAll(a.ptr<float>(0), a.i64(1), a.num(2) != 0));
}

// reduceBroadcast(g, out, n, bn, inner, accumulate): out[j] (+)= sum of g[i] over i with (i / inner) % bn == j.
// The gradient of an operand that was broadcast by `binary`.
ASTARPO_EXPORT(reduceBroadcast) {
  Args a(env, info);
  const float* g = a.ptr<float>(0);
  float* out = a.ptr<float>(1);
  int64_t n = a.i64(2), bn = a.i64(3), inner = a.i64(4);
  bool accumulate = a.num(5) != 0;
  // Each task owns a range of output entries j, so no two tasks write one place.
  int64_t blocks = n / (bn * inner);
  parallelFor(bn, std::max<int64_t>(1, kParallelElements / std::max<int64_t>(1, n / bn)), [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; j++) {
      double s = 0;
      for (int64_t blk = 0; blk < blocks; blk++) {
        const float* p = g + (blk * bn + j) * inner;
        for (int64_t k = 0; k < inner; k++) s += p[k];
      }
      out[j] = static_cast<float>(accumulate ? out[j] + s : s);
    }
  });
  return nullptr;
}

// sumLastDim(x, out, rows, cols): out[r] = sum_c x[r, c]
ASTARPO_EXPORT(sumLastDim) {
  Args a(env, info);
  const float* x = a.ptr<float>(0);
  float* out = a.ptr<float>(1);
  int64_t rows = a.i64(2), cols = a.i64(3);
  parallelFor(rows, std::max<int64_t>(1, kParallelElements / std::max<int64_t>(1, cols)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) out[r] = static_cast<float>(sumRange(x + r * cols, 0, cols, false));
  });
  return nullptr;
}

// isFinite(x, n) -> 1 when every element is finite
ASTARPO_EXPORT(allFinite) {
  Args a(env, info);
  const float* x = a.ptr<float>(0);
  int64_t n = a.i64(1);
  for (int64_t i = 0; i < n; i++) if (!std::isfinite(x[i])) return number(env, 0);
  return number(env, 1);
}
