// Generated from src/tensor/kernels.ts by scripts/gen-kernels.ts (npm run gen:kernels): do not edit.

// The N-API layer of every kernel: arity and argument checks, then the pure kernel.
#include "binding.h"

namespace astarpo::binding {
namespace {

napi_value allocBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "alloc", 1, "bytes");
  kernels::AllocArgs a{};
  if (!call.ok() ||
      !call.integer(0, "bytes", 0, a.bytes))
    return nullptr;
  return call.run([&] { return kernels::alloc(a); });
}

napi_value freeBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "free", 1, "addr");
  kernels::FreeArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "addr", false, a.addr))
    return nullptr;
  return call.run([&] { return kernels::free(a); });
}

napi_value memoryStatsBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "memoryStats", 1, "out");
  kernels::MemoryStatsArgs a{};
  if (!call.ok() ||
      !call.array(0, "out", napi_float64_array, "Float64Array", false, a.out))
    return nullptr;
  return call.run([&] { return kernels::memoryStats(a); });
}

napi_value resetPeakBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "resetPeak", 0, "");
  if (!call.ok()) return nullptr;
  return call.run([&] { return kernels::resetPeak(); });
}

napi_value releaseCacheBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "releaseCache", 0, "");
  if (!call.ok()) return nullptr;
  return call.run([&] { return kernels::releaseCache(); });
}

napi_value copyInBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "copyIn", 3, "addr, byteOffset, data");
  kernels::CopyInArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "addr", false, a.addr) ||
      !call.integer(1, "byteOffset", 0, a.byteOffset) ||
      !call.bytes(2, "data", a.data))
    return nullptr;
  return call.run([&] { return kernels::copyIn(a); });
}

napi_value copyOutBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "copyOut", 3, "addr, byteOffset, out");
  kernels::CopyOutArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "addr", false, a.addr) ||
      !call.integer(1, "byteOffset", 0, a.byteOffset) ||
      !call.bytes(2, "out", a.out))
    return nullptr;
  return call.run([&] { return kernels::copyOut(a); });
}

napi_value copyBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "copy", 3, "dst, src, bytes");
  kernels::CopyArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "dst", false, a.dst) ||
      !call.ptr(1, "src", false, a.src) ||
      !call.integer(2, "bytes", 0, a.bytes))
    return nullptr;
  return call.run([&] { return kernels::copy(a); });
}

napi_value zeroBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "zero", 2, "addr, bytes");
  kernels::ZeroArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "addr", false, a.addr) ||
      !call.integer(1, "bytes", 0, a.bytes))
    return nullptr;
  return call.run([&] { return kernels::zero(a); });
}

napi_value fillBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "fill", 3, "y, n, value");
  kernels::FillArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "y", false, a.y) ||
      !call.integer(1, "n", 0, a.n) ||
      !call.f32(2, "value", a.value))
    return nullptr;
  return call.run([&] { return kernels::fill(a); });
}

napi_value gemmBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "gemm", 19, "M, N, K, a, lda, transA, b, ldb, transB, c, ldc, alpha, beta, bias, batch, strideA, strideB, strideC, bType");
  kernels::GemmArgs a{};
  if (!call.ok() ||
      !call.integer(0, "M", 0, a.M) ||
      !call.integer(1, "N", 0, a.N) ||
      !call.integer(2, "K", 0, a.K) ||
      !call.ptr(3, "a", false, a.a) ||
      !call.integer(4, "lda", 1, a.lda) ||
      !call.flag(5, "transA", a.transA) ||
      !call.ptr(6, "b", false, a.b) ||
      !call.integer(7, "ldb", 1, a.ldb) ||
      !call.flag(8, "transB", a.transB) ||
      !call.ptr(9, "c", false, a.c) ||
      !call.integer(10, "ldc", 1, a.ldc) ||
      !call.f32(11, "alpha", a.alpha) ||
      !call.f32(12, "beta", a.beta) ||
      !call.ptr(13, "bias", true, a.bias) ||
      !call.integer(14, "batch", 1, a.batch) ||
      !call.integer(15, "strideA", 0, a.strideA) ||
      !call.integer(16, "strideB", 0, a.strideB) ||
      !call.integer(17, "strideC", 0, a.strideC) ||
      !call.enumValue(18, "bType", "ElementType", "0 F32, 1 Bf16", 2, a.bType))
    return nullptr;
  return call.run([&] { return kernels::gemm(a); });
}

napi_value toBf16Binding(napi_env env, napi_callback_info info) {
  Call call(env, info, "toBf16", 3, "src, dst, n");
  kernels::ToBf16Args a{};
  if (!call.ok() ||
      !call.ptr(0, "src", false, a.src) ||
      !call.ptr(1, "dst", false, a.dst) ||
      !call.integer(2, "n", 0, a.n))
    return nullptr;
  return call.run([&] { return kernels::toBf16(a); });
}

