// The update half of a training step: the algorithm's passes over a rollout
// batch, each over its prompts miniBatchSize at a time. Per mini-batch the
// micro-batches run forward and backward (gradients accumulate), then the
// global norm is clipped and AdamW steps. A loss or gradient that is not
// finite stops the run before any update is made from it.
import type { Algorithm, AlgorithmState, RolloutBatch, RolloutSequence } from "../algos/index.js";
import { shuffled } from "../data/index.js";
import { scoreResponses, type GenerationTokenizer } from "../generate/index.js";
import { seedLoraDropout, type DecoderModel } from "../models/index.js";
import { gradNormScale, type AdamW } from "../nn/index.js";
import { backward, scope } from "../tensor/index.js";
import { maxNewTokensOf, type RunConfig } from "./config.js";
import { derivedSeed } from "./seeds.js";

/** Raised when a run cannot go on (NaN, a bad checkpoint); the last good checkpoint is kept. */
export class TrainingError extends Error {}

export interface UpdateResult {
  /** The algorithm's loss metrics, averaged over the optimizer steps. */
  metrics: Record<string, number>;
  gradNorm: number;
  /** The rate of the last optimizer step. */
  lr: number;
  /** |sampled - recomputed| log-prob of the tokens scored before the first update (the kernels' disagreement). */
  logprobDiffs: number[];
}

/** Consecutive slices of `items` of `size`, the last one shorter. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function logprobDiffs(micro: readonly RolloutSequence[], recomputed: Float32Array, width: number): number[] {
  return micro.flatMap((s, b) => Array.from(s.sampledLogprobs, (lp, t) => Math.abs(lp - recomputed[b * width + t])));
}

/** Which parameter's gradient is not finite, for the error message. */
function nonFiniteGradient(model: DecoderModel): string {
  for (const [name, p] of model.namedParameters()) {
    if (p.grad && p.grad.toFloat32Array().some((v) => !Number.isFinite(v))) return `the gradient of ${name} is not finite`;
  }
  return "the gradient norm is not finite";
}

export function updatePolicy(policy: DecoderModel, tokenizer: GenerationTokenizer, optimizer: AdamW, algo: Algorithm<any, any>, state: AlgorithmState | null,
  config: RunConfig, batch: RolloutBatch, step: number, temperature: number, learningRate: (updatesDone: number) => number): UpdateResult {
  const maxNewTokens = maxNewTokensOf(config);
  // Responses to one prompt stay in one micro-batch when the loss pairs or groups them.
  const G = batch.sequences.length / batch.groups;
  const microSize = algo.keepGroupsTogether ? Math.max(1, Math.floor(config.microBatchSize / G)) * G : config.microBatchSize;
  const perUpdate: Record<string, number>[] = [];
  const norms: number[] = [];
  const diffs: number[] = [];
  let lr = 0;
  // LoRA's dropout masks come from the run's seed and the step, as every other draw does, so a resumed run draws the same.
  if (policy.usesAdapters) seedLoraDropout(policy, derivedSeed(config.seed, "lora-dropout", step));
  for (let iteration = 0; iteration < algo.passes(config); iteration++) {
    const groups = Array.from({ length: batch.groups }, (_, g) => g);
    const order = iteration === 0 ? groups : shuffled(groups, derivedSeed(config.seed, "minibatch", step, iteration));
    for (const [m, miniGroups] of chunks(order, config.miniBatchSize).entries()) {
      const members = new Set(miniGroups);
      const mini = batch.sequences.filter((s) => members.has(s.group));
      const size = { sequences: mini.length, tokens: mini.reduce((n, s) => n + s.responseIds.length, 0), maxNewTokens };
      const sums: Record<string, number> = {};
      for (const [u, micro] of chunks(mini, microSize).entries()) {
        scope(() => {
          const scored = scoreResponses(policy, tokenizer, micro.map((s) => ({ prompt: s.promptIds, response: s.responseIds })), { temperature, entropy: true });
          // Before the first update the policy is the sampler: any difference is the kernels', not learning.
          if (iteration === 0 && m === 0) diffs.push(...logprobDiffs(micro, scored.logprobs.toFloat32Array(), scored.logprobs.shape[1]));
          const out = algo.loss({ sequences: micro, logprobs: scored.logprobs, entropy: scored.entropy!, mask: scored.mask, step: size }, config, state);
          const value = out.loss.item();
          if (!Number.isFinite(value)) {
            throw new TrainingError(`step ${step + 1}, update ${perUpdate.length + 1}, micro-batch ${u + 1}: the loss is ${value}`);
          }
          backward(out.loss);
          for (const [k, v] of Object.entries(out.metrics)) sums[k] = (sums[k] ?? 0) + v;
        });
      }
      const clip = gradNormScale(optimizer.params, config.maxGradNorm);
      if (!clip.finite) throw new TrainingError(`step ${step + 1}, update ${perUpdate.length + 1}: ${nonFiniteGradient(policy)}`);
      norms.push(clip.norm);
      lr = learningRate(optimizer.step);
      optimizer.update(lr, clip.scale);
      optimizer.zeroGrad();
      perUpdate.push(sums);
    }
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const metrics = Object.fromEntries(Object.keys(perUpdate[0] ?? {}).map((k) => [k, mean(perUpdate.map((x) => x[k]))]));
  return { metrics, gradNorm: mean(norms), lr, logprobDiffs: diffs };
}
