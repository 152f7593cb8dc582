// Per-token log-probabilities of chosen tokens, fused with log-softmax and
// (optionally) the entropy of each row's distribution. The backward pass
// recomputes probabilities from the saved log-sum-exp, so no [rows, vocab]
// softmax is ever stored.
import { needsGrad, record } from "../autograd.js";
import { shapeString } from "../dtype.js";
import { empty, sameBackend, type Tensor } from "../tensor.js";

/** Options of tokenLogProbs(). */
export interface TokenLogProbsOptions {
  /** Logits are divided by this before the softmax (default 1). */
  temperature?: number;
  /** Also return the entropy of each row's distribution. */
  entropy?: boolean;
}

/** What tokenLogProbs() returns: tensors shaped like the targets. */
export interface TokenLogProbs {
  /** log p(target) per row; 0 where the target is negative (padding) */
  logprobs: Tensor;
  /** Entropy (nats) of each row's distribution at the temperature; null unless options.entropy. */
  entropy: Tensor | null;
}

/** logits [..., vocab], targets i32 [...] -> log-probs [...] (and entropy [...]). */
export function tokenLogProbs(logits: Tensor, targets: Tensor, options: TokenLogProbsOptions = {}): TokenLogProbs {
  const vocab = logits.shape[logits.rank - 1];
  const rows = logits.size / vocab;
  if (targets.dtype !== "i32" || targets.size !== rows) {
    throw new Error(`tokenLogProbs: targets ${targets.dtype} ${shapeString(targets.shape)} for logits ${shapeString(logits.shape)}`);
  }
  sameBackend("tokenLogProbs", logits, targets);
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`tokenLogProbs: temperature must be > 0, got ${temperature}`);
  const shape = logits.shape.slice(0, -1);
  const logprobs = empty(shape, "f32", logits.backend);
  const lse = empty(shape, "f32", logits.backend);
  const entropy = options.entropy ? empty(shape, "f32", logits.backend) : null;
  logits.backend.tokenLogProbs(logits.addr, targets.addr, logprobs.addr, lse.addr, entropy ? entropy.addr : 0, rows, vocab, 1 / temperature);
  if (needsGrad(logits)) {
    const outputs = entropy ? [logprobs, entropy] : [logprobs];
    const saved = entropy ? [logits, targets, lse, entropy] : [logits, targets, lse];
    record("tokenLogProbs", outputs, [logits, null], saved, (grads, s) => {
      const [gl, ge] = grads;
      const dlogits = empty(logits.shape, "f32", logits.backend);
      logits.backend.tokenLogProbsBackward(s[0].addr, s[1].addr, s[2].addr, s[3] ? s[3].addr : 0, gl ? gl.addr : 0, ge ? ge.addr : 0,
        dlogits.addr, rows, vocab, 1 / temperature);
      return [dlogits, null];
    });
  }
  lse.dispose();
  return { logprobs, entropy };
}
