// RLOO (REINFORCE Leave-One-Out), as TRL's RLOOTrainer: k responses per
// prompt, each response's advantage its reward minus the mean reward of the
// prompt's other k - 1 responses, optionally the KL to the reference taken out
// of the reward first (beta), and PPO's clipped ratio taken per sequence (the
// exp of the summed token log-ratios to the sampling policy).
import { z } from "zod";
import { exp, reshape, maskedSum, scale, sub, sum, tensor } from "../tensor/index.js";
import { entropyShare } from "./entropy.js";
import { groupSampling, grpoOptions, numGenerations, standardDeviation } from "./grpo.js";
import { clippedRatio, clipRatioMetrics, perSequenceTensor, sequenceKl, sequenceSum } from "./policy-gradient.js";
import type { Algorithm, LossInput, LossOutput, RolloutBatch, RolloutSequence } from "./types.js";

const { beta, epsilon, epsilonHigh, numIterations, maskTruncatedCompletions } = grpoOptions.shape;

export const rlooOptions = z.object({
  numGenerations,
  beta,
  epsilon,
  epsilonHigh,
  numIterations,
  maskTruncatedCompletions,
  normalizeAdvantages: z.boolean().default(false)
    .describe("rloo: scale the batch's advantages to mean 0 and standard deviation 1"),
});

/** RLOO's options, defaults filled in; each is described in `astarpo train --help`. */
export type RlooOptions = z.infer<typeof rlooOptions>;

/** The KL to the reference of the sampled tokens, summed over the response (TRL's RLOO takes it out of the reward). */
function referenceKl(s: RolloutSequence): number {
  const kl = sequenceKl(s);
  if (kl === null) throw new Error("rloo: beta > 0 needs the reference's log-probs");
  return kl;
}

/** Leave-one-out advantages; the share of prompts whose responses all earned the same reward (they teach nothing). */
function prepare(batch: RolloutBatch, options: RlooOptions): Record<string, number> {
  const shaped = batch.sequences.map((s) => s.reward - (options.beta > 0 ? options.beta * referenceKl(s) : 0));
  const groups = Array.from({ length: batch.groups }, () => ({ total: 0, count: 0, rewards: [] as number[] }));
  batch.sequences.forEach((s, i) => {
    groups[s.group].total += shaped[i];
    groups[s.group].count++;
    groups[s.group].rewards.push(s.reward);
  });
  const advantages = batch.sequences.map((s, i) => {
    const g = groups[s.group];
    if (g.count < 2) throw new Error(`rloo: prompt ${s.promptId} has ${g.count} response; the leave-one-out baseline needs at least 2`);
    return shaped[i] - (g.total - shaped[i]) / (g.count - 1);
  });
  const mean = advantages.reduce((a, b) => a + b, 0) / advantages.length;
  const std = standardDeviation(advantages);
  batch.sequences.forEach((s, i) => {
    s.fixed.advantage = options.normalizeAdvantages ? (advantages[i] - mean) / (std + 1e-4) : advantages[i];
    s.fixed.oldLogprob = sequenceSum(s.sampledLogprobs);
  });
  return { frac_reward_zero_std: groups.filter((g) => standardDeviation(g.rewards) === 0).length / batch.groups };
}

/** Mean over the step's responses of -min(rho A, clip(rho) A), rho = exp(sum_t log pi - sum_t log pi_old). */
function loss(input: LossInput, options: RlooOptions): LossOutput {
  const { sequences, logprobs, mask, step } = input;
  const backend = logprobs.backend;
  const B = sequences.length;
  const old = perSequenceTensor(sequences, (s) => s.fixed.oldLogprob, backend);
  const ratio = exp(sub(reshape(maskedSum(logprobs, mask), [B, 1]), old));
  const advantages = perSequenceTensor(sequences, (s) => s.fixed.advantage, backend);
  const counted = options.maskTruncatedCompletions
    ? perSequenceTensor(sequences, (s) => (s.finished ? 1 : 0), backend)
    : tensor(new Float32Array(B).fill(1), [B, 1], { backend });
  const objective = clippedRatio(ratio, advantages, counted, options.epsilon, options.epsilonHigh ?? options.epsilon);
  const total = scale(sum(objective.perToken), 1 / step.sequences);
  return {
    loss: total,
    metrics: {
      loss: total.item(),
      ...clipRatioMetrics(objective, step.sequences),
      entropy: entropyShare(input),
    },
  };
}

export const rloo: Algorithm<RlooOptions> = {
  name: "rloo",
  summary: "RLOO: k responses per prompt, each against the mean reward of the other k - 1, PPO's clipped ratio per sequence (TRL's options)",
  options: rlooOptions,
  ...groupSampling,
  prepare,
  loss,
};