napi_value fromBf16Binding(napi_env env, napi_callback_info info) {
  Call call(env, info, "fromBf16", 3, "src, dst, n");
  kernels::FromBf16Args a{};
  if (!call.ok() ||
      !call.ptr(0, "src", false, a.src) ||
      !call.ptr(1, "dst", false, a.dst) ||
      !call.integer(2, "n", 0, a.n))
    return nullptr;
  return call.run([&] { return kernels::fromBf16(a); });
}

napi_value binaryBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "binary", 7, "op, a, b, out, n, bn, inner");
  kernels::BinaryArgs a{};
  if (!call.ok() ||
      !call.enumValue(0, "op", "BinaryOp", "0 Add, 1 Sub, 2 Mul, 3 Div", 4, a.op) ||
      !call.ptr(1, "a", false, a.a) ||
      !call.ptr(2, "b", false, a.b) ||
      !call.ptr(3, "out", false, a.out) ||
      !call.integer(4, "n", 0, a.n) ||
      !call.integer(5, "bn", 1, a.bn) ||
      !call.integer(6, "inner", 1, a.inner))
    return nullptr;
  return call.run([&] { return kernels::binary(a); });
}

napi_value unaryBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "unary", 4, "op, x, out, n");
  kernels::UnaryArgs a{};
  if (!call.ok() ||
      !call.enumValue(0, "op", "UnaryOp", "0 Neg, 1 Exp, 2 Log, 3 Square, 4 Sqrt, 5 Silu, 6 Relu, 7 Tanh, 8 Abs", 9, a.op) ||
      !call.ptr(1, "x", false, a.x) ||
      !call.ptr(2, "out", false, a.out) ||
      !call.integer(3, "n", 0, a.n))
    return nullptr;
  return call.run([&] { return kernels::unary(a); });
}

napi_value unaryBackwardBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "unaryBackward", 5, "op, x, g, dx, n");
  kernels::UnaryBackwardArgs a{};
  if (!call.ok() ||
      !call.enumValue(0, "op", "UnaryOp", "0 Neg, 1 Exp, 2 Log, 3 Square, 4 Sqrt, 5 Silu, 6 Relu, 7 Tanh, 8 Abs", 9, a.op) ||
      !call.ptr(1, "x", false, a.x) ||
      !call.ptr(2, "g", false, a.g) ||
      !call.ptr(3, "dx", false, a.dx) ||
      !call.integer(4, "n", 0, a.n))
    return nullptr;
  return call.run([&] { return kernels::unaryBackward(a); });
}

napi_value dropoutBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "dropout", 5, "x, out, n, p, seed");
  kernels::DropoutArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "x", false, a.x) ||
      !call.ptr(1, "out", false, a.out) ||
      !call.integer(2, "n", 0, a.n) ||
      !call.f64(3, "p", a.p) ||
      !call.integer(4, "seed", 0, a.seed))
    return nullptr;
  return call.run([&] { return kernels::dropout(a); });
}

napi_value axpbyBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "axpby", 5, "y, x, n, alpha, beta");
  kernels::AxpbyArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "y", false, a.y) ||
      !call.ptr(1, "x", false, a.x) ||
      !call.integer(2, "n", 0, a.n) ||
      !call.f32(3, "alpha", a.alpha) ||
      !call.f32(4, "beta", a.beta))
    return nullptr;
  return call.run([&] { return kernels::axpby(a); });
}

napi_value sumBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "sum", 3, "x, n, squares");
  kernels::SumArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "x", false, a.x) ||
      !call.integer(1, "n", 0, a.n) ||
      !call.flag(2, "squares", a.squares))
    return nullptr;
  return call.run([&] { return kernels::sum(a); });
}

napi_value reduceBroadcastBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "reduceBroadcast", 6, "g, out, n, bn, inner, accumulate");
  kernels::ReduceBroadcastArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "g", false, a.g) ||
      !call.ptr(1, "out", false, a.out) ||
      !call.integer(2, "n", 0, a.n) ||
      !call.integer(3, "bn", 1, a.bn) ||
      !call.integer(4, "inner", 1, a.inner) ||
      !call.flag(5, "accumulate", a.accumulate))
    return nullptr;
  return call.run([&] { return kernels::reduceBroadcast(a); });
}

napi_value sumLastDimBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "sumLastDim", 4, "x, out, rows, cols");
  kernels::SumLastDimArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "x", false, a.x) ||
      !call.ptr(1, "out", false, a.out) ||
      !call.integer(2, "rows", 0, a.rows) ||
      !call.integer(3, "cols", 0, a.cols))
    return nullptr;
  return call.run([&] { return kernels::sumLastDim(a); });
}

napi_value allFiniteBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "allFinite", 2, "x, n");
  kernels::AllFiniteArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "x", false, a.x) ||
      !call.integer(1, "n", 0, a.n))
    return nullptr;
  return call.run([&] { return kernels::allFinite(a); });
}

