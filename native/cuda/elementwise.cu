// Elementwise kernels, reductions, bf16 conversions, SwiGLU and AdamW on the
// device: one thread per element in grid-stride loops; sums reduce per block
// in double, as the CPU sums in double.
#include "runtime.cuh"

namespace astarpo {
namespace {

using namespace cuda;

__global__ void fillKernel(float* y, int64_t n, float v) {
  ASTARPO_GRID_LOOP(i, n) y[i] = v;
}

template <BinaryOp op>
__global__ void binaryKernel(const float* a, const float* b, float* out, int64_t n, int64_t bn, int64_t inner) {
  ASTARPO_GRID_LOOP(i, n) {
    const float x = a[i], s = b[(i / inner) % bn];
    if constexpr (op == BinaryOp::Add) out[i] = x + s;
    else if constexpr (op == BinaryOp::Sub) out[i] = x - s;
    else if constexpr (op == BinaryOp::Mul) out[i] = x * s;
    else out[i] = x / s;
  }
}

__device__ inline float sigmoid(float v) { return 1.0f / (1.0f + __expf(-v)); }

__global__ void unaryKernel(UnaryOp op, const float* x, float* out, int64_t n) {
  ASTARPO_GRID_LOOP(i, n) {
    const float v = x[i];
    float r;
    switch (op) {
      case UnaryOp::Neg: r = -v; break;
      case UnaryOp::Exp: r = expf(v); break;
      case UnaryOp::Log: r = logf(v); break;
      case UnaryOp::Square: r = v * v; break;
      case UnaryOp::Sqrt: r = sqrtf(v); break;
      case UnaryOp::Silu: r = v * sigmoid(v); break;
      case UnaryOp::Relu: r = v > 0 ? v : 0.0f; break;
      case UnaryOp::Tanh: r = tanhf(v); break;
      default: r = fabsf(v);
    }
    out[i] = r;
  }
}

__global__ void unaryBackwardKernel(UnaryOp op, const float* x, const float* g, float* dx, int64_t n) {
  ASTARPO_GRID_LOOP(i, n) {
    const float v = x[i];
    float d;
    switch (op) {
      case UnaryOp::Neg: d = -1; break;
      case UnaryOp::Exp: d = expf(v); break;
      case UnaryOp::Log: d = 1.0f / v; break;
      case UnaryOp::Square: d = 2 * v; break;
      case UnaryOp::Sqrt: d = 0.5f / sqrtf(v); break;
      case UnaryOp::Silu: { const float s = sigmoid(v); d = s * (1 + v * (1 - s)); break; }
      case UnaryOp::Relu: d = v > 0 ? 1.0f : 0.0f; break;
      case UnaryOp::Tanh: { const float t = tanhf(v); d = 1 - t * t; break; }
      default: d = v > 0 ? 1.0f : v < 0 ? -1.0f : 0.0f;
    }
    dx[i] = g[i] * d;
  }
}

// The CPU's counter-based draw (ops_elementwise.cc): the same mask for the same seed on either device.
__global__ void dropoutKernel(const float* x, float* out, int64_t n, uint64_t state, uint64_t threshold, float keepScale) {
  ASTARPO_GRID_LOOP(i, n) {
    out[i] = dropoutDraw(state, i) >= threshold ? x[i] * keepScale : 0.0f;
  }
}

__global__ void axpbyKernel(float* y, const float* x, int64_t n, float alpha, float beta) {
  ASTARPO_GRID_LOOP(i, n) y[i] = alpha * x[i] + beta * y[i];
}

__global__ void sumKernel(const float* x, int64_t n, bool squares, double* total) {
  double s = 0;
  ASTARPO_GRID_LOOP(i, n) s += squares ? double(x[i]) * x[i] : double(x[i]);
  s = blockSum(s);
  if (threadIdx.x == 0) atomicAdd(total, s);
}

// One block per output entry j: the sum of g[i] over the i with (i / inner) % bn == j.
__global__ void reduceBroadcastKernel(const float* g, float* out, int64_t n, int64_t bn, int64_t inner, bool accumulate) {
  const int64_t j = blockIdx.x, perBlock = n / (bn * inner), count = perBlock * inner;
  double s = 0;
  for (int64_t t = threadIdx.x; t < count; t += blockDim.x) s += g[((t / inner) * bn + j) * inner + t % inner];
  s = blockSum(s);
  if (threadIdx.x == 0) out[j] = static_cast<float>(accumulate ? out[j] + s : s);
}

__global__ void sumLastDimKernel(const float* x, float* out, int64_t cols) {
  const float* row = x + blockIdx.x * cols;
  double s = 0;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) s += row[c];
  s = blockSum(s);
  if (threadIdx.x == 0) out[blockIdx.x] = static_cast<float>(s);
}

__global__ void allFiniteKernel(const float* x, int64_t n, int* bad) {
  ASTARPO_GRID_LOOP(i, n) if (!isfinite(x[i])) *bad = 1;
}

__global__ void toBf16Kernel(const uint32_t* src, uint16_t* dst, int64_t n) {
  ASTARPO_GRID_LOOP(i, n) dst[i] = floatBitsToBf16(src[i]);
}

__global__ void fromBf16Kernel(const uint16_t* src, uint32_t* dst, int64_t n) {
  ASTARPO_GRID_LOOP(i, n) dst[i] = uint32_t(src[i]) << 16;
}

__global__ void swigluKernel(const float* gate, const float* up, float* out, int64_t n) {
  ASTARPO_GRID_LOOP(i, n) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
}

__global__ void swigluBackwardKernel(const float* gate, const float* up, const float* dout, float* dgate, float* dup, int64_t n) {
  ASTARPO_GRID_LOOP(i, n) {
    const float g = gate[i], sig = sigmoid(g), d = dout[i];
    dup[i] = d * g * sig;
    dgate[i] = d * up[i] * sig * (1.0f + g * (1.0f - sig));
  }
}

__global__ void adamwKernel(float* p, const float* g, float* m, float* v, int64_t n, float lr, float b1, float b2, float eps,
                            float decay, float bc1, float bc2, float gradScale) {
  const float keep = 1.0f - lr * decay, step = lr / bc1, rbc2 = 1.0f / bc2;
  ASTARPO_GRID_LOOP(i, n) {
    const float gi = g[i] * gradScale;
    const float mi = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * keep - step * mi / (sqrtf(vi * rbc2) + eps);
  }
}

Staging<double> g_sum;
Staging<int> g_flag;

}  // namespace

