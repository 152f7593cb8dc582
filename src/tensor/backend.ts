// The kernels a device must provide. Ops call the backend of their tensors'
// device and never the addon directly, so a CUDA backend implements this
// interface and no model code changes. Addresses are device pointers carried
// as JS numbers; int arrays that parameterise a call (positions, offsets)
// travel as host Int32Arrays.

export interface MemoryStats {
  /** Bytes held by live tensors (and optimizer state) on the device. */
  live: number;
  /** Highest `live` since the start or the last resetPeakMemory(). */
  peak: number;
  /** Number of live allocations. */
  blocks: number;
  /** Freed bytes the device keeps for reuse (not counted in live or peak). */
  cached: number;
}

type Addr = number;
type Ints = Int32Array | 0;

export interface Backend {
  readonly name: string;

  alloc(bytes: number): Addr;
  free(addr: Addr): void;
  memoryStats(): MemoryStats;
  resetPeak(): void;
  /** Returns memory kept for reuse to the system. */
  releaseCache(): void;
  /** host -> device at a byte offset */
  write(addr: Addr, byteOffset: number, data: ArrayBufferView): void;
  /** device -> host at a byte offset */
  read(addr: Addr, byteOffset: number, out: ArrayBufferView): void;
  copy(dst: Addr, src: Addr, bytes: number): void;
  zero(addr: Addr, bytes: number): void;
  fill(addr: Addr, n: number, value: number): void;

  /**
   * C = alpha op(A) op(B) + beta C (+ bias), fp32 row-major; see native/gemm.h.
   * bType 1: B holds bfloat16 (batch 1), widened as it is read.
   */
  gemm(M: number, N: number, K: number, a: Addr, lda: number, transA: number, b: Addr, ldb: number, transB: number,
    c: Addr, ldc: number, alpha: number, beta: number, bias: Addr, batch: number, strideA: number, strideB: number, strideC: number,
    bType?: number): void;
  /** fp32 -> bfloat16, rounded to nearest even (PyTorch's bits) */
  toBf16(src: Addr, dst: Addr, n: number): void;
  /** bfloat16 -> fp32 (exact) */
  fromBf16(src: Addr, dst: Addr, n: number): void;
  /** out[i] = a[i] op b[(i / inner) % bn]; op 0 add, 1 sub, 2 mul, 3 div */
  binary(op: number, a: Addr, b: Addr, out: Addr, n: number, bn: number, inner: number): void;
  unary(kind: number, x: Addr, out: Addr, n: number): void;
  unaryBackward(kind: number, x: Addr, g: Addr, dx: Addr, n: number): void;
  /**
   * out[i] = x[i] / (1 - p), or 0 with probability p: a counter-based draw from (seed, i), the same mask for
   * the same seed on any device or thread count; applied to the output's gradient it is the backward pass.
   */
  dropout(x: Addr, out: Addr, n: number, p: number, seed: number): void;
  /** y = alpha x + beta y */
  axpby(y: Addr, x: Addr, n: number, alpha: number, beta: number): void;
  /** sum (or sum of squares) in double precision */
  sum(x: Addr, n: number, squares: number): number;
  reduceBroadcast(g: Addr, out: Addr, n: number, bn: number, inner: number, accumulate: number): void;
  sumLastDim(x: Addr, out: Addr, rows: number, cols: number): void;
  allFinite(x: Addr, n: number): number;

  rmsNorm(x: Addr, w: Addr, out: Addr, rstd: Addr, rows: number, cols: number, eps: number): void;
  rmsNormBackward(x: Addr, w: Addr, rstd: Addr, g: Addr, dx: Addr, dw: Addr, rows: number, cols: number): void;
  ropeTables(positions: Int32Array, invFreq: Float32Array, scaling: number, cos: Addr, sin: Addr, n: number, half: number): void;
  rope(x: Addr, out: Addr, cos: Addr, sin: Addr, rows: number, heads: number, dim: number, inverse: number): void;
  swiglu(gate: Addr, up: Addr, out: Addr, n: number): void;
  swigluBackward(gate: Addr, up: Addr, dout: Addr, dgate: Addr, dup: Addr, n: number): void;
  /** Rows of the table (fp32, or bfloat16 with bf16 = 1) -> fp32 out; -1, or the position of the first id out of range. */
  embedding(ids: Addr, table: Addr, out: Addr, n: number, dim: number, vocab: number, bf16?: number): number;
  embeddingBackward(ids: Addr, g: Addr, dtable: Addr, n: number, dim: number): void;
  gatherRows(src: Addr, indices: Int32Array, dst: Addr, count: number, rowBytes: number): void;
  writeRows(dst: Addr, src: Addr, batch: number, srcRows: number, dstRows: number, rowBytes: number, offsets: Int32Array): void;
  tokenLogProbs(logits: Addr, targets: Addr, logp: Addr, lse: Addr, entropy: Addr, rows: number, vocab: number, invTemperature: number): void;
  /**
   * Draws one token per row from softmax(logits * invTemperature) with the given uniforms in [0, 1) (a negative
   * one takes the row's first most likely token), filling tokens and their log-probs; returns -1, or the first
   * row whose softmax has no finite mass.
   */
  sampleRows(logits: Addr, rows: number, vocab: number, invTemperature: number, uniforms: Float64Array, tokens: Int32Array, logprobs: Float32Array): number;
  tokenLogProbsBackward(logits: Addr, targets: Addr, lse: Addr, entropy: Addr, glogp: Addr, gentropy: Addr, dlogits: Addr,
    rows: number, vocab: number, invTemperature: number): void;
  adamw(param: Addr, grad: Addr, m: Addr, v: Addr, n: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, biasCorrection1: number, biasCorrection2: number): void;
  attentionForward(q: Addr, k: Addr, v: Addr, out: Addr, lse: Addr, B: number, T: number, S: number, H: number, Hkv: number,
    D: number, scale: number, qPos: Ints, keyStart: Ints, kvLen: Ints): void;
  attentionBackward(q: Addr, k: Addr, v: Addr, out: Addr, lse: Addr, dout: Addr, dq: Addr, dk: Addr, dv: Addr, B: number,
    T: number, S: number, H: number, Hkv: number, D: number, scale: number, qPos: Ints, keyStart: Ints, kvLen: Ints): void;
}