napi_value rmsNormBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "rmsNorm", 7, "x, w, out, rstd, rows, cols, eps");
  kernels::RmsNormArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "x", false, a.x) ||
      !call.ptr(1, "w", false, a.w) ||
      !call.ptr(2, "out", false, a.out) ||
      !call.ptr(3, "rstd", true, a.rstd) ||
      !call.integer(4, "rows", 0, a.rows) ||
      !call.integer(5, "cols", 1, a.cols) ||
      !call.f32(6, "eps", a.eps))
    return nullptr;
  return call.run([&] { return kernels::rmsNorm(a); });
}

napi_value rmsNormBackwardBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "rmsNormBackward", 8, "x, w, rstd, g, dx, dw, rows, cols");
  kernels::RmsNormBackwardArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "x", false, a.x) ||
      !call.ptr(1, "w", false, a.w) ||
      !call.ptr(2, "rstd", false, a.rstd) ||
      !call.ptr(3, "g", false, a.g) ||
      !call.ptr(4, "dx", false, a.dx) ||
      !call.ptr(5, "dw", true, a.dw) ||
      !call.integer(6, "rows", 0, a.rows) ||
      !call.integer(7, "cols", 1, a.cols))
    return nullptr;
  return call.run([&] { return kernels::rmsNormBackward(a); });
}

napi_value ropeTablesBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "ropeTables", 7, "positions, invFreq, scaling, cos, sin, n, half");
  kernels::RopeTablesArgs a{};
  if (!call.ok() ||
      !call.array(0, "positions", napi_int32_array, "Int32Array", false, a.positions) ||
      !call.array(1, "invFreq", napi_float32_array, "Float32Array", false, a.invFreq) ||
      !call.f64(2, "scaling", a.scaling) ||
      !call.ptr(3, "cos", false, a.cos) ||
      !call.ptr(4, "sin", false, a.sin) ||
      !call.integer(5, "n", 0, a.n) ||
      !call.integer(6, "half", 0, a.half) ||
      !call.holds(0, "positions", a.positions.length, a.n, "n") ||
      !call.holds(1, "invFreq", a.invFreq.length, a.half, "half"))
    return nullptr;
  return call.run([&] { return kernels::ropeTables(a); });
}

napi_value ropeBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "rope", 8, "x, out, cos, sin, rows, heads, dim, inverse");
  kernels::RopeArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "x", false, a.x) ||
      !call.ptr(1, "out", false, a.out) ||
      !call.ptr(2, "cos", false, a.cos) ||
      !call.ptr(3, "sin", false, a.sin) ||
      !call.integer(4, "rows", 0, a.rows) ||
      !call.integer(5, "heads", 0, a.heads) ||
      !call.integer(6, "dim", 0, a.dim) ||
      !call.flag(7, "inverse", a.inverse))
    return nullptr;
  return call.run([&] { return kernels::rope(a); });
}

napi_value swigluBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "swiglu", 4, "gate, up, out, n");
  kernels::SwigluArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "gate", false, a.gate) ||
      !call.ptr(1, "up", false, a.up) ||
      !call.ptr(2, "out", false, a.out) ||
      !call.integer(3, "n", 0, a.n))
    return nullptr;
  return call.run([&] { return kernels::swiglu(a); });
}

napi_value swigluBackwardBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "swigluBackward", 6, "gate, up, dout, dgate, dup, n");
  kernels::SwigluBackwardArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "gate", false, a.gate) ||
      !call.ptr(1, "up", false, a.up) ||
      !call.ptr(2, "dout", false, a.dout) ||
      !call.ptr(3, "dgate", false, a.dgate) ||
      !call.ptr(4, "dup", false, a.dup) ||
      !call.integer(5, "n", 0, a.n))
    return nullptr;
  return call.run([&] { return kernels::swigluBackward(a); });
}

napi_value embeddingBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "embedding", 7, "ids, table, out, n, dim, vocab, tableType");
  kernels::EmbeddingArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "ids", false, a.ids) ||
      !call.ptr(1, "table", false, a.table) ||
      !call.ptr(2, "out", false, a.out) ||
      !call.integer(3, "n", 0, a.n) ||
      !call.integer(4, "dim", 0, a.dim) ||
      !call.integer(5, "vocab", 0, a.vocab) ||
      !call.enumValue(6, "tableType", "ElementType", "0 F32, 1 Bf16", 2, a.tableType))
    return nullptr;
  return call.run([&] { return kernels::embedding(a); });
}

napi_value embeddingBackwardBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "embeddingBackward", 5, "ids, g, dtable, n, dim");
  kernels::EmbeddingBackwardArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "ids", false, a.ids) ||
      !call.ptr(1, "g", false, a.g) ||
      !call.ptr(2, "dtable", false, a.dtable) ||
      !call.integer(3, "n", 0, a.n) ||
      !call.integer(4, "dim", 0, a.dim))
    return nullptr;
  return call.run([&] { return kernels::embeddingBackward(a); });
}

