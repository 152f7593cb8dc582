// Softmax over the vocabulary without materialising it: per-token
// log-probabilities (and entropy) of chosen tokens, drawing a token from it,
// and the AdamW update. The log-prob backward recomputes the softmax from the
// saved log-sum-exp instead of keeping a [rows, vocab] probability matrix.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>
#include "pool.h"
#include "registry.h"
#include "simd.h"

using namespace astarpo;

namespace {

ASTARPO_VECTORIZE float rowMax(const float* __restrict z, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; i++) m = z[i] > m ? z[i] : m;
  return m;
}

// Returns sum exp(t*z - shift) and, through `weighted`, sum exp(t*z - shift) * t*z.
// Sixteen running sums per quantity: float additions may not be reordered,
// so independent lanes are what lets the loop vectorize.
ASTARPO_VECTORIZE float expSums(const float* __restrict z, int64_t n, float t, float shift, float* weighted) {
  constexpr int kLanes = 16;
  float s[kLanes] = {}, w[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; l++) {
      float zi = z[i + l] * t;
      float e = expApprox(zi - shift);
      s[l] += e;
      w[l] += e * zi;
    }
  }
  for (int l = 0; i < n; i++, l++) {
    float zi = z[i] * t;
    float e = expApprox(zi - shift);
    s[l] += e;
    w[l] += e * zi;
  }
  float total = 0, totalWeighted = 0;
  for (int l = 0; l < kLanes; l++) {
    total += s[l];
    totalWeighted += w[l];
  }
  *weighted = totalWeighted;
  return total;
}

ASTARPO_VECTORIZE void logProbGradRow(const float* __restrict z, float* __restrict dz, int64_t n, float t, float lse,
                                      float gl, float ge, float entropy) {
  // d logp_target / dz_k = [k == target] - p_k ; d H / dz_k = -p_k (log p_k + H)
  for (int64_t k = 0; k < n; k++) {
    float logp = z[k] * t - lse;
    float p = expApprox(logp);
    dz[k] = t * (-gl * p - ge * p * (logp + entropy));
  }
}

}  // namespace

// tokenLogProbs(logits, targets(addr int32), logp, lse, entropy|0, rows, vocab, invTemperature)
// A negative target marks padding: its log-prob is 0 and it gets no gradient.
ASTARPO_EXPORT(tokenLogProbs) {
  Args a(env, info);
  const float* logits = a.ptr<float>(0);
  const int32_t* targets = a.ptr<int32_t>(1);
  float* logp = a.ptr<float>(2);
  float* lse = a.ptr<float>(3);
  float* entropy = a.ptr<float>(4);
  int64_t rows = a.i64(5), vocab = a.i64(6);
  float t = static_cast<float>(a.num(7));
  for (int64_t r = 0; r < rows; r++)
    if (targets[r] >= vocab) { throwError(env, "tokenLogProbs: target id past the vocabulary"); return nullptr; }
  parallelFor(rows, std::max<int64_t>(1, kParallelElements / vocab), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* z = logits + r * vocab;
      float shift = rowMax(z, vocab) * t;
      float weighted;
      float s = expSums(z, vocab, t, shift, &weighted);
      float l = shift + std::log(s);
      lse[r] = l;
      logp[r] = targets[r] < 0 ? 0.0f : z[targets[r]] * t - l;
      if (entropy) entropy[r] = l - weighted / s;
    }
  });
  return nullptr;
}

namespace {

constexpr int64_t kSampleBlock = 1024;

// sum exp(t*z - shift) over one block, in sixteen lanes (see expSums).
ASTARPO_VECTORIZE float blockExpSum(const float* __restrict z, int64_t n, float t, float shift) {
  constexpr int kLanes = 16;
  float s[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; l++) s[l] += expApprox(z[i + l] * t - shift);
  for (int l = 0; i < n; i++, l++) s[l] += expApprox(z[i] * t - shift);
  float total = 0;
  for (int l = 0; l < kLanes; l++) total += s[l];
  return total;
}

// Draws a token from softmax(t * z) with the uniform u in [0, 1): the first
// token whose running mass passes u * total, found block by block so only one
// block is scanned element by element; u < 0 takes the first most likely
// token (greedy). Returns -1 when the mass is not finite.
int32_t drawToken(const float* z, int64_t vocab, float t, double u, float* logprob) {
  const float most = rowMax(z, vocab);
  const float shift = most * t;
  const int64_t blocks = (vocab + kSampleBlock - 1) / kSampleBlock;
  std::vector<double> mass(static_cast<size_t>(blocks));
  double total = 0;
  for (int64_t b = 0; b < blocks; b++) {
    const int64_t begin = b * kSampleBlock;
    mass[b] = blockExpSum(z + begin, std::min(kSampleBlock, vocab - begin), t, shift);
    total += mass[b];
  }
  if (!(total > 0) || !std::isfinite(total)) return -1;
  if (u < 0) {
    int64_t best = 0;
    while (z[best] != most) best++;
    *logprob = static_cast<float>(z[best] * t - (shift + std::log(total)));
    return static_cast<int32_t>(best);
  }
  const double target = u * total;
  double running = 0;
  int32_t token = -1;
  for (int64_t b = 0; b < blocks && token < 0; b++) {
    if (mass[b] <= 0) continue;
    const int64_t begin = b * kSampleBlock, end = std::min(vocab, begin + kSampleBlock);
    const bool crosses = running + mass[b] > target;
    if (!crosses && b + 1 < blocks) { running += mass[b]; continue; }
    // The block the target falls in, or the last one when rounding left the target past the total.
    for (int64_t i = begin; i < end; i++) {
      const float e = expApprox(z[i] * t - shift);
      if (e <= 0) continue;
      running += e;
      token = static_cast<int32_t>(i);
      if (running > target) break;
    }
    if (!crosses && token >= 0) break;
  }
  if (token < 0) {  // only reachable when the last blocks hold no mass: the last token that has some
    for (int64_t i = vocab - 1; i >= 0 && token < 0; i--)
      if (expApprox(z[i] * t - shift) > 0) token = static_cast<int32_t>(i);
  }
  *logprob = static_cast<float>(z[token] * t - (shift + std::log(total)));
  return token;
}

}  // namespace

