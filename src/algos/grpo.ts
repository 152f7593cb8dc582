// GRPO (Group Relative Policy Optimization), with TRL's options and defaults:
// G responses per prompt, each response's advantage its reward minus its
// group's mean (scaled by the group's or the batch's standard deviation, or
// not: Dr. GRPO), PPO's clipped ratio against the sampling policy, an optional
// KL penalty to the reference, and TRL's ways of averaging the token losses.
import { z } from "zod";
import { add, exp, mul, scale, sub, sum } from "../tensor/index.js";
import { aggregateLoss, clipRatioMetrics, clippedObjective, IMPORTANCE_LEVELS, LOSS_TYPES, perSequenceTensor, perTokenTensor } from "./policy-gradient.js";
import { entropyCoef, withEntropyBonus } from "./entropy.js";
import type { Algorithm, LossInput, LossOutput, RolloutBatch } from "./types.js";

export const SCALE_REWARDS = ["group", "batch", "none"] as const;

/** Shared with RLOO, which samples its k responses per prompt under the same name. */
export const numGenerations = z.number().int().min(2).default(8)
  .describe("grpo/rloo: responses sampled per prompt (the group; TRL's RLOO defaults to 2)");

export const grpoOptions = z.object({
  numGenerations,
  scaleRewards: z.enum(SCALE_REWARDS).default("group")
    .describe("grpo: divide advantages by the group's reward std, the batch's, or nothing (none: Dr. GRPO)"),
  epsilon: z.number().positive().default(0.2)
    .describe("grpo/rloo: the ratio is clipped to [1 - epsilon, 1 + epsilonHigh]"),
  epsilonHigh: z.number().positive().optional()
    .describe("grpo/rloo: upper clip (default epsilon; DAPO's clip-higher uses 0.28)"),
  delta: z.number().gt(1).optional()
    .describe("grpo: also cap the unclipped ratio at delta (INTELLECT-2's two-sided clipping; TRL's delta); default no cap"),
  beta: z.number().min(0).default(0)
    .describe("grpo: KL penalty to the reference per token; rloo: KL to the reference taken out of the reward (0, TRL's GRPO default: no reference pass; TRL's RLOO uses 0.05)"),
  lossType: z.enum(LOSS_TYPES).default("dapo")
    .describe("grpo: how token losses are averaged: dapo (over the step's tokens), grpo (per sequence), dr_grpo (constant), bnpo (per micro-batch)"),
  importanceSamplingLevel: z.enum(IMPORTANCE_LEVELS).default("token")
    .describe("grpo: a ratio per token, or one per sequence (GSPO)"),
  maskTruncatedCompletions: z.boolean().default(false)
    .describe("grpo/rloo: responses cut at maxNewTokens add no loss"),
  numIterations: z.number().int().positive().default(1)
    .describe("grpo/rloo: passes over each rollout batch (TRL's num_iterations)"),
  entropyCoef,
});

/** GRPO's options, defaults filled in; each is described in `astarpo train --help`. */
export type GrpoOptions = z.infer<typeof grpoOptions>;

export function standardDeviation(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  // Unbiased, as torch.std.
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Group-relative advantages; the share of groups whose rewards were all equal (they teach nothing). */
function prepare(batch: RolloutBatch, options: GrpoOptions): Record<string, number> {
  const groups = Array.from({ length: batch.groups }, () => [] as number[]);
  for (const s of batch.sequences) groups[s.group].push(s.reward);
  const means = groups.map((g) => g.reduce((a, b) => a + b, 0) / g.length);
  const groupStd = groups.map(standardDeviation);
  const batchStd = standardDeviation(batch.sequences.map((s) => s.reward));
  for (const s of batch.sequences) {
    const centred = s.reward - means[s.group];
    const std = options.scaleRewards === "group" ? groupStd[s.group] : batchStd;
    s.fixed.advantage = options.scaleRewards === "none" ? centred : centred / (std + 1e-4);
  }
  return {
    frac_reward_zero_std: groupStd.filter((x) => x === 0).length / batch.groups,
    reward_std_group_mean: groupStd.reduce((a, b) => a + b, 0) / batch.groups,
  };
}

function loss(input: LossInput, options: GrpoOptions): LossOutput {
  const { sequences, logprobs, step } = input;
  const backend = logprobs.backend;
  const width = logprobs.shape[1];
  const mask = options.maskTruncatedCompletions
    ? mul(input.mask, perSequenceTensor(sequences, (s) => (s.finished ? 1 : 0), backend))
    : input.mask;
  const masked: LossInput = { ...input, mask };
  const old = perTokenTensor(sequences, width, (s) => s.sampledLogprobs, backend);
  const advantages = perSequenceTensor(sequences, (s) => s.fixed.advantage, backend);
  const objective = clippedObjective(masked, old, advantages, options.epsilon, options.epsilonHigh ?? options.epsilon, options.importanceSamplingLevel, options.delta);
  let perToken = objective.perToken;
  let kl = 0;
  if (options.beta > 0) {
    // k3 = exp(ref - logp) - (ref - logp) - 1: non-negative, unbiased for KL(pi || pi_ref).
    const delta = sub(perTokenTensor(sequences, width, (s) => s.refLogprobs ?? [], backend), logprobs);
    const k3 = mul(sub(scale(exp(delta), 1, -1), delta), mask);
    perToken = add(perToken, scale(k3, options.beta));
    kl = sum(k3).item() / step.tokens;
  }
  const { loss: total, entropy } = withEntropyBonus(aggregateLoss(perToken, masked, options.lossType), input, options.entropyCoef);
  return {
    loss: total,
    metrics: {
      loss: total.item(),
      ...clipRatioMetrics(objective, step.tokens),
      entropy,
      ...(options.beta > 0 ? { kl_penalty: kl } : {}),
    },
  };
}

/** How GRPO and RLOO run: numGenerations responses per prompt, numIterations passes, a reference pass only with beta > 0. */
export const groupSampling = {
  samplesPerPrompt: (o: { numGenerations: number }) => o.numGenerations,
  passes: (o: { numIterations: number }) => o.numIterations,
  needsReference: (o: { beta: number }) => o.beta > 0,
  needsValues: false,
  keepGroupsTogether: false,
  createState: () => null,
} as const;

export const grpo: Algorithm<GrpoOptions> = {
  name: "grpo",
  summary: "GRPO: G responses per prompt, group-relative advantages, PPO's clipped ratio (TRL's options)",
  options: grpoOptions,
  ...groupSampling,
  prepare,
  loss,
};