napi_value gatherRowsBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "gatherRows", 5, "src, indices, dst, count, rowBytes");
  kernels::GatherRowsArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "src", false, a.src) ||
      !call.array(1, "indices", napi_int32_array, "Int32Array", false, a.indices) ||
      !call.ptr(2, "dst", false, a.dst) ||
      !call.integer(3, "count", 0, a.count) ||
      !call.integer(4, "rowBytes", 0, a.rowBytes) ||
      !call.holds(1, "indices", a.indices.length, a.count, "count"))
    return nullptr;
  return call.run([&] { return kernels::gatherRows(a); });
}

napi_value writeRowsBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "writeRows", 7, "dst, src, batch, srcRows, dstRows, rowBytes, offsets");
  kernels::WriteRowsArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "dst", false, a.dst) ||
      !call.ptr(1, "src", false, a.src) ||
      !call.integer(2, "batch", 0, a.batch) ||
      !call.integer(3, "srcRows", 0, a.srcRows) ||
      !call.integer(4, "dstRows", 0, a.dstRows) ||
      !call.integer(5, "rowBytes", 0, a.rowBytes) ||
      !call.array(6, "offsets", napi_int32_array, "Int32Array", false, a.offsets) ||
      !call.holds(6, "offsets", a.offsets.length, a.batch, "batch"))
    return nullptr;
  return call.run([&] { return kernels::writeRows(a); });
}

napi_value tokenLogProbsBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "tokenLogProbs", 8, "logits, targets, logp, lse, entropy, rows, vocab, invTemperature");
  kernels::TokenLogProbsArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "logits", false, a.logits) ||
      !call.ptr(1, "targets", false, a.targets) ||
      !call.ptr(2, "logp", false, a.logp) ||
      !call.ptr(3, "lse", false, a.lse) ||
      !call.ptr(4, "entropy", true, a.entropy) ||
      !call.integer(5, "rows", 0, a.rows) ||
      !call.integer(6, "vocab", 1, a.vocab) ||
      !call.f32(7, "invTemperature", a.invTemperature))
    return nullptr;
  return call.run([&] { return kernels::tokenLogProbs(a); });
}

napi_value tokenLogProbsBackwardBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "tokenLogProbsBackward", 10, "logits, targets, lse, entropy, glogp, gentropy, dlogits, rows, vocab, invTemperature");
  kernels::TokenLogProbsBackwardArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "logits", false, a.logits) ||
      !call.ptr(1, "targets", false, a.targets) ||
      !call.ptr(2, "lse", false, a.lse) ||
      !call.ptr(3, "entropy", true, a.entropy) ||
      !call.ptr(4, "glogp", true, a.glogp) ||
      !call.ptr(5, "gentropy", true, a.gentropy) ||
      !call.ptr(6, "dlogits", false, a.dlogits) ||
      !call.integer(7, "rows", 0, a.rows) ||
      !call.integer(8, "vocab", 1, a.vocab) ||
      !call.f32(9, "invTemperature", a.invTemperature))
    return nullptr;
  return call.run([&] { return kernels::tokenLogProbsBackward(a); });
}

napi_value sampleRowsBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "sampleRows", 7, "logits, rows, vocab, invTemperature, uniforms, tokens, logprobs");
  kernels::SampleRowsArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "logits", false, a.logits) ||
      !call.integer(1, "rows", 0, a.rows) ||
      !call.integer(2, "vocab", 1, a.vocab) ||
      !call.f32(3, "invTemperature", a.invTemperature) ||
      !call.array(4, "uniforms", napi_float64_array, "Float64Array", false, a.uniforms) ||
      !call.array(5, "tokens", napi_int32_array, "Int32Array", false, a.tokens) ||
      !call.array(6, "logprobs", napi_float32_array, "Float32Array", false, a.logprobs) ||
      !call.holds(4, "uniforms", a.uniforms.length, a.rows, "rows") ||
      !call.holds(5, "tokens", a.tokens.length, a.rows, "rows") ||
      !call.holds(6, "logprobs", a.logprobs.length, a.rows, "rows"))
    return nullptr;
  return call.run([&] { return kernels::sampleRows(a); });
}

napi_value adamwBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "adamw", 13, "param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, biasCorrection1, biasCorrection2, gradScale");
  kernels::AdamwArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "param", false, a.param) ||
      !call.ptr(1, "grad", false, a.grad) ||
      !call.ptr(2, "m", false, a.m) ||
      !call.ptr(3, "v", false, a.v) ||
      !call.integer(4, "n", 0, a.n) ||
      !call.f32(5, "lr", a.lr) ||
      !call.f32(6, "beta1", a.beta1) ||
      !call.f32(7, "beta2", a.beta2) ||
      !call.f32(8, "eps", a.eps) ||
      !call.f32(9, "weightDecay", a.weightDecay) ||
      !call.f32(10, "biasCorrection1", a.biasCorrection1) ||
      !call.f32(11, "biasCorrection2", a.biasCorrection2) ||
      !call.f32(12, "gradScale", a.gradScale))
    return nullptr;
  return call.run([&] { return kernels::adamw(a); });
}

