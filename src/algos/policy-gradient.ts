// What the clipped policy-gradient methods (GRPO, PPO) share: rollout values
// laid out as [B, R] tensors beside the policy's log-probs, the clipped
// importance-ratio objective, and the ways a per-token loss becomes a scalar.
import { clamp, exp, maskedSum, minimum, mul, neg, reshape, scale, sub, sum, tensor, type Backend, type Tensor } from "../tensor/index.js";
import type { LossInput, RolloutSequence } from "./types.js";

/** The sum of a response's per-token values (its log-prob under a policy, from per-token log-probs). */
export function sequenceSum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}

/** log pi(y|x) - log pi_ref(y|x) of a sampled response, summed over it (its KL to the reference); null without the reference's log-probs. */
export function sequenceKl(s: RolloutSequence): number | null {
  return s.refLogprobs === null ? null : sequenceSum(s.sampledLogprobs) - sequenceSum(s.refLogprobs);
}

/** [B, R]: each sequence's per-token values, zero past its response. */
export function perTokenTensor(sequences: readonly RolloutSequence[], width: number, values: (s: RolloutSequence) => ArrayLike<number>, backend: Backend): Tensor {
  const out = new Float32Array(sequences.length * width);
  sequences.forEach((s, b) => out.set(Array.from(values(s)).slice(0, width), b * width));
  return tensor(out, [sequences.length, width], { backend });
}

/** [B, 1]: one value per sequence, to broadcast over its tokens. */
export function perSequenceTensor(sequences: readonly RolloutSequence[], value: (s: RolloutSequence) => number, backend: Backend): Tensor {
  return tensor(Float32Array.from(sequences, value), [sequences.length, 1], { backend });
}

export const IMPORTANCE_LEVELS = ["token", "sequence"] as const;
export type ImportanceLevel = (typeof IMPORTANCE_LEVELS)[number];

export interface ClippedObjective {
  /** The loss of each ratio, -min(ratio * A, clip(ratio) * A): [B, R] per token, zero past each response ([B, 1] per sequence). */
  perToken: Tensor;
  /** How many ratios were clipped below (A < 0) and above (A > 0) where the mask is 1: sums over this micro-batch. */
  clippedLow: number;
  clippedHigh: number;
}

/**
 * PPO's clipped surrogate. The ratio pi / pi_old is per token, or (GSPO) one
 * per sequence, exp of the mean token log-ratio. `advantages` is [B, R] or [B, 1].
 * `delta` also caps the unclipped ratio (two-sided clipping).
 */
export function clippedObjective(input: LossInput, oldLogprobs: Tensor, advantages: Tensor, epsilonLow: number, epsilonHigh: number,
  level: ImportanceLevel = "token", delta?: number): ClippedObjective {
  const { logprobs, mask, sequences } = input;
  let logRatio = sub(logprobs, oldLogprobs);
  if (level === "sequence") {
    const lengths = perSequenceTensor(sequences, (s) => 1 / Math.max(1, s.responseIds.length), logprobs.backend);
    logRatio = mul(mask, mul(reshape(maskedSum(logRatio, mask), [sequences.length, 1]), lengths));
  }
  return clippedRatio(exp(logRatio), advantages, mask, epsilonLow, epsilonHigh, delta);
}

/**
 * -min(ratio * A, clip(ratio, 1 - epsilonLow, 1 + epsilonHigh) * A) where `mask` is 1, for ratios of any
 * shape [B, W] (a column per token, or one per sequence) and advantages [B, W] or [B, 1].
 */
export function clippedRatio(ratio: Tensor, advantages: Tensor, mask: Tensor, epsilonLow: number, epsilonHigh: number, delta?: number): ClippedObjective {
  const unclipped = mul(delta === undefined ? ratio : clamp(ratio, 0, delta), advantages);
  const clipped = mul(clamp(ratio, 1 - epsilonLow, 1 + epsilonHigh), advantages);
  const perToken = mul(neg(minimum(unclipped, clipped)), mask);
  // Clipping statistics, as TRL counts them: a clipped ratio only matters where it stops the update.
  const r = ratio.toFloat32Array(), m = mask.toFloat32Array();
  const a = advantages.toFloat32Array();
  const [rows, width] = ratio.shape;
  const perRow = a.length === rows;
  let clippedLow = 0, clippedHigh = 0;
  for (let i = 0; i < r.length; i++) {
    if (m[i] === 0) continue;
    const adv = perRow ? a[Math.floor(i / width)] : a[i];
    if (r[i] < 1 - epsilonLow && adv < 0) clippedLow++;
    if (r[i] > 1 + epsilonHigh && adv > 0) clippedHigh++;
  }
  return { perToken, clippedLow, clippedHigh };
}

/** TRL's clipping metrics: the shares of the step's ratios (`ratios`: tokens, or responses) clipped below, above, and either way. */
export function clipRatioMetrics(objective: ClippedObjective, ratios: number): Record<string, number> {
  return {
    "clip_ratio/low_mean": objective.clippedLow / ratios,
    "clip_ratio/high_mean": objective.clippedHigh / ratios,
    "clip_ratio/region_mean": (objective.clippedLow + objective.clippedHigh) / ratios,
  };
}

/** TRL's names for turning per-token losses into one number. */
export const LOSS_TYPES = ["dapo", "grpo", "dr_grpo", "bnpo"] as const;
export type LossType = (typeof LOSS_TYPES)[number];

/**
 * The micro-batch's share of the optimizer step's loss:
 * - grpo: each sequence's token mean, averaged over sequences;
 * - bnpo: the micro-batch's token mean, weighted by its share of the step's sequences;
 * - dr_grpo: the token sum over (sequences x maxNewTokens), a constant, so no length bias;
 * - dapo: the token sum over all tokens of the step (every token weighs the same).
 */
export function aggregateLoss(perToken: Tensor, input: LossInput, type: LossType): Tensor {
  const { mask, sequences, step } = input;
  switch (type) {
    case "grpo": {
      const inverseLengths = perSequenceTensor(sequences, (s) => 1 / Math.max(1, s.responseIds.length), perToken.backend);
      return scale(sum(mul(perToken, inverseLengths)), 1 / step.sequences);
    }
    case "bnpo": {
      const tokens = mask.toFloat32Array().reduce((n, v) => n + v, 0);
      return scale(sum(perToken), sequences.length / (step.sequences * Math.max(1, tokens)));
    }
    case "dr_grpo":
      return scale(sum(perToken), 1 / (step.sequences * step.maxNewTokens));
    case "dapo":
      return scale(sum(perToken), 1 / Math.max(1, step.tokens));
  }
}
