// Generated from src/tensor/kernels.ts by scripts/gen-kernels.ts (npm run gen:kernels): do not edit.

// One argument struct and one declaration per kernel; each backend defines the functions.
#pragma once
#include <cstdint>
#include <string>

namespace astarpo {

enum class ElementType : int32_t { F32 = 0, Bf16 = 1 };
enum class BinaryOp : int32_t { Add = 0, Sub = 1, Mul = 2, Div = 3 };
enum class UnaryOp : int32_t { Neg = 0, Exp = 1, Log = 2, Square = 3, Sqrt = 4, Silu = 5, Relu = 6, Tanh = 7, Abs = 8 };

namespace kernels {

struct AllocArgs {
  int64_t bytes;
};
void* alloc(const AllocArgs& args);

struct FreeArgs {
  char* addr;
};
void free(const FreeArgs& args);

struct MemoryStatsArgs {
  HostArray<double> out;
};
void memoryStats(const MemoryStatsArgs& args);

void resetPeak();

void releaseCache();

struct CopyInArgs {
  char* addr;
  int64_t byteOffset;
  HostBytes<const void> data;
};
void copyIn(const CopyInArgs& args);

struct CopyOutArgs {
  const char* addr;
  int64_t byteOffset;
  HostBytes<void> out;
};
void copyOut(const CopyOutArgs& args);

struct CopyArgs {
  char* dst;
  const char* src;
  int64_t bytes;
};
void copy(const CopyArgs& args);

struct ZeroArgs {
  char* addr;
  int64_t bytes;
};
void zero(const ZeroArgs& args);

struct FillArgs {
  float* y;
  int64_t n;
  float value;
};
void fill(const FillArgs& args);

struct GemmArgs {
  int64_t M;
  int64_t N;
  int64_t K;
  const float* a;
  int64_t lda;
  bool transA;
  const void* b;
  int64_t ldb;
  bool transB;
  float* c;
  int64_t ldc;
  float alpha;
  float beta;
  const float* bias;  // may be null
  int64_t batch;
  int64_t strideA;
  int64_t strideB;
  int64_t strideC;
  ElementType bType;
};
void gemm(const GemmArgs& args);

struct ToBf16Args {
  const float* src;
  uint16_t* dst;
  int64_t n;
};
void toBf16(const ToBf16Args& args);

struct FromBf16Args {
  const uint16_t* src;
  float* dst;
  int64_t n;
};
void fromBf16(const FromBf16Args& args);

struct BinaryArgs {
  BinaryOp op;
  const float* a;
  const float* b;
  float* out;
  int64_t n;
  int64_t bn;
  int64_t inner;
};
void binary(const BinaryArgs& args);

struct UnaryArgs {
  UnaryOp op;
  const float* x;
  float* out;
  int64_t n;
};
void unary(const UnaryArgs& args);

struct UnaryBackwardArgs {
  UnaryOp op;
  const float* x;
  const float* g;
  float* dx;
  int64_t n;
};
void unaryBackward(const UnaryBackwardArgs& args);

struct DropoutArgs {
  const float* x;
  float* out;
  int64_t n;
  double p;
  int64_t seed;
};
void dropout(const DropoutArgs& args);

struct AxpbyArgs {
  float* y;
  const float* x;
  int64_t n;
  float alpha;
  float beta;
};
void axpby(const AxpbyArgs& args);

struct SumArgs {
  const float* x;
  int64_t n;
  bool squares;
};
double sum(const SumArgs& args);

struct ReduceBroadcastArgs {
  const float* g;
  float* out;
  int64_t n;
  int64_t bn;
  int64_t inner;
  bool accumulate;
};
void reduceBroadcast(const ReduceBroadcastArgs& args);

struct SumLastDimArgs {
  const float* x;
  float* out;
  int64_t rows;
  int64_t cols;
};
void sumLastDim(const SumLastDimArgs& args);

struct AllFiniteArgs {
  const float* x;
  int64_t n;
};
bool allFinite(const AllFiniteArgs& args);

struct RmsNormArgs {
  const float* x;
  const float* w;
  float* out;
  float* rstd;  // may be null
  int64_t rows;
  int64_t cols;
  float eps;
};
void rmsNorm(const RmsNormArgs& args);

struct RmsNormBackwardArgs {
  const float* x;
  const float* w;
  const float* rstd;
  const float* g;
  float* dx;
  float* dw;  // may be null
  int64_t rows;
  int64_t cols;
};
void rmsNormBackward(const RmsNormBackwardArgs& args);

struct RopeTablesArgs {
  HostArray<const int32_t> positions;
  HostArray<const float> invFreq;
  double scaling;
  float* cos;
  float* sin;
  int64_t n;
  int64_t half;
};
void ropeTables(const RopeTablesArgs& args);

struct RopeArgs {
  const float* x;
  float* out;
  const float* cos;
  const float* sin;
  int64_t rows;
  int64_t heads;
  int64_t dim;
  bool inverse;
};
void rope(const RopeArgs& args);

struct SwigluArgs {
  const float* gate;
  const float* up;
  float* out;
  int64_t n;
};
void swiglu(const SwigluArgs& args);

struct SwigluBackwardArgs {
  const float* gate;
  const float* up;
  const float* dout;
  float* dgate;
  float* dup;
  int64_t n;
};
void swigluBackward(const SwigluBackwardArgs& args);

struct EmbeddingArgs {
  const int32_t* ids;
  const void* table;
  float* out;
  int64_t n;
  int64_t dim;
  int64_t vocab;
  ElementType tableType;
};
int64_t embedding(const EmbeddingArgs& args);

struct EmbeddingBackwardArgs {
  const int32_t* ids;
  const float* g;
  float* dtable;
  int64_t n;
  int64_t dim;
};
void embeddingBackward(const EmbeddingBackwardArgs& args);

struct GatherRowsArgs {
  const char* src;
  HostArray<const int32_t> indices;
  char* dst;
  int64_t count;
  int64_t rowBytes;
};
void gatherRows(const GatherRowsArgs& args);

struct WriteRowsArgs {
  char* dst;
  const char* src;
  int64_t batch;
  int64_t srcRows;
  int64_t dstRows;
  int64_t rowBytes;
  HostArray<const int32_t> offsets;
};
void writeRows(const WriteRowsArgs& args);

struct TokenLogProbsArgs {
  const float* logits;
  const int32_t* targets;
  float* logp;
  float* lse;
  float* entropy;  // may be null
  int64_t rows;
  int64_t vocab;
  float invTemperature;
};
void tokenLogProbs(const TokenLogProbsArgs& args);

struct TokenLogProbsBackwardArgs {
  const float* logits;
  const int32_t* targets;
  const float* lse;
  const float* entropy;  // may be null
  const float* glogp;  // may be null
  const float* gentropy;  // may be null
  float* dlogits;
  int64_t rows;
  int64_t vocab;
  float invTemperature;
};
void tokenLogProbsBackward(const TokenLogProbsBackwardArgs& args);

struct SampleRowsArgs {
  const float* logits;
  int64_t rows;
  int64_t vocab;
  float invTemperature;
  HostArray<const double> uniforms;
  HostArray<int32_t> tokens;
  HostArray<float> logprobs;
};
int64_t sampleRows(const SampleRowsArgs& args);

struct AdamwArgs {
  float* param;
  const float* grad;
  float* m;
  float* v;
  int64_t n;
  float lr;
  float beta1;
  float beta2;
  float eps;
  float weightDecay;
  float biasCorrection1;
  float biasCorrection2;
  float gradScale;
};
void adamw(const AdamwArgs& args);

struct AttentionForwardArgs {
  const float* q;
  const float* k;
  const float* v;
  float* out;
  float* lse;  // may be null
  int64_t B;
  int64_t T;
  int64_t S;
  int64_t H;
  int64_t Hkv;
  int64_t D;
  float scale;
  HostArray<const int32_t> qPos;
  HostArray<const int32_t> keyStart;
  HostArray<const int32_t> kvLen;
};
void attentionForward(const AttentionForwardArgs& args);

struct AttentionBackwardArgs {
  const float* q;
  const float* k;
  const float* v;
  const float* out;
  const float* lse;
  const float* dout;
  float* dq;
  float* dk;
  float* dv;
  int64_t B;
  int64_t T;
  int64_t S;
  int64_t H;
  int64_t Hkv;
  int64_t D;
  float scale;
  HostArray<const int32_t> qPos;
  HostArray<const int32_t> keyStart;
  HostArray<const int32_t> kvLen;
};
void attentionBackward(const AttentionBackwardArgs& args);

#if !defined(ASTARPO_CUDA)
std::string isaName();
#endif

#if !defined(ASTARPO_CUDA)
struct SetIsaArgs {
  std::string isa;
};
void setIsa(const SetIsaArgs& args);
#endif

#if !defined(ASTARPO_CUDA)
int64_t threads();
#endif

#if !defined(ASTARPO_CUDA)
struct PeakFlopsArgs {
  double ms;
};
double peakFlops(const PeakFlopsArgs& args);
#endif

#if !defined(ASTARPO_CUDA)
void noop();
#endif

#if defined(ASTARPO_CUDA)
void synchronize();
#endif

#if defined(ASTARPO_CUDA)
std::string deviceInfo();
#endif

}  // namespace kernels
}  // namespace astarpo