napi_value attentionForwardBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "attentionForward", 15, "q, k, v, out, lse, B, T, S, H, Hkv, D, scale, qPos, keyStart, kvLen");
  kernels::AttentionForwardArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "q", false, a.q) ||
      !call.ptr(1, "k", false, a.k) ||
      !call.ptr(2, "v", false, a.v) ||
      !call.ptr(3, "out", false, a.out) ||
      !call.ptr(4, "lse", true, a.lse) ||
      !call.integer(5, "B", 1, a.B) ||
      !call.integer(6, "T", 1, a.T) ||
      !call.integer(7, "S", 1, a.S) ||
      !call.integer(8, "H", 1, a.H) ||
      !call.integer(9, "Hkv", 1, a.Hkv) ||
      !call.integer(10, "D", 1, a.D) ||
      !call.f32(11, "scale", a.scale) ||
      !call.array(12, "qPos", napi_int32_array, "Int32Array", true, a.qPos) ||
      !call.array(13, "keyStart", napi_int32_array, "Int32Array", true, a.keyStart) ||
      !call.array(14, "kvLen", napi_int32_array, "Int32Array", true, a.kvLen))
    return nullptr;
  return call.run([&] { return kernels::attentionForward(a); });
}

napi_value attentionBackwardBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "attentionBackward", 19, "q, k, v, out, lse, dout, dq, dk, dv, B, T, S, H, Hkv, D, scale, qPos, keyStart, kvLen");
  kernels::AttentionBackwardArgs a{};
  if (!call.ok() ||
      !call.ptr(0, "q", false, a.q) ||
      !call.ptr(1, "k", false, a.k) ||
      !call.ptr(2, "v", false, a.v) ||
      !call.ptr(3, "out", false, a.out) ||
      !call.ptr(4, "lse", false, a.lse) ||
      !call.ptr(5, "dout", false, a.dout) ||
      !call.ptr(6, "dq", false, a.dq) ||
      !call.ptr(7, "dk", false, a.dk) ||
      !call.ptr(8, "dv", false, a.dv) ||
      !call.integer(9, "B", 1, a.B) ||
      !call.integer(10, "T", 1, a.T) ||
      !call.integer(11, "S", 1, a.S) ||
      !call.integer(12, "H", 1, a.H) ||
      !call.integer(13, "Hkv", 1, a.Hkv) ||
      !call.integer(14, "D", 1, a.D) ||
      !call.f32(15, "scale", a.scale) ||
      !call.array(16, "qPos", napi_int32_array, "Int32Array", true, a.qPos) ||
      !call.array(17, "keyStart", napi_int32_array, "Int32Array", true, a.keyStart) ||
      !call.array(18, "kvLen", napi_int32_array, "Int32Array", true, a.kvLen))
    return nullptr;
  return call.run([&] { return kernels::attentionBackward(a); });
}

#if !defined(ASTARPO_CUDA)
napi_value isaNameBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "isaName", 0, "");
  if (!call.ok()) return nullptr;
  return call.run([&] { return kernels::isaName(); });
}
#endif

#if !defined(ASTARPO_CUDA)
napi_value setIsaBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "setIsa", 1, "isa");
  kernels::SetIsaArgs a{};
  if (!call.ok() ||
      !call.string(0, "isa", a.isa))
    return nullptr;
  return call.run([&] { return kernels::setIsa(a); });
}
#endif

#if !defined(ASTARPO_CUDA)
napi_value threadsBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "threads", 0, "");
  if (!call.ok()) return nullptr;
  return call.run([&] { return kernels::threads(); });
}
#endif

#if !defined(ASTARPO_CUDA)
napi_value peakFlopsBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "peakFlops", 1, "ms");
  kernels::PeakFlopsArgs a{};
  if (!call.ok() ||
      !call.f64(0, "ms", a.ms))
    return nullptr;
  return call.run([&] { return kernels::peakFlops(a); });
}
#endif

#if !defined(ASTARPO_CUDA)
napi_value noopBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "noop", 0, "");
  if (!call.ok()) return nullptr;
  return call.run([&] { return kernels::noop(); });
}
#endif

#if defined(ASTARPO_CUDA)
napi_value synchronizeBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "synchronize", 0, "");
  if (!call.ok()) return nullptr;
  return call.run([&] { return kernels::synchronize(); });
}
#endif

#if defined(ASTARPO_CUDA)
napi_value deviceInfoBinding(napi_env env, napi_callback_info info) {
  Call call(env, info, "deviceInfo", 0, "");
  if (!call.ok()) return nullptr;
  return call.run([&] { return kernels::deviceInfo(); });
}
#endif

