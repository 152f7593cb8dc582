// Blocked fp32 matrix product. Panels of op(A) and op(B) are packed into
// contiguous, zero-padded buffers (which also absorbs the transposes), then
// the instruction set's tile kernel sweeps them: a B panel (kc x nc) shared
// by every row block of A, an A block (mc x kc) and the B micro-panel in use
// kept in L2. Products of few rows skip packing B and stream it instead.
// Threads each take a rectangle of C and pack their own panels, so no
// barrier is ever needed inside a product. B may also be a bfloat16 weight,
// stored [N, K] or [K, N]: packing and the streaming kernels widen it as they
// read it.
#include "gemm.h"
#include "gemm_args.h"
#include "gemm_kernels.h"
#include "pool.h"
#include "isa.h"
#include "kernels.h"
#include <algorithm>
#include <cstdlib>
#include <new>

namespace astarpo {
namespace {

using gemm_detail::Bf16;
using gemm_detail::DotKernelOf;
using gemm_detail::KernelSet;

// Below this many multiply-adds (64^3) a product runs on the calling thread:
// handing half of it to the pool would cost more than it saves (measured on
// 2 cores: 96^3 takes 8 us on two threads, 13 us on one; 64^3 breaks even).
constexpr int64_t kParallelWork = int64_t(1) << 18;

// A strided view: element (r, k) is data[r * rs + k * cs].
struct View {
  const float* data;
  int64_t rs, cs;
};

struct Product {
  int64_t M, N, K;
  View a;  // op(A) as [M, K]
  View b;  // op(B) as [N, K]: packing reads B by output column
  const Bf16* b16;  // non-null: B is this bfloat16 matrix, laid out as b's strides say (b.data unused)
  float* c;
  int64_t ldc;
  float alpha, beta;
  const float* bias;
};

// A per-thread, 64-byte aligned scratch buffer, grown on demand and reused.
class Scratch {
 public:
  ~Scratch() { std::free(data_); }
  float* get(size_t floats) {
    if (floats > capacity_) {
      std::free(data_);
      capacity_ = (floats + 15) & ~size_t(15);
      data_ = static_cast<float*>(std::aligned_alloc(64, capacity_ * sizeof(float)));
      if (!data_) throw std::bad_alloc();
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

thread_local Scratch t_packA, t_packB;

// Packs rows [r0, r0 + rows) x depth [k0, k0 + kc) of a view into micro-panels
// of `width` rows: panel p holds, for each k, the `width` values of its rows
// (zero past the last row). Used for A (rows of C) and B (columns of C) alike.
void pack(const KernelSet& ks, const View& v, int64_t r0, int64_t rows, int64_t k0, int64_t kc, int width, float* dst) {
  const float* src = v.data + r0 * v.rs + k0 * v.cs;
  if (v.cs != 1) {  // a view is contiguous one way or the other
    ks.packAlong(src, v.cs, static_cast<int>(rows), kc, width, dst);
    return;
  }
  for (int64_t p = 0; p < rows; p += width, dst += kc * width)
    ks.packAcross(src + p * v.rs, v.rs, static_cast<int>(std::min<int64_t>(width, rows - p)), kc, width, dst);
}

// Packs op(B) columns [n0, n0 + cols) x depth [k0, k0 + kc), whichever type B holds.
void packB(const KernelSet& ks, const Product& p, int64_t n0, int64_t cols, int64_t k0, int64_t kc, float* dst) {
  if (!p.b16) { pack(ks, p.b, n0, cols, k0, kc, ks.nr, dst); return; }
  if (p.b.cs != 1) { gemm_detail::packAlongBf16(p.b16 + k0 * p.b.cs + n0, p.b.cs, static_cast<int>(cols), kc, ks.nr, dst); return; }
  for (int64_t j = 0; j < cols; j += ks.nr, dst += kc * ks.nr)
    ks.packAcrossBf16(p.b16 + (n0 + j) * p.b.rs + k0, p.b.rs, static_cast<int>(std::min<int64_t>(ks.nr, cols - j)), kc, ks.nr, dst);
}

int64_t roundUp(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// Packed A of at most this many bytes is kept for all of a thread's columns
// instead of being packed again for every panel of B (Zen 5, 256 x 4864 x 896:
// repacking A for each of five panels took ~4% of the product).
constexpr int64_t kHeldPackedABytes = int64_t(4) << 20;

// Operands packed once for all the tasks of a product that splits only the
// other dimension. Per block of kc along K (at pc * rows): `a` holds the
// panels of every row of op(A) (roundUp(M, mr) rows), `b` those of every
// column of op(B) (roundUp(N, nr) columns); null where each task packs its own.
struct SharedPanels {
  const float* a = nullptr;
  const float* b = nullptr;
};

// Rows [m0, m1) x columns [n0, n1) of C on the calling thread.
void runBlock(const KernelSet& ks, const Product& p, int64_t m0, int64_t m1, int64_t n0, int64_t n1, const SharedPanels& shared = {}) {
  const int64_t ncMax = std::min<int64_t>(ks.nc, roundUp(n1 - n0, ks.nr));
  const int64_t kcMax = std::min<int64_t>(ks.kc, p.K);
  const int64_t mcMax = std::min<int64_t>(ks.mc, roundUp(m1 - m0, ks.mr));
  const int64_t rowsPadded = roundUp(m1 - m0, ks.mr);
  const bool holdA = shared.a || (n1 - n0 > ks.nc && rowsPadded * kcMax * int64_t(sizeof(float)) <= kHeldPackedABytes);
  float* packedB = shared.b ? nullptr : t_packB.get(size_t(ncMax * kcMax));
  float* packedA = shared.a ? nullptr : t_packA.get(size_t((holdA ? rowsPadded : mcMax) * kcMax));
  for (int64_t pc = 0; pc < p.K; pc += ks.kc) {
    const int64_t kc = std::min<int64_t>(ks.kc, p.K - pc);
    const bool first = pc == 0;
    const float beta = first ? p.beta : 1.0f;
    // With held A, its panels for rows [m0, m1) at this depth.
    const float* heldA = shared.a ? shared.a + pc * roundUp(p.M, ks.mr) + m0 * kc : packedA;
    if (holdA && !shared.a) pack(ks, p.a, m0, m1 - m0, pc, kc, ks.mr, packedA);
    for (int64_t jc = n0; jc < n1; jc += ks.nc) {
      const int64_t nc = std::min<int64_t>(ks.nc, n1 - jc);
      const float* panelB = shared.b ? shared.b + pc * roundUp(p.N, ks.nr) + jc * kc : packedB;
      if (!shared.b) packB(ks, p, jc, nc, pc, kc, packedB);
      for (int64_t ic = m0; ic < m1; ic += ks.mc) {
        const int64_t mc = std::min<int64_t>(ks.mc, m1 - ic);
        const float* blockA = holdA ? heldA + (ic - m0) * kc : packedA;
        if (!holdA) pack(ks, p.a, ic, mc, pc, kc, ks.mr, packedA);
        for (int64_t jr = 0; jr < nc; jr += ks.nr) {
          const int cols = static_cast<int>(std::min<int64_t>(ks.nr, nc - jr));
          const float* bias = first && p.bias ? p.bias + jc + jr : nullptr;
          for (int64_t ir = 0; ir < mc; ir += ks.mr) {
            const int rows = static_cast<int>(std::min<int64_t>(ks.mr, mc - ir));
            ks.tile[rows - 1](kc, blockA + ir * kc, panelB + jr * kc, ks.nr,
                              p.c + (ic + ir) * p.ldc + jc + jr, p.ldc, cols, p.alpha, beta, bias);
          }
        }
      }
    }
  }
}

// K == 0: the product is empty, only the beta and bias terms remain.
void scaleOnly(const Product& p) {
  for (int64_t i = 0; i < p.M; i++) {
    float* row = p.c + i * p.ldc;
    for (int64_t j = 0; j < p.N; j++) {
      const float add = p.bias ? p.bias[j] : 0.0f;
      row[j] = p.beta != 0.0f ? p.beta * row[j] + add : add;
    }
  }
}

// Products of few rows use each element of B only a few times, so packing B
// costs about as much as the product. When B outgrows L2 they stream it from
// where it lies, up to the instruction set's bound. A smaller B stays packed
// unless it is stored [N, K] (dot products need no transpose), and then only
// for up to 32 rows: reading a small B [K, N] in place, rows a power-of-two
// stride apart, thrashes the cache sets it maps to.
bool fewRows(const KernelSet& ks, const Product& p) {
  if (p.b16 && p.b.cs != 1) return false;  // a bfloat16 B [K, N] has no streaming kernel: always packed
  if (p.N * p.K >= (int64_t(1) << 20)) return p.M <= ks.streamRows;
  return p.b.cs == 1 && p.M <= std::min(32, ks.streamRows);
}

// Large products are cut into a few tasks per thread, which the pool hands
// out as threads come free: on a shared machine a thread that loses its core
// for a while then holds up only its current task, not half of the product
// (two static halves made the 0.5B-shape training step wait ~2x its CPU time
// when other processes ran). A task is at least kTaskWork multiply-adds
// (~1 ms on one core), so the panels packed again per task stay a few percent.
constexpr int kTasksPerThread = 4;
constexpr int64_t kTaskWork = int64_t(1) << 26;

// How many tasks a product of M x N x K on `threads` threads is cut into at least.
int64_t minTasks(const Product& p, int threads) {
  return std::clamp<int64_t>(p.M * p.N * p.K / kTaskWork, threads, int64_t(threads) * kTasksPerThread);
}

// Splits the columns [0, N) into ranges of whole `unit`s, a few per thread,
// and runs body(n0, n1) for each; one range when the product is small.
template <class Body>
void splitColumns(const Product& p, int64_t unit, int threads, Body&& body) {
  const int64_t units = (p.N + unit - 1) / unit;
  const int tasks = p.M * p.N * p.K < kParallelWork ? 1 : static_cast<int>(std::min(minTasks(p, threads), units));
  parallelTasks(tasks, [&](int t) {
    const int64_t n0 = std::min(p.N, units * t / tasks * unit), n1 = std::min(p.N, units * (t + 1) / tasks * unit);
    if (n0 < n1) body(n0, n1);
  });
}

// Depth of one slice of the dot products: 8 rows of A at this depth (32 KB)
// stay in L1 while every group of weight rows passes by (Zen 5, 8 rows by
// a bf16 896 x 4864 weight: ~26 GB/s streamed unsliced, ~28 sliced).
constexpr int64_t kDotDepth = 1024;

// op(B) stored [N, K] (x @ W^T): dot products along K, rows of W in L1 while
// every row of A passes by. W is p.b's floats or p.b16's bfloat16 values.
template <class W>
void runFewRowsByDot(const KernelSet& ks, const Product& p, const W* w, const DotKernelOf<W>* dot,
                     const DotKernelOf<W>* dotOne, int threads) {
  const float* a = p.a.data;
  int64_t lda = p.a.rs;
  if (p.a.cs != 1) {  // A stored [K, M]: lay its few rows out along K first
    float* rows = t_packA.get(size_t(p.M * p.K));
    for (int64_t i = 0; i < p.M; i++)
      for (int64_t k = 0; k < p.K; k++) rows[i * p.K + k] = a[i * p.a.rs + k * p.a.cs];
    a = rows;
    lda = p.K;
  }
  splitColumns(p, ks.dotCols, threads, [&](int64_t n0, int64_t n1) {
    // Long rows go in slices of K, so the slice of A every column group reads stays in L1.
    for (int64_t k0 = 0; k0 < p.K; k0 += kDotDepth) {
      const int64_t kc = std::min(kDotDepth, p.K - k0);
      const bool first = k0 == 0;
      for (int64_t j = n0; j < n1;) {
        const bool wide = n1 - j >= ks.dotCols;
        const int64_t cols = wide ? ks.dotCols : 1;
        for (int64_t i = 0; i < p.M; i += ks.dotRows) {
          const int rows = static_cast<int>(std::min<int64_t>(ks.dotRows, p.M - i));
          (wide ? dot : dotOne)[rows - 1](kc, a + i * lda + k0, lda, w + j * p.b.rs + k0, p.b.rs, p.c + i * p.ldc + j, p.ldc,
                                          p.alpha, first ? p.beta : 1.0f, first && p.bias ? p.bias + j : nullptr);
        }
        j += cols;
      }
    }
  });
}

// op(B) stored [K, N]: the tile kernel reads full-width strips of B in place;
// only a ragged last strip is packed (zero-padded).
void runFewRowsByStrips(const KernelSet& ks, const Product& p, int threads) {
  float* packedA = t_packA.get(size_t(roundUp(p.M, ks.mr) * p.K));
  pack(ks, p.a, 0, p.M, 0, p.K, ks.mr, packedA);
  splitColumns(p, ks.nr, threads, [&](int64_t n0, int64_t n1) {
    for (int64_t j = n0; j < n1; j += ks.nr) {
      const int cols = static_cast<int>(std::min<int64_t>(ks.nr, n1 - j));
      const float* strip = p.b.data + j;
      int64_t stride = p.b.cs;
      if (cols < ks.nr) {
        float* packed = t_packB.get(size_t(p.K * ks.nr));
        pack(ks, p.b, j, cols, 0, p.K, ks.nr, packed);
        strip = packed;
        stride = ks.nr;
      }
      for (int64_t i = 0; i < p.M; i += ks.mr) {
        const int rows = static_cast<int>(std::min<int64_t>(ks.mr, p.M - i));
        ks.tile[rows - 1](p.K, packedA + i * p.K, strip, stride, p.c + i * p.ldc + j, p.ldc, cols,
                          p.alpha, p.beta, p.bias ? p.bias + j : nullptr);
      }
    }
  });
}

// A product whose tasks split only its columns packs all of op(A) once for
// them (only its rows: all of op(B)) when that takes at most this many bytes,
// instead of each task packing the same panels again (256 x 896 x 4864 in
// eight tasks: A packed eight times was ~12% of the product).
constexpr int64_t kSharedPanelBytes = int64_t(32) << 20;

thread_local Scratch t_sharedA, t_sharedB;

// Packs all of op(A) (isA) or op(B) into `dst` in SharedPanels' layout, K
// blocks and runs of panels spread over the threads; returns dst.
const float* packShared(const KernelSet& ks, const Product& p, bool isA, float* dst, int threads) {
  const int width = isA ? ks.mr : ks.nr;
  const int64_t count = isA ? p.M : p.N, padded = roundUp(count, width);
  const int64_t blocks = (p.K + ks.kc - 1) / ks.kc;
  const int64_t runs = std::min<int64_t>(padded / width, std::max<int64_t>(1, 2 * threads / blocks));
  parallelTasks(static_cast<int>(blocks * runs), [&](int t) {
    const int64_t pc = t / runs * ks.kc, kc = std::min<int64_t>(ks.kc, p.K - pc), run = t % runs;
    const int64_t r0 = padded / width * run / runs * width, r1 = std::min(count, padded / width * (run + 1) / runs * width);
    if (r0 >= r1) return;
    float* out = dst + pc * padded + r0 * kc;
    if (isA) pack(ks, p.a, r0, r1 - r0, pc, kc, ks.mr, out);
    else packB(ks, p, r0, r1 - r0, pc, kc, out);
  });
  return dst;
}

// Packing one element costs about as much time as this many multiply-adds in
// a tile kernel (a cycle against 1/32 of one at 2 x 16 FMA lanes).
constexpr double kPackCost = 16;

// Splits C into a grid of tm x tn rectangles, each a task that packs A for its
// rows and B for its columns: the grid weighs that packing against the
// slowest thread's share of the tiles.
void runProduct(const KernelSet& ks, const Product& p, int threads) {
  if (p.K == 0) { scaleOnly(p); return; }
  if (fewRows(ks, p)) {
    if (p.b16) runFewRowsByDot(ks, p, p.b16, ks.dotBf16, ks.dotOneBf16, threads);
    else if (p.b.cs == 1) runFewRowsByDot(ks, p, p.b.data, ks.dot, ks.dotOne, threads);
    else runFewRowsByStrips(ks, p, threads);
    return;
  }
  const int64_t rowTiles = (p.M + ks.mr - 1) / ks.mr, colTiles = (p.N + ks.nr - 1) / ks.nr;
  const int64_t work = p.M * p.N * p.K;
  if (threads <= 1 || work < kParallelWork || rowTiles * colTiles < 2) {
    runBlock(ks, p, 0, p.M, 0, p.N);
    return;
  }
  const int64_t wanted = minTasks(p, threads);
  const int64_t sharedA = roundUp(p.M, ks.mr) * p.K, sharedB = roundUp(p.N, ks.nr) * p.K;
  const auto shareable = [](int64_t floats) { return floats * int64_t(sizeof(float)) <= kSharedPanelBytes; };
  int tm = 1, tn = 1;
  double bestCost = -1;
  for (int64_t rows = 1; rows <= std::min(rowTiles, 2 * wanted); rows++) {
    const int64_t cols = std::min(colTiles, (wanted + rows - 1) / rows);
    if (rows * cols < std::min(wanted, rowTiles * colTiles)) continue;
    const int64_t tasks = rows * cols, rounds = (tasks + threads - 1) / threads;
    const bool shareA = rows == 1 && shareable(sharedA), shareB = cols == 1 && shareable(sharedB);
    const double packing = double(shareA ? 1 : cols) * p.M * p.K + double(shareB ? 1 : rows) * p.N * p.K;
    const double slowest = double(rounds) * ((rowTiles + rows - 1) / rows) * ks.mr * double((colTiles + cols - 1) / cols) * ks.nr * p.K;
    const double cost = slowest + kPackCost * packing / threads;
    if (bestCost < 0 || cost < bestCost) { bestCost = cost; tm = static_cast<int>(rows); tn = static_cast<int>(cols); }
  }
  SharedPanels shared;
  if (tm == 1 && shareable(sharedA)) shared.a = packShared(ks, p, true, t_sharedA.get(size_t(sharedA)), threads);
  if (tn == 1 && shareable(sharedB)) shared.b = packShared(ks, p, false, t_sharedB.get(size_t(sharedB)), threads);
  parallelTasks(tm * tn, [&](int t) {
    const int64_t ti = t / tn, tj = t % tn;
    const int64_t m0 = std::min(p.M, rowTiles * ti / tm * ks.mr), m1 = std::min(p.M, rowTiles * (ti + 1) / tm * ks.mr);
    const int64_t n0 = std::min(p.N, colTiles * tj / tn * ks.nr), n1 = std::min(p.N, colTiles * (tj + 1) / tn * ks.nr);
    if (m0 < m1 && n0 < n1) runBlock(ks, p, m0, m1, n0, n1, shared);
  });
}

const KernelSet& activeKernels() {
  switch (isa()) {
    case Isa::Avx512: return gemm_detail::avx512Kernels();
    case Isa::Avx2: return gemm_detail::avx2Kernels();
    default: return gemm_detail::portableKernels();
  }
}

}  // namespace

void gemm(int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, bool transA,
          const float* b, int64_t ldb, bool transB, float* c, int64_t ldc, float alpha, float beta,
          const float* bias, int64_t batch, int64_t strideA, int64_t strideB, int64_t strideC) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  const KernelSet& ks = activeKernels();
  Product p{M, N, K,
            transA ? View{a, 1, lda} : View{a, lda, 1},
            transB ? View{b, ldb, 1} : View{b, 1, ldb},
            nullptr, c, ldc, alpha, beta, bias};
  const int threads = threadCount();
  auto entry = [&](int64_t i) {
    Product q = p;
    q.a.data += i * strideA;
    q.b.data += i * strideB;
    q.c += i * strideC;
    return q;
  };
  // Many small products: one per thread beats splitting each one.
  if (batch > 1 && threads > 1 && M * N * K < kParallelWork) {
    const int64_t grain = std::max<int64_t>(1, kParallelWork / std::max<int64_t>(1, M * N * K));
    parallelFor(batch, grain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) runProduct(ks, entry(i), 1);
    });
    return;
  }
  for (int64_t i = 0; i < batch; i++) runProduct(ks, entry(i), threads);
}

void gemmBf16(int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, bool transA, const uint16_t* b, int64_t ldb,
              bool transB, float* c, int64_t ldc, float alpha, float beta, const float* bias) {
  if (M <= 0 || N <= 0) return;
  const Product p{M, N, K, transA ? View{a, 1, lda} : View{a, lda, 1}, transB ? View{nullptr, ldb, 1} : View{nullptr, 1, ldb},
                  b, c, ldc, alpha, beta, bias};
  runProduct(activeKernels(), p, threadCount());
}

}  // namespace astarpo

namespace astarpo {

// Addresses are native memory, bias null = none; bType Bf16: B holds bfloat16 (then batch = 1).
void kernels::gemm(const GemmArgs& a) {
  checkGemmArgs(a);
  if (a.bType == ElementType::Bf16) {
    gemmBf16(a.M, a.N, a.K, a.a, a.lda, a.transA, static_cast<const uint16_t*>(a.b), a.ldb, a.transB, a.c, a.ldc, a.alpha, a.beta, a.bias);
    return;
  }
  astarpo::gemm(a.M, a.N, a.K, a.a, a.lda, a.transA, static_cast<const float*>(a.b), a.ldb, a.transB, a.c, a.ldc, a.alpha, a.beta,
                a.bias, a.batch, a.strideA, a.strideB, a.strideC);
}

}  // namespace astarpo
