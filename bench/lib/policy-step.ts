// The training part of one policy-gradient step on a real decoder: a forward
// pass with gradients through scoreResponses (the trainer's own scoring path),
// a loss made by the caller from the scored batch, backward, global-norm
// clipping and one AdamW update. The loss is a closure so that any
// algorithm's loss can be timed on the same path.
import { scoreResponses, type GenerationTokenizer, type PromptAndResponse, type ScoredBatch } from "../../src/generate/index.js";
import type { DecoderModel } from "../../src/models/index.js";
import { AdamW, gradNormScale } from "../../src/nn/index.js";
import { backward, scope, type Tensor } from "../../src/tensor/index.js";

export interface PolicyStepTimes {
  loss: number;
  /** Seconds of each phase: forward (scoring and the loss), backward, clipping and AdamW. */
  forward: number;
  backward: number;
  optimizer: number;
}

/** One step on `batch`; `loss` maps its scored log-probs to a scalar tensor. Every tensor of the step is freed. */
export function policyStep(model: DecoderModel, tokenizer: Pick<GenerationTokenizer, "vocabSize">, optimizer: AdamW,
  batch: readonly PromptAndResponse[], loss: (scored: ScoredBatch) => Tensor, maxGradNorm = 1): PolicyStepTimes {
  const start = performance.now();
  return scope(() => {
    const value = loss(scoreResponses(model, tokenizer, batch));
    const forwardEnd = performance.now();
    backward(value);
    const backwardEnd = performance.now();
    const { finite, scale } = gradNormScale(optimizer.params, maxGradNorm);
    if (finite) optimizer.update(optimizer.config.lr, scale);
    optimizer.zeroGrad();
    const end = performance.now();
    return {
      loss: value.item(),
      forward: (forwardEnd - start) / 1000,
      backward: (backwardEnd - forwardEnd) / 1000,
      optimizer: (end - backwardEnd) / 1000,
    };
  });
}