#if defined(ASTARPO_CUDA)
const char kSignatures[] =
    "alloc(int>=0 bytes) -> ptr\n"
    "free(inout byte* addr) -> void\n"
    "memoryStats(out f64[] out) -> void\n"
    "resetPeak() -> void\n"
    "releaseCache() -> void\n"
    "copyIn(out byte* addr, int>=0 byteOffset, in bytes data) -> void\n"
    "copyOut(in byte* addr, int>=0 byteOffset, out bytes out) -> void\n"
    "copy(out byte* dst, in byte* src, int>=0 bytes) -> void\n"
    "zero(out byte* addr, int>=0 bytes) -> void\n"
    "fill(out f32* y, int>=0 n, f32 value) -> void\n"
    "gemm(int>=0 M, int>=0 N, int>=0 K, in f32* a, int>=1 lda, flag transA, in any* b, int>=1 ldb, flag transB, inout f32* c, int>=1 ldc, f32 alpha, f32 beta, in f32*? bias, int>=1 batch, int>=0 strideA, int>=0 strideB, int>=0 strideC, ElementType{F32=0,Bf16=1} bType) -> void\n"
    "toBf16(in f32* src, out bf16* dst, int>=0 n) -> void\n"
    "fromBf16(in bf16* src, out f32* dst, int>=0 n) -> void\n"
    "binary(BinaryOp{Add=0,Sub=1,Mul=2,Div=3} op, in f32* a, in f32* b, out f32* out, int>=0 n, int>=1 bn, int>=1 inner) -> void\n"
    "unary(UnaryOp{Neg=0,Exp=1,Log=2,Square=3,Sqrt=4,Silu=5,Relu=6,Tanh=7,Abs=8} op, in f32* x, out f32* out, int>=0 n) -> void\n"
    "unaryBackward(UnaryOp{Neg=0,Exp=1,Log=2,Square=3,Sqrt=4,Silu=5,Relu=6,Tanh=7,Abs=8} op, in f32* x, in f32* g, out f32* dx, int>=0 n) -> void\n"
    "dropout(in f32* x, out f32* out, int>=0 n, f64 p, int>=0 seed) -> void\n"
    "axpby(inout f32* y, in f32* x, int>=0 n, f32 alpha, f32 beta) -> void\n"
    "sum(in f32* x, int>=0 n, flag squares) -> f64\n"
    "reduceBroadcast(in f32* g, inout f32* out, int>=0 n, int>=1 bn, int>=1 inner, flag accumulate) -> void\n"
    "sumLastDim(in f32* x, out f32* out, int>=0 rows, int>=0 cols) -> void\n"
    "allFinite(in f32* x, int>=0 n) -> flag\n"
    "rmsNorm(in f32* x, in f32* w, out f32* out, out f32*? rstd, int>=0 rows, int>=1 cols, f32 eps) -> void\n"
    "rmsNormBackward(in f32* x, in f32* w, in f32* rstd, in f32* g, out f32* dx, inout f32*? dw, int>=0 rows, int>=1 cols) -> void\n"
    "ropeTables(in i32[] positions, in f32[] invFreq, f64 scaling, out f32* cos, out f32* sin, int>=0 n, int>=0 half) -> void\n"
    "rope(in f32* x, out f32* out, in f32* cos, in f32* sin, int>=0 rows, int>=0 heads, int>=0 dim, flag inverse) -> void\n"
    "swiglu(in f32* gate, in f32* up, out f32* out, int>=0 n) -> void\n"
    "swigluBackward(in f32* gate, in f32* up, in f32* dout, out f32* dgate, out f32* dup, int>=0 n) -> void\n"
    "embedding(in i32* ids, in any* table, out f32* out, int>=0 n, int>=0 dim, int>=0 vocab, ElementType{F32=0,Bf16=1} tableType) -> int\n"
    "embeddingBackward(in i32* ids, in f32* g, inout f32* dtable, int>=0 n, int>=0 dim) -> void\n"
    "gatherRows(in byte* src, in i32[] indices, out byte* dst, int>=0 count, int>=0 rowBytes) -> void\n"
    "writeRows(inout byte* dst, in byte* src, int>=0 batch, int>=0 srcRows, int>=0 dstRows, int>=0 rowBytes, in i32[] offsets) -> void\n"
    "tokenLogProbs(in f32* logits, in i32* targets, out f32* logp, out f32* lse, out f32*? entropy, int>=0 rows, int>=1 vocab, f32 invTemperature) -> void\n"
    "tokenLogProbsBackward(in f32* logits, in i32* targets, in f32* lse, in f32*? entropy, in f32*? glogp, in f32*? gentropy, out f32* dlogits, int>=0 rows, int>=1 vocab, f32 invTemperature) -> void\n"
    "sampleRows(in f32* logits, int>=0 rows, int>=1 vocab, f32 invTemperature, in f64[] uniforms, out i32[] tokens, out f32[] logprobs) -> int\n"
    "adamw(inout f32* param, in f32* grad, inout f32* m, inout f32* v, int>=0 n, f32 lr, f32 beta1, f32 beta2, f32 eps, f32 weightDecay, f32 biasCorrection1, f32 biasCorrection2, f32 gradScale) -> void\n"
    "attentionForward(in f32* q, in f32* k, in f32* v, out f32* out, out f32*? lse, int>=1 B, int>=1 T, int>=1 S, int>=1 H, int>=1 Hkv, int>=1 D, f32 scale, in i32[]? qPos, in i32[]? keyStart, in i32[]? kvLen) -> void\n"
    "attentionBackward(in f32* q, in f32* k, in f32* v, in f32* out, in f32* lse, in f32* dout, out f32* dq, out f32* dk, out f32* dv, int>=1 B, int>=1 T, int>=1 S, int>=1 H, int>=1 Hkv, int>=1 D, f32 scale, in i32[]? qPos, in i32[]? keyStart, in i32[]? kvLen) -> void\n"
    "synchronize() -> void\n"
    "deviceInfo() -> string";
