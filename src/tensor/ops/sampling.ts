// The next token of each row of logits [rows, vocab]: drawn on the device from
// the whole softmax, or the softmax itself brought to the host for the draws
// that filter by rank (top-k, top-p, min-p) and need sorting. No gradient.
import { scope } from "../scope.js";
import { empty, type Tensor } from "../tensor.js";
import { full } from "./creation.js";
import { exp, scale } from "./elementwise.js";
import { sliceRows } from "./shape.js";

/** What drawTokens() returns, one entry per row of logits. */
export interface DrawnTokens {
  /** The token id drawn for each row. */
  tokens: Int32Array;
  /** log softmax(logits / temperature) of each drawn token. */
  logprobs: Float32Array;
  /** The first row whose logits are not finite (nothing was drawn for it), or -1. */
  badRow: number;
}

/**
 * Draws one token per row from softmax(logits * invTemperature) with one uniform per row: the
 * first token whose cumulative probability passes it; a negative uniform takes the most likely token.
 */
export function drawTokens(logits: Tensor, invTemperature: number, uniforms: Float64Array): DrawnTokens {
  const [rows, vocab] = logits.shape;
  if (logits.rank !== 2 || logits.dtype !== "f32" || uniforms.length !== rows) {
    throw new Error(`drawTokens: logits ${logits.dtype} [${logits.shape.join(", ")}] with ${uniforms.length} uniforms`);
  }
  const tokens = new Int32Array(rows), logprobs = new Float32Array(rows);
  const badRow = logits.backend.sampleRows(logits.addr, rows, vocab, invTemperature, uniforms, tokens, logprobs);
  return { tokens, logprobs, badRow };
}

/** log sum exp(logits * invTemperature) of each row of logits [rows, vocab]: the fused log-prob kernel's normaliser, without a target. */
export function rowLogSumExp(logits: Tensor, invTemperature: number): Float32Array {
  return scope(() => {
    const [rows, vocab] = logits.shape;
    const lse = empty([rows], "f32", logits.backend);
    const unused = empty([rows], "f32", logits.backend);
    const noTargets = full([rows], -1, { dtype: "i32", backend: logits.backend });
    logits.backend.tokenLogProbs(logits.addr, noTargets.addr, unused.addr, lse.addr, 0, rows, vocab, invTemperature);
    return lse.toFloat32Array();
  });
}

/** softmax(logits * invTemperature) of each row of logits [rows, vocab], written into `out` (rows x vocab floats) on the host. */
export function softmaxRowsToHost(logits: Tensor, invTemperature: number, out: Float32Array): void {
  const [rows, vocab] = logits.shape;
  if (out.length < rows * vocab) throw new Error(`softmaxRowsToHost: ${out.length} floats for [${rows}, ${vocab}]`);
  const lse = rowLogSumExp(logits, invTemperature);
  // Row by row, shifted by a host scalar: a per-row broadcast would cost a division per element.
  for (let b = 0; b < rows; b++) {
    scope(() => {
      const p = exp(scale(sliceRows(logits, b, 1), invTemperature, -lse[b]));
      p.backend.read(p.addr, 0, out.subarray(b * vocab, (b + 1) * vocab));
    });
  }
}
