// Softmax over the vocabulary without keeping it, on the device: per-token
// log-probs (and entropy) with their backward, and drawing one token per row.
// One block per row; the backward recomputes the softmax from the saved
// log-sum-exp, as on the CPU.
#include <vector>
#include "runtime.cuh"

namespace astarpo {
namespace {

using namespace cuda;

__global__ void tokenLogProbsKernel(const float* logits, const int32_t* targets, float* logp, float* lse, float* entropy, int64_t vocab,
                                    float t) {
  const int64_t r = blockIdx.x;
  const float* z = logits + r * vocab;
  float most = -INFINITY;
  for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) most = fmaxf(most, z[i]);
  const float shift = blockMax(most) * t;
  float s = 0, w = 0;
  for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) {
    const float zi = z[i] * t, e = __expf(zi - shift);
    s += e;
    w += e * zi;
  }
  s = blockSum(s);
  w = blockSum(w);
  if (threadIdx.x == 0) {
    const float l = shift + logf(s);
    const int32_t target = targets[r];
    lse[r] = l;
    logp[r] = target < 0 ? 0.0f : z[target] * t - l;
    if (entropy) entropy[r] = l - w / s;
  }
}

// d logp_target / dz_k = t ([k == target] - p_k); d H / dz_k = -t p_k (log p_k + H)
__global__ void tokenLogProbsBackwardKernel(const float* logits, const int32_t* targets, const float* lse, const float* entropy,
                                            const float* glogp, const float* gentropy, float* dlogits, int64_t vocab, float t) {
  const int64_t r = blockIdx.x;
  const bool pad = targets[r] < 0;
  const float gl = glogp && !pad ? glogp[r] : 0.0f, ge = gentropy && entropy ? gentropy[r] : 0.0f;
  const float h = entropy ? entropy[r] : 0.0f, l = lse[r];
  const float* z = logits + r * vocab;
  float* dz = dlogits + r * vocab;
  for (int64_t k = threadIdx.x; k < vocab; k += blockDim.x) {
    const float logp = z[k] * t - l, p = __expf(logp);
    dz[k] = t * (-gl * p - ge * p * (logp + h)) + (!pad && k == targets[r] ? t * gl : 0.0f);
  }
}

constexpr int kSampleThreads = 256;

// Each thread sums the mass of its own contiguous run of the vocabulary; the runs' running totals find
// the run the uniform falls in, and that run's thread walks it. u < 0: the first most likely token.
__global__ void sampleKernel(const float* logits, int64_t vocab, float t, const double* uniforms, int32_t* tokens, float* logprobs) {
  __shared__ double mass[kSampleThreads];
  __shared__ int chosen;
  const int64_t r = blockIdx.x;
  const float* z = logits + r * vocab;
  const int64_t run = (vocab + blockDim.x - 1) / blockDim.x, begin = threadIdx.x * run, end = begin + run < vocab ? begin + run : vocab;
  float most = -INFINITY;
  for (int64_t i = begin; i < end; i++) most = fmaxf(most, z[i]);
  const float rowMost = blockMax(most), shift = rowMost * t;
  double own = 0;
  for (int64_t i = begin; i < end; i++) own += __expf(z[i] * t - shift);
  mass[threadIdx.x] = own;
  if (threadIdx.x == 0) chosen = INT32_MAX;
  __syncthreads();
  double total = 0;
  for (int k = 0; k < blockDim.x; k++) total += mass[k];  // every thread, in the same order: the same total
  const double u = uniforms[r];
  const bool valid = total > 0 && isfinite(total);
  if (valid && u < 0) {
    for (int64_t i = begin; i < end; i++)
      if (z[i] == rowMost) { atomicMin(&chosen, static_cast<int>(i)); break; }
  } else if (valid) {
    const double target = u * total;
    double before = 0;
    for (int k = 0; k < threadIdx.x; k++) before += mass[k];
    const bool last = threadIdx.x == blockDim.x - 1 || before + own >= total;
    if (own > 0 && (before + own > target || last) && before <= target) {
      int32_t token = -1;
      double running = before;
      for (int64_t i = begin; i < end; i++) {
        const float e = __expf(z[i] * t - shift);
        if (e <= 0) continue;
        running += e;
        token = static_cast<int32_t>(i);
        if (running > target) break;
      }
      if (token >= 0) atomicMin(&chosen, token);
    }
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    int token = valid ? chosen : -1;
    if (valid && token == INT32_MAX) {  // rounding left the target past every run's total: the last token with mass
      for (int64_t i = vocab - 1; i >= 0 && token == INT32_MAX; i--)
        if (__expf(z[i] * t - shift) > 0) token = static_cast<int>(i);
    }
    tokens[r] = token;
    logprobs[r] = token >= 0 ? static_cast<float>(z[token] * t - (shift + log(total))) : 0.0f;
  }
}

Staging<int32_t> g_tokens;
Staging<double> g_uniforms;
Staging<float> g_logprobs;

}  // namespace

// A negative target marks padding: its log-prob is 0 and it gets no gradient. The targets are read back
// to refuse one past the vocabulary, as the CPU does.
void kernels::tokenLogProbs(const TokenLogProbsArgs& a) {
  std::vector<int32_t> targets(static_cast<size_t>(a.rows));
  download(targets.data(), a.targets, targets.size());
  for (int32_t target : targets)
    if (target >= a.vocab) throw KernelError("target id past the vocabulary");
  if (a.rows > 0) tokenLogProbsKernel<<<static_cast<unsigned>(a.rows), kThreads>>>(a.logits, a.targets, a.logp, a.lse, a.entropy, a.vocab,
                                                                                    a.invTemperature);
  launched("tokenLogProbs");
}

void kernels::tokenLogProbsBackward(const TokenLogProbsBackwardArgs& a) {
  if (a.rows > 0)
    tokenLogProbsBackwardKernel<<<static_cast<unsigned>(a.rows), kThreads>>>(a.logits, a.targets, a.lse, a.entropy, a.glogp, a.gentropy,
                                                                              a.dlogits, a.vocab, a.invTemperature);
  launched("tokenLogProbsBackward");
}

int64_t kernels::sampleRows(const SampleRowsArgs& a) {
  const size_t rows = static_cast<size_t>(a.rows);
  if (rows == 0) return -1;
  const double* uniforms = g_uniforms.upload(a.uniforms.data, rows);
  int32_t* tokens = g_tokens.reserve(rows);
  float* logprobs = g_logprobs.reserve(rows);
  sampleKernel<<<static_cast<unsigned>(rows), kSampleThreads>>>(a.logits, a.vocab, a.invTemperature, uniforms, tokens, logprobs);
  launched("sampleRows");
  download(a.tokens.data, tokens, rows);
  download(a.logprobs.data, logprobs, rows);
  for (size_t r = 0; r < rows; r++)
    if (a.tokens.data[r] < 0) return static_cast<int64_t>(r);
  return -1;
}

}  // namespace astarpo