#else
const char kSignatures[] =
    "alloc(int>=0 bytes) -> ptr\n"
    "free(inout byte* addr) -> void\n"
    "memoryStats(out f64[] out) -> void\n"
    "resetPeak() -> void\n"
    "releaseCache() -> void\n"
    "copyIn(out byte* addr, int>=0 byteOffset, in bytes data) -> void\n"
    "copyOut(in byte* addr, int>=0 byteOffset, out bytes out) -> void\n"
    "copy(out byte* dst, in byte* src, int>=0 bytes) -> void\n"
    "zero(out byte* addr, int>=0 bytes) -> void\n"
    "fill(out f32* y, int>=0 n, f32 value) -> void\n"
    "gemm(int>=0 M, int>=0 N, int>=0 K, in f32* a, int>=1 lda, flag transA, in any* b, int>=1 ldb, flag transB, inout f32* c, int>=1 ldc, f32 alpha, f32 beta, in f32*? bias, int>=1 batch, int>=0 strideA, int>=0 strideB, int>=0 strideC, ElementType{F32=0,Bf16=1} bType) -> void\n"
    "toBf16(in f32* src, out bf16* dst, int>=0 n) -> void\n"
    "fromBf16(in bf16* src, out f32* dst, int>=0 n) -> void\n"
    "binary(BinaryOp{Add=0,Sub=1,Mul=2,Div=3} op, in f32* a, in f32* b, out f32* out, int>=0 n, int>=1 bn, int>=1 inner) -> void\n"
    "unary(UnaryOp{Neg=0,Exp=1,Log=2,Square=3,Sqrt=4,Silu=5,Relu=6,Tanh=7,Abs=8} op, in f32* x, out f32* out, int>=0 n) -> void\n"
    "unaryBackward(UnaryOp{Neg=0,Exp=1,Log=2,Square=3,Sqrt=4,Silu=5,Relu=6,Tanh=7,Abs=8} op, in f32* x, in f32* g, out f32* dx, int>=0 n) -> void\n"
    "dropout(in f32* x, out f32* out, int>=0 n, f64 p, int>=0 seed) -> void\n"
    "axpby(inout f32* y, in f32* x, int>=0 n, f32 alpha, f32 beta) -> void\n"
    "sum(in f32* x, int>=0 n, flag squares) -> f64\n"
    "reduceBroadcast(in f32* g, inout f32* out, int>=0 n, int>=1 bn, int>=1 inner, flag accumulate) -> void\n"
    "sumLastDim(in f32* x, out f32* out, int>=0 rows, int>=0 cols) -> void\n"
    "allFinite(in f32* x, int>=0 n) -> flag\n"
    "rmsNorm(in f32* x, in f32* w, out f32* out, out f32*? rstd, int>=0 rows, int>=1 cols, f32 eps) -> void\n"
    "rmsNormBackward(in f32* x, in f32* w, in f32* rstd, in f32* g, out f32* dx, inout f32*? dw, int>=0 rows, int>=1 cols) -> void\n"
    "ropeTables(in i32[] positions, in f32[] invFreq, f64 scaling, out f32* cos, out f32* sin, int>=0 n, int>=0 half) -> void\n"
    "rope(in f32* x, out f32* out, in f32* cos, in f32* sin, int>=0 rows, int>=0 heads, int>=0 dim, flag inverse) -> void\n"
    "swiglu(in f32* gate, in f32* up, out f32* out, int>=0 n) -> void\n"
    "swigluBackward(in f32* gate, in f32* up, in f32* dout, out f32* dgate, out f32* dup, int>=0 n) -> void\n"
    "embedding(in i32* ids, in any* table, out f32* out, int>=0 n, int>=0 dim, int>=0 vocab, ElementType{F32=0,Bf16=1} tableType) -> int\n"
    "embeddingBackward(in i32* ids, in f32* g, inout f32* dtable, int>=0 n, int>=0 dim) -> void\n"
    "gatherRows(in byte* src, in i32[] indices, out byte* dst, int>=0 count, int>=0 rowBytes) -> void\n"
    "writeRows(inout byte* dst, in byte* src, int>=0 batch, int>=0 srcRows, int>=0 dstRows, int>=0 rowBytes, in i32[] offsets) -> void\n"
    "tokenLogProbs(in f32* logits, in i32* targets, out f32* logp, out f32* lse, out f32*? entropy, int>=0 rows, int>=1 vocab, f32 invTemperature) -> void\n"
    "tokenLogProbsBackward(in f32* logits, in i32* targets, in f32* lse, in f32*? entropy, in f32*? glogp, in f32*? gentropy, out f32* dlogits, int>=0 rows, int>=1 vocab, f32 invTemperature) -> void\n"
    "sampleRows(in f32* logits, int>=0 rows, int>=1 vocab, f32 invTemperature, in f64[] uniforms, out i32[] tokens, out f32[] logprobs) -> int\n"
    "adamw(inout f32* param, in f32* grad, inout f32* m, inout f32* v, int>=0 n, f32 lr, f32 beta1, f32 beta2, f32 eps, f32 weightDecay, f32 biasCorrection1, f32 biasCorrection2, f32 gradScale) -> void\n"
    "attentionForward(in f32* q, in f32* k, in f32* v, out f32* out, out f32*? lse, int>=1 B, int>=1 T, int>=1 S, int>=1 H, int>=1 Hkv, int>=1 D, f32 scale, in i32[]? qPos, in i32[]? keyStart, in i32[]? kvLen) -> void\n"
    "attentionBackward(in f32* q, in f32* k, in f32* v, in f32* out, in f32* lse, in f32* dout, out f32* dq, out f32* dk, out f32* dv, int>=1 B, int>=1 T, int>=1 S, int>=1 H, int>=1 Hkv, int>=1 D, f32 scale, in i32[]? qPos, in i32[]? keyStart, in i32[]? kvLen) -> void\n"
    "isaName() -> string\n"
    "setIsa(string isa) -> void\n"
    "threads() -> int\n"
    "peakFlops(f64 ms) -> f64\n"
    "noop() -> void";
