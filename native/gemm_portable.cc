// Portable tile kernel in plain C++: 4 rows x 8 columns, written so the
// compiler can keep the accumulators in whatever vector registers the
// baseline target has.
#include "gemm_kernels.h"
#include <utility>

namespace astarpo::gemm_detail {
namespace {

constexpr int kRows = 4;
constexpr int kCols = 8;

template <int Rows>
void tile(int64_t kc, const float* a, const float* b, int64_t bStride,
          float* c, int64_t ldc, int cols, float alpha, float beta, const float* bias) {
  float acc[Rows][kCols] = {};
  for (int64_t k = 0; k < kc; k++) {
    for (int i = 0; i < Rows; i++) {
      const float ai = a[i];
      for (int j = 0; j < kCols; j++) acc[i][j] += ai * b[j];
    }
    a += kRows;
    b += bStride;
  }
  for (int i = 0; i < Rows; i++) storeRow(c + i * ldc, acc[i], cols, alpha, beta, bias);
}

// Few-row products stream B up to this many rows.
constexpr int kStreamRows = 16;
constexpr int kDotRows = 2;
constexpr int kDotCols = 4;
constexpr int kLanes = 8;  // partial sums per dot product, so the loop needs no reassociation to vectorize

inline float widen(float x) { return x; }
inline float widen(Bf16 x) { return widenBf16(x); }

template <int Rows, int Cols, class W>
void dot(int64_t K, const float* a, int64_t lda, const W* w, int64_t ldw,
         float* c, int64_t ldc, float alpha, float beta, const float* bias) {
  float acc[Rows][Cols][kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= K; k += kLanes)
    for (int i = 0; i < Rows; i++)
      for (int j = 0; j < Cols; j++)
        for (int l = 0; l < kLanes; l++) acc[i][j][l] += a[i * lda + k + l] * widen(w[j * ldw + k + l]);
  for (; k < K; k++)
    for (int i = 0; i < Rows; i++)
      for (int j = 0; j < Cols; j++) acc[i][j][0] += a[i * lda + k] * widen(w[j * ldw + k]);
  for (int i = 0; i < Rows; i++) {
    float sums[Cols] = {};
    for (int j = 0; j < Cols; j++)
      for (int l = 0; l < kLanes; l++) sums[j] += acc[i][j][l];
    storeRow(c + i * ldc, sums, Cols, alpha, beta, bias);
  }
}

// Cache blocks: the packed A block (kMc x kKc) and a B micro-panel stay in L2.
constexpr int kKc = 256, kMc = 64, kNc = 1024;
static_assert(kMc % kRows == 0 && kNc % kCols == 0, "blocks hold whole tiles: packing fills whole panels");

template <int... R, int... D>
KernelSet makeSet(std::integer_sequence<int, R...>, std::integer_sequence<int, D...>) {
  return KernelSet{"portable", kRows, kCols, kKc, kMc, kNc, {&tile<R + 1>...}, &packAcrossScalar, &packAcrossBf16, &packAlongScalar,
                   kStreamRows, kDotRows, kDotCols, {&dot<D + 1, kDotCols, float>...}, {&dot<D + 1, 1, float>...},
                   {&dot<D + 1, kDotCols, Bf16>...}, {&dot<D + 1, 1, Bf16>...}};
}

}  // namespace

void packAcrossScalar(const float* src, int64_t rs, int rows, int64_t kc, int width, float* dst) {
  for (int i = 0; i < rows; i++)
    for (int64_t k = 0; k < kc; k++) dst[k * width + i] = src[i * rs + k];
  for (int64_t k = 0; k < kc; k++)
    for (int i = rows; i < width; i++) dst[k * width + i] = 0.0f;
}

void packAcrossBf16(const Bf16* src, int64_t rs, int rows, int64_t kc, int width, float* dst) {
  for (int i = 0; i < rows; i++)
    for (int64_t k = 0; k < kc; k++) dst[k * width + i] = widenBf16(src[i * rs + k]);
  for (int64_t k = 0; k < kc; k++)
    for (int i = rows; i < width; i++) dst[k * width + i] = 0.0f;
}

void packAlongBf16(const Bf16* src, int64_t cs, int rows, int64_t kc, int width, float* dst) {
  for (int64_t k = 0; k < kc; k++)
    for (int p = 0; p < rows; p += width) {
      float* d = dst + p * kc + k * width;
      const int n = rows - p < width ? rows - p : width;
      for (int i = 0; i < n; i++) d[i] = widenBf16(src[k * cs + p + i]);
      for (int i = n; i < width; i++) d[i] = 0.0f;
    }
}

void packAlongScalar(const float* src, int64_t cs, int rows, int64_t kc, int width, float* dst) {
  for (int64_t k = 0; k < kc; k++)
    for (int p = 0; p < rows; p += width) {
      float* d = dst + p * kc + k * width;
      const int n = rows - p < width ? rows - p : width;
      for (int i = 0; i < n; i++) d[i] = src[k * cs + p + i];
      for (int i = n; i < width; i++) d[i] = 0.0f;
    }
}

const KernelSet& portableKernels() {
  static const KernelSet set =
      makeSet(std::make_integer_sequence<int, kRows>(), std::make_integer_sequence<int, kDotRows>());
  return set;
}

}  // namespace astarpo::gemm_detail
