// REBEL (REgression to RElative reward Based RL): two responses per prompt;
// the difference of their log-ratios against the sampling policy is regressed
// onto eta times the difference of their rewards, by least squares. No
// critic, no clipping, no reference pass.
import { z } from "zod";
import { maskedSum, matmul, reshape, scale, square, sub, sum, tensor } from "../tensor/index.js";
import { entropyShare } from "./entropy.js";
import { sequenceSum } from "./policy-gradient.js";
import type { Algorithm, LossInput, LossOutput, RolloutBatch } from "./types.js";

export const rebelOptions = z.object({
  eta: z.number().positive().default(1)
    .describe("rebel: scale of the reward difference the log-ratio difference is regressed onto (REBEL's eta)"),
});

/** REBEL's options, defaults filled in; each is described in `astarpo train --help`. */
export type RebelOptions = z.infer<typeof rebelOptions>;

/** Each response's log-prob under the sampling policy (the "old" policy of its ratio), summed; the pairs' reward gaps. */
function prepare(batch: RolloutBatch): Record<string, number> {
  for (const s of batch.sequences) s.fixed.oldLogprob = sequenceSum(s.sampledLogprobs);
  let gap = 0;
  for (let i = 0; i < batch.sequences.length; i += 2) gap += Math.abs(batch.sequences[i].reward - batch.sequences[i + 1].reward);
  const pairs = batch.sequences.length / 2;
  return { reward_gap: gap / pairs, frac_reward_zero_std: batch.sequences.filter((s, i) => i % 2 === 0 && s.reward === batch.sequences[i + 1].reward).length / pairs };
}

/** mean over pairs (y, y') of ([ln pi(y)/pi_old(y) - ln pi(y')/pi_old(y')] - eta (r(y) - r(y')))^2 */
function loss(input: LossInput, options: RebelOptions): LossOutput {
  const { sequences, logprobs, mask, step } = input;
  const backend = logprobs.backend;
  const B = sequences.length;
  for (let i = 0; i < B; i += 2) {
    if (sequences[i].group !== sequences[i + 1]?.group) throw new Error(`rebel: sequences ${i} and ${i + 1} of a micro-batch are not a pair of one prompt`);
  }
  const old = tensor(Float32Array.from(sequences, (s) => s.fixed.oldLogprob), [B], { backend });
  const logRatio = reshape(sub(maskedSum(logprobs, mask), old), [B / 2, 2]);
  // [P, 2] x [2, 1]: the first of each pair minus the second.
  const difference = reshape(matmul(logRatio, tensor([1, -1], [2, 1], { backend })), [B / 2]);
  const targets = tensor(Float32Array.from({ length: B / 2 }, (_, p) => options.eta * (sequences[2 * p].reward - sequences[2 * p + 1].reward)), [B / 2], { backend });
  const total = scale(sum(square(sub(difference, targets))), 2 / step.sequences);
  return { loss: total, metrics: { loss: total.item(), entropy: entropyShare(input) } };
}

export const rebel: Algorithm<RebelOptions> = {
  name: "rebel",
  summary: "REBEL: two responses per prompt, least squares of the log-ratio difference onto eta times the reward difference",
  options: rebelOptions,
  samplesPerPrompt: () => 2,
  passes: () => 1,
  needsReference: () => false,
  needsValues: false,
  keepGroupsTogether: true,
  createState: () => null,
  prepare,
  loss,
};