#endif

napi_value signatures(napi_env env, napi_callback_info) {
  napi_value s;
  napi_create_string_utf8(env, kSignatures, NAPI_AUTO_LENGTH, &s);
  return s;
}

napi_value init(napi_env env, napi_value exports) {
  const struct { const char* name; napi_callback fn; } entries[] = {
      {"alloc", allocBinding},
      {"free", freeBinding},
      {"memoryStats", memoryStatsBinding},
      {"resetPeak", resetPeakBinding},
      {"releaseCache", releaseCacheBinding},
      {"copyIn", copyInBinding},
      {"copyOut", copyOutBinding},
      {"copy", copyBinding},
      {"zero", zeroBinding},
      {"fill", fillBinding},
      {"gemm", gemmBinding},
      {"toBf16", toBf16Binding},
      {"fromBf16", fromBf16Binding},
      {"binary", binaryBinding},
      {"unary", unaryBinding},
      {"unaryBackward", unaryBackwardBinding},
      {"dropout", dropoutBinding},
      {"axpby", axpbyBinding},
      {"sum", sumBinding},
      {"reduceBroadcast", reduceBroadcastBinding},
      {"sumLastDim", sumLastDimBinding},
      {"allFinite", allFiniteBinding},
      {"rmsNorm", rmsNormBinding},
      {"rmsNormBackward", rmsNormBackwardBinding},
      {"ropeTables", ropeTablesBinding},
      {"rope", ropeBinding},
      {"swiglu", swigluBinding},
      {"swigluBackward", swigluBackwardBinding},
      {"embedding", embeddingBinding},
      {"embeddingBackward", embeddingBackwardBinding},
      {"gatherRows", gatherRowsBinding},
      {"writeRows", writeRowsBinding},
      {"tokenLogProbs", tokenLogProbsBinding},
      {"tokenLogProbsBackward", tokenLogProbsBackwardBinding},
      {"sampleRows", sampleRowsBinding},
      {"adamw", adamwBinding},
      {"attentionForward", attentionForwardBinding},
      {"attentionBackward", attentionBackwardBinding},
#if !defined(ASTARPO_CUDA)
      {"isaName", isaNameBinding},
#endif
#if !defined(ASTARPO_CUDA)
      {"setIsa", setIsaBinding},
#endif
#if !defined(ASTARPO_CUDA)
      {"threads", threadsBinding},
#endif
#if !defined(ASTARPO_CUDA)
      {"peakFlops", peakFlopsBinding},
#endif
#if !defined(ASTARPO_CUDA)
      {"noop", noopBinding},
#endif
#if defined(ASTARPO_CUDA)
      {"synchronize", synchronizeBinding},
#endif
#if defined(ASTARPO_CUDA)
      {"deviceInfo", deviceInfoBinding},
#endif
      {"kernelSignatures", signatures},
  };
  for (const auto& e : entries) {
    napi_value f;
    napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, nullptr, &f);
    napi_set_named_property(env, exports, e.name, f);
  }
  return exports;
}

}  // namespace
}  // namespace astarpo::binding

NAPI_MODULE(NODE_GYP_MODULE_NAME, astarpo::binding::init)
