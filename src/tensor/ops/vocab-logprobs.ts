// Per-token log-probs fused with an output projection: hidden [N, D] times a
// weight [V, D] gives logits that only live a chunk of rows at a time. Over a
// large vocabulary the logits dwarf everything else (2 x 1024 tokens x 151936
// x 4 bytes = 1.2 GB), so this makes them a chunk at a time and keeps none:
// the backward pass makes each chunk again. When every row fits in one chunk,
// the chunk is kept for backward instead: making it again was a tenth of the
// 0.5B-shape training step's products.
import { needsGrad, record } from "../autograd.js";
import { shapeString } from "../dtype.js";
import { ElementType } from "../kernels.js";
import { empty, sameBackend, type Tensor } from "../tensor.js";
import type { TokenLogProbs } from "./logprobs.js";

/** Options of vocabLogProbs(). */
export interface VocabLogProbsOptions {
  /** Logits are divided by this before the softmax. Default 1. */
  temperature?: number;
  /** Also the entropy of each row's distribution. */
  entropy?: boolean;
  /** Most bytes of logits alive at once. Default 256 MiB. */
  maxLogitsBytes?: number;
}

/** The default bound on logits alive at once in vocabLogProbs(), in bytes (256 MiB). */
export const DEFAULT_MAX_LOGITS_BYTES = 256 * 1024 * 1024;

/**
 * hidden [N, D], weight [V, D], targets i32 [N] -> log softmax(hidden W^T / temperature)[target]
 * per row [N] (0 where the target is negative: padding), and the entropy [N].
 * Records one autograd node whose backward remakes the logits chunk by chunk.
 */
export function vocabLogProbs(hidden: Tensor, weight: Tensor, targets: Tensor, options: VocabLogProbsOptions = {}): TokenLogProbs {
  const [N, D] = hidden.shape;
  const [V, Dw] = weight.shape;
  if (hidden.rank !== 2 || weight.rank !== 2 || Dw !== D || targets.dtype !== "i32" || targets.size !== N) {
    throw new Error(`vocabLogProbs: hidden ${shapeString(hidden.shape)}, weight ${shapeString(weight.shape)}, targets ${targets.dtype} ${shapeString(targets.shape)} do not fit`);
  }
  // A bf16 weight is frozen: read at half the bytes, it passes gradients to hidden, never into itself.
  const bType = weight.dtype === "bf16" ? ElementType.Bf16 : ElementType.F32;
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`vocabLogProbs: temperature must be > 0, got ${temperature}`);
  const invTemperature = 1 / temperature;
  const chunk = Math.max(1, Math.min(N, Math.floor((options.maxLogitsBytes ?? DEFAULT_MAX_LOGITS_BYTES) / (V * 4))));
  const backend = sameBackend("vocabLogProbs", hidden, weight, targets);
  const logprobs = empty([N], "f32", backend);
  const lse = empty([N], "f32", backend);
  const entropy = options.entropy ? empty([N], "f32", backend) : null;
  const at = (t: Tensor, row: number, width: number) => t.addr + row * width * 4;

  /** logits of rows [row, row + n) into `logits` (n x V). */
  const makeLogits = (h: Tensor, w: Tensor, row: number, n: number, logits: Tensor) =>
    backend.gemm(n, V, D, at(h, row, D), D, 0, w.addr, D, 1, logits.addr, V, 1, 0, 0, 1, 0, 0, 0, bType);

  const grad = needsGrad(hidden, weight);
  const keepLogits = grad && chunk >= N;
  const logits = empty([chunk, V], "f32", backend);
  for (let row = 0; row < N; row += chunk) {
    const n = Math.min(chunk, N - row);
    makeLogits(hidden, weight, row, n, logits);
    backend.tokenLogProbs(logits.addr, at(targets, row, 1), at(logprobs, row, 1), at(lse, row, 1), entropy ? at(entropy, row, 1) : 0, n, V, invTemperature);
  }

  if (grad) {
    const outputs = entropy ? [logprobs, entropy] : [logprobs];
    const saved = [hidden, weight, targets, lse, ...(entropy ? [entropy] : []), ...(keepLogits ? [logits] : [])];
    record("vocabLogProbs", outputs, [hidden, weight, null], saved, ([gLogprobs, gEntropy], [h, w, t, l, ...rest]) => {
      const e = entropy ? rest[0] : null;
      const kept = keepLogits ? rest[rest.length - 1] : null;
      const dHidden = hidden.requiresGrad ? empty(hidden.shape, "f32", backend) : null;
      const dWeight = weight.requiresGrad ? empty(weight.shape, "f32", backend) : null;
      const chunkLogits = kept ?? empty([chunk, V], "f32", backend);
      const dLogits = empty([chunk, V], "f32", backend);
      for (let row = 0; row < N; row += chunk) {
        const n = Math.min(chunk, N - row);
        if (!kept) makeLogits(h, w, row, n, chunkLogits);
        backend.tokenLogProbsBackward(chunkLogits.addr, at(t, row, 1), at(l, row, 1), e ? at(e, row, 1) : 0,
          gLogprobs ? at(gLogprobs, row, 1) : 0, gEntropy && e ? at(gEntropy, row, 1) : 0, dLogits.addr, n, V, invTemperature);
        // dhidden = dlogits W ; dW += dlogits^T hidden
        if (dHidden) backend.gemm(n, D, V, dLogits.addr, V, 0, w.addr, D, 0, at(dHidden, row, D), D, 1, 0, 0, 1, 0, 0, 0, bType);
        if (dWeight) backend.gemm(V, D, n, dLogits.addr, V, 1, at(h, row, D), D, 0, dWeight.addr, D, 1, row === 0 ? 0 : 1, 0, 1, 0, 0, 0, ElementType.F32);
      }
      if (!kept) chunkLogits.dispose();
      dLogits.dispose();
      return [dHidden, dWeight, null];
    });
  }
  logits.dispose();
  lse.dispose();
  return { logprobs, entropy };
}