// sampleRows(logits, rows, vocab, invTemperature, uniforms: Float64Array(rows), tokens: Int32Array(rows),
//            logprobs: Float32Array(rows)) -> -1, or the first row whose logits have no finite softmax.
// A negative uniform takes the row's most likely token.
ASTARPO_EXPORT(sampleRows) {
  Args a(env, info);
  const float* logits = a.ptr<float>(0);
  const int64_t rows = a.i64(1), vocab = a.i64(2);
  const float t = static_cast<float>(a.num(3));
  size_t ub, tb, lb;
  const double* uniforms = static_cast<const double*>(a.typed(4, &ub));
  int32_t* tokens = static_cast<int32_t*>(a.typed(5, &tb));
  float* logprobs = static_cast<float*>(a.typed(6, &lb));
  if (ub < size_t(rows) * 8 || tb < size_t(rows) * 4 || lb < size_t(rows) * 4) {
    throwError(env, "sampleRows: uniforms, tokens and logprobs need an entry per row");
    return nullptr;
  }
  parallelFor(rows, 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) tokens[r] = drawToken(logits + r * vocab, vocab, t, uniforms[r], logprobs + r);
  });
  for (int64_t r = 0; r < rows; r++)
    if (tokens[r] < 0) return number(env, static_cast<double>(r));
  return number(env, -1);
}

// tokenLogProbsBackward(logits, targets, lse, entropy|0, glogp|0, gentropy|0, dlogits, rows, vocab, invTemperature)
ASTARPO_EXPORT(tokenLogProbsBackward) {
  Args a(env, info);
  const float* logits = a.ptr<float>(0);
  const int32_t* targets = a.ptr<int32_t>(1);
  const float* lse = a.ptr<float>(2);
  const float* entropy = a.ptr<float>(3);
  const float* gl = a.ptr<float>(4);
  const float* ge = a.ptr<float>(5);
  float* dlogits = a.ptr<float>(6);
  int64_t rows = a.i64(7), vocab = a.i64(8);
  float t = static_cast<float>(a.num(9));
  parallelFor(rows, std::max<int64_t>(1, kParallelElements / vocab), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      bool pad = targets[r] < 0;
      float glr = gl && !pad ? gl[r] : 0.0f;
      float ger = ge && entropy ? ge[r] : 0.0f;
      float* dz = dlogits + r * vocab;
      logProbGradRow(logits + r * vocab, dz, vocab, t, lse[r], glr, ger, entropy ? entropy[r] : 0.0f);
      if (!pad) dz[targets[r]] += t * glr;
    }
  });
  return nullptr;
}

namespace {
ASTARPO_VECTORIZE void adamwRange(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
                                  int64_t begin, int64_t end, float lr, float b1, float b2, float eps, float decay,
                                  float bc1, float bc2) {
  float keep = 1.0f - lr * decay, step = lr / bc1, rbc2 = 1.0f / bc2;
  for (int64_t i = begin; i < end; i++) {
    float gi = g[i];
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * keep - step * mi / (std::sqrt(vi * rbc2) + eps);
  }
}
}  // namespace

// adamw(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, biasCorrection1, biasCorrection2)
// Decoupled weight decay as in torch.optim.AdamW: p *= 1 - lr*wd, then the Adam step.
ASTARPO_EXPORT(adamw) {
  Args a(env, info);
  float* p = a.ptr<float>(0);
  const float* g = a.ptr<float>(1);
  float* m = a.ptr<float>(2);
  float* v = a.ptr<float>(3);
  int64_t n = a.i64(4);
  float lr = static_cast<float>(a.num(5)), b1 = static_cast<float>(a.num(6)), b2 = static_cast<float>(a.num(7));
  float eps = static_cast<float>(a.num(8)), wd = static_cast<float>(a.num(9));
  float bc1 = static_cast<float>(a.num(10)), bc2 = static_cast<float>(a.num(11));
  parallelFor(n, kParallelElements, [&](int64_t b, int64_t e) { adamwRange(p, g, m, v, b, e, lr, b1, b2, eps, wd, bc1, bc2); });
  return nullptr;
}