void kernels::fill(const FillArgs& a) {
  fillKernel<<<gridFor(a.n), kThreads>>>(a.y, a.n, a.value);
  launched("fill");
}

void kernels::binary(const BinaryArgs& a) {
  const unsigned grid = gridFor(a.n);
  switch (a.op) {
    case BinaryOp::Add: binaryKernel<BinaryOp::Add><<<grid, kThreads>>>(a.a, a.b, a.out, a.n, a.bn, a.inner); break;
    case BinaryOp::Sub: binaryKernel<BinaryOp::Sub><<<grid, kThreads>>>(a.a, a.b, a.out, a.n, a.bn, a.inner); break;
    case BinaryOp::Mul: binaryKernel<BinaryOp::Mul><<<grid, kThreads>>>(a.a, a.b, a.out, a.n, a.bn, a.inner); break;
    case BinaryOp::Div: binaryKernel<BinaryOp::Div><<<grid, kThreads>>>(a.a, a.b, a.out, a.n, a.bn, a.inner); break;
  }
  launched("binary");
}

void kernels::unary(const UnaryArgs& a) {
  unaryKernel<<<gridFor(a.n), kThreads>>>(a.op, a.x, a.out, a.n);
  launched("unary");
}

void kernels::unaryBackward(const UnaryBackwardArgs& a) {
  unaryBackwardKernel<<<gridFor(a.n), kThreads>>>(a.op, a.x, a.g, a.dx, a.n);
  launched("unaryBackward");
}

void kernels::dropout(const DropoutArgs& a) {
  if (!(a.p >= 0 && a.p < 1)) throw KernelError("p must lie in [0, 1)");
  const uint64_t threshold = static_cast<uint64_t>(a.p * 4294967296.0);
  dropoutKernel<<<gridFor(a.n), kThreads>>>(a.x, a.out, a.n, mix64(static_cast<uint64_t>(a.seed)), threshold,
                                            static_cast<float>(1.0 / (1.0 - a.p)));
  launched("dropout");
}

void kernels::axpby(const AxpbyArgs& a) {
  axpbyKernel<<<gridFor(a.n), kThreads>>>(a.y, a.x, a.n, a.alpha, a.beta);
  launched("axpby");
}

double kernels::sum(const SumArgs& a) {
  double* total = g_sum.reserve(1);
  check(cudaMemsetAsync(total, 0, sizeof(double)), "cudaMemset");
  if (a.n > 0) sumKernel<<<std::min(gridFor(a.n), 1024u), kThreads>>>(a.x, a.n, a.squares, total);
  launched("sum");
  double result = 0;
  download(&result, total, 1);
  return result;
}

void kernels::reduceBroadcast(const ReduceBroadcastArgs& a) {
  if (a.bn > 0) reduceBroadcastKernel<<<static_cast<unsigned>(a.bn), kThreads>>>(a.g, a.out, a.n, a.bn, a.inner, a.accumulate);
  launched("reduceBroadcast");
}

void kernels::sumLastDim(const SumLastDimArgs& a) {
  if (a.rows > 0) sumLastDimKernel<<<static_cast<unsigned>(a.rows), kThreads>>>(a.x, a.out, a.cols);
  launched("sumLastDim");
}

bool kernels::allFinite(const AllFiniteArgs& a) {
  int* bad = g_flag.reserve(1);
  check(cudaMemsetAsync(bad, 0, sizeof(int)), "cudaMemset");
  if (a.n > 0) allFiniteKernel<<<gridFor(a.n), kThreads>>>(a.x, a.n, bad);
  launched("allFinite");
  int result = 0;
  download(&result, bad, 1);
  return result == 0;
}

void kernels::toBf16(const ToBf16Args& a) {
  toBf16Kernel<<<gridFor(a.n), kThreads>>>(reinterpret_cast<const uint32_t*>(a.src), a.dst, a.n);
  launched("toBf16");
}

void kernels::fromBf16(const FromBf16Args& a) {
  fromBf16Kernel<<<gridFor(a.n), kThreads>>>(a.src, reinterpret_cast<uint32_t*>(a.dst), a.n);
  launched("fromBf16");
}

void kernels::swiglu(const SwigluArgs& a) {
  swigluKernel<<<gridFor(a.n), kThreads>>>(a.gate, a.up, a.out, a.n);
  launched("swiglu");
}

void kernels::swigluBackward(const SwigluBackwardArgs& a) {
  swigluBackwardKernel<<<gridFor(a.n), kThreads>>>(a.gate, a.up, a.dout, a.dgate, a.dup, a.n);
  launched("swigluBackward");
}

void kernels::adamw(const AdamwArgs& a) {
  adamwKernel<<<gridFor(a.n), kThreads>>>(a.param, a.grad, a.m, a.v, a.n, a.lr, a.beta1, a.beta2, a.eps, a.weightDecay,
                                          a.biasCorrection1, a.biasCorrection2, a.gradScale);
  launched("adamw");
}

}  // namespace astarpo
