// Softmax over the vocabulary without materialising it: per-token
// log-probabilities (and entropy) of chosen tokens, drawing a token from it,
// and the AdamW update. The log-prob backward recomputes the softmax from the
// saved log-sum-exp instead of keeping a [rows, vocab] probability matrix.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>
#include "pool.h"
#include "kernels.h"
#include "simd.h"

namespace astarpo {

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

// A negative target marks padding: its log-prob is 0 and it gets no gradient.
void kernels::tokenLogProbs(const TokenLogProbsArgs& a) {
  const int64_t rows = a.rows, vocab = a.vocab;
  const float t = a.invTemperature;
  for (int64_t r = 0; r < rows; r++)
    if (a.targets[r] >= vocab) throw KernelError("target id past the vocabulary");
  parallelFor(rows, std::max<int64_t>(1, kParallelElements / vocab), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* z = a.logits + r * vocab;
      float shift = rowMax(z, vocab) * t;
      float weighted;
      float s = expSums(z, vocab, t, shift, &weighted);
      float l = shift + std::log(s);
      a.lse[r] = l;
      a.logp[r] = a.targets[r] < 0 ? 0.0f : z[a.targets[r]] * t - l;
      if (a.entropy) a.entropy[r] = l - weighted / s;
    }
  });
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

int64_t kernels::sampleRows(const SampleRowsArgs& a) {
  const int64_t rows = a.rows, vocab = a.vocab;
  parallelFor(rows, 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++)
      a.tokens.data[r] = drawToken(a.logits + r * vocab, vocab, a.invTemperature, a.uniforms.data[r], a.logprobs.data + r);
  });
  for (int64_t r = 0; r < rows; r++)
    if (a.tokens.data[r] < 0) return r;
  return -1;
}

void kernels::tokenLogProbsBackward(const TokenLogProbsBackwardArgs& a) {
  const int64_t vocab = a.vocab;
  const float t = a.invTemperature;
  parallelFor(a.rows, std::max<int64_t>(1, kParallelElements / vocab), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      bool pad = a.targets[r] < 0;
      float glr = a.glogp && !pad ? a.glogp[r] : 0.0f;
      float ger = a.gentropy && a.entropy ? a.gentropy[r] : 0.0f;
      float* dz = a.dlogits + r * vocab;
      logProbGradRow(a.logits + r * vocab, dz, vocab, t, a.lse[r], glr, ger, a.entropy ? a.entropy[r] : 0.0f);
      if (!pad) dz[a.targets[r]] += t * glr;
    }
  });
}

namespace {
ASTARPO_VECTORIZE void adamwRange(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
                                  int64_t begin, int64_t end, float lr, float b1, float b2, float eps, float decay,
                                  float bc1, float bc2, float gradScale) {
  float keep = 1.0f - lr * decay, step = lr / bc1, rbc2 = 1.0f / bc2;
  for (int64_t i = begin; i < end; i++) {
    float gi = g[i] * gradScale;
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * keep - step * mi / (std::sqrt(vi * rbc2) + eps);
  }
}
}  // namespace

// Decoupled weight decay as in torch.optim.AdamW: p *= 1 - lr*wd, then the Adam step. The gradient is
// read times gradScale (gradient clipping's factor), which saves clipping a pass over every gradient.
void kernels::adamw(const AdamwArgs& a) {
  parallelFor(a.n, kParallelElements, [&](int64_t b, int64_t e) {
    adamwRange(a.param, a.grad, a.m, a.v, b, e, a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.biasCorrection1, a.biasCorrection2, a.gradScale);
  });
}

}  // namespace astarpo
