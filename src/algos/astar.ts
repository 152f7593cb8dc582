// A*-PO ("Policy Optimization via Optimal Advantage Regression"). Stage 1
// estimates the optimal value V*(x) of every training prompt from N samples of
// the frozen reference; stage 2 samples ONE response per prompt from the
// policy and regresses beta2 times its log-ratio to the reference (summed over
// the response) onto the optimal advantage r - V-hat(x), by least squares.
import { z } from "zod";
import { maskedSum, scale, square, sub, sum, tensor } from "../tensor/index.js";
import { entropyCoef, withEntropyBonus } from "./entropy.js";
import { sequenceSum } from "./policy-gradient.js";
import type { Algorithm, HeldOutSample, LossInput, LossOutput, RolloutBatch } from "./types.js";

/**
 * How V-hat is made from a prompt's N rewards: "lse" is the paper's
 * beta1 * log-mean-exp(r / beta1); "mean" is the plain mean (its limit as
 * beta1 grows); "zero" sets V-hat = 0 (plain regression onto the reward).
 */
export const VALUE_MODES = ["lse", "mean", "zero"] as const;
export type ValueMode = (typeof VALUE_MODES)[number];

export const astarOptions = z.object({
  numValueSamples: z.number().int().positive().default(8)
    .describe("stage 1: responses sampled per prompt from the reference to estimate V*(x) (the paper's N)"),
  beta1: z.number().positive().default(0.5)
    .describe("stage 1: temperature of V-hat = beta1 * log mean exp(r / beta1); small tends to the max reward, large to the mean"),
  valueMode: z.enum(VALUE_MODES).default("lse")
    .describe("stage 1: lse (the paper's V-hat), mean (plain mean reward) or zero (V-hat = 0)"),
  beta2: z.number().positive().default(1e-3)
    .describe("stage 2: KL strength; the loss regresses beta2 * log(pi/pi_ref) onto r - V-hat"),
  filterAllWrong: z.boolean().default(true)
    .describe("stage 2: leave out prompts none of whose stage-1 samples earned a reward (TRL's choice; the authors' scripts keep them)"),
  entropyCoef,
  evalValues: z.boolean().default(true)
    .describe("stage 1 also for the held-out prompts, so that each evaluation reports eval_v_star, eval_advantage, eval_implicit_reward and eval_loss (as TRL's A*-PO trainer); its time counts as evaluation"),
  values: z.string().optional()
    .describe("stage 1 results to train from (an `astarpo values` folder); default: run stage 1 into the run folder first"),
});

/** A*-PO's options (value samples, beta1, beta2, ...), defaults filled in; each is described in `astarpo train --help`. */
export type AstarOptions = z.infer<typeof astarOptions>;

/** V-hat(x) from one prompt's rewards, computed stably (the largest term is factored out of the sum). */
export function optimalValue(rewards: readonly number[], beta1: number, mode: ValueMode = "lse"): number {
  if (rewards.length === 0) throw new Error("optimalValue: no rewards");
  if (mode === "zero") return 0;
  const mean = rewards.reduce((s, r) => s + r, 0) / rewards.length;
  if (mode === "mean") return mean;
  if (!(beta1 > 0) || !Number.isFinite(beta1)) throw new Error(`optimalValue: beta1 must be a finite number > 0, got ${beta1}`);
  const max = Math.max(...rewards);
  const scaled = rewards.reduce((s, r) => s + Math.exp((r - max) / beta1), 0) / rewards.length;
  return max + beta1 * Math.log(scaled);
}

function referenceSum(values: Float32Array | null): number {
  if (values === null) throw new Error("astar: a rollout has no reference log-probs");
  return sequenceSum(values);
}

function prepare(batch: RolloutBatch, options: AstarOptions): Record<string, number> {
  let advantage = 0, vStar = 0;
  for (const seq of batch.sequences) {
    if (seq.vHat === null) throw new Error(`astar: prompt ${seq.promptId} has no V-hat from stage 1`);
    seq.fixed.advantage = seq.reward - seq.vHat;
    seq.fixed.refLogprob = referenceSum(seq.refLogprobs);
    // The sampling policy's implicit reward, beta2 * log(pi / pi_ref): what the loss regresses onto the advantage.
    seq.fixed.implicitReward = options.beta2 * (sequenceSum(seq.sampledLogprobs) - seq.fixed.refLogprob);
    advantage += seq.fixed.advantage;
    vStar += seq.vHat;
  }
  const n = batch.sequences.length;
  return { v_star: vStar / n, advantage: advantage / n };
}

/** mean over the step's sequences of (beta2 * [log pi(y|x) - log pi_ref(y|x)] - (r - V-hat))^2, minus the entropy bonus. */
function loss(input: LossInput, options: AstarOptions): LossOutput {
  const { sequences, logprobs, mask, step } = input;
  const backend = logprobs.backend;
  const B = sequences.length;
  const refSums = tensor(Float32Array.from(sequences, (s) => s.fixed.refLogprob), [B], { backend });
  const advantages = tensor(Float32Array.from(sequences, (s) => s.fixed.advantage), [B], { backend });
  const logRatio = sub(maskedSum(logprobs, mask), refSums);
  const residual = sub(scale(logRatio, options.beta2), advantages);
  const { loss: total, entropy } = withEntropyBonus(scale(sum(square(residual)), 1 / step.sequences), input, options.entropyCoef);
  const ratios = logRatio.toFloat32Array();
  return {
    loss: total,
    metrics: {
      loss: total.item(),
      implicit_reward: ratios.reduce((s, r) => s + options.beta2 * r, 0) / step.sequences,
      entropy,
    },
  };
}

/**
 * TRL's evaluation metrics of A*-PO, on the held-out responses sampled at evaluation: mean V-hat, r - V-hat,
 * the implicit reward beta2 * log(pi / pi_ref), and the loss, where stage 1 gave the prompt a V-hat.
 */
function evaluationMetrics(samples: readonly HeldOutSample[], vHat: ReadonlyMap<string, number> | null, options: AstarOptions): Record<string, number> {
  const scored = samples.flatMap((s) => {
    const v = vHat?.get(s.promptId);
    return v === undefined || s.logRatio === null ? [] : [{ v, advantage: s.reward - v, implicit: options.beta2 * s.logRatio }];
  });
  if (scored.length === 0) return {};
  const mean = (f: (x: (typeof scored)[number]) => number) => scored.reduce((total, x) => total + f(x), 0) / scored.length;
  return {
    eval_v_star: mean((x) => x.v),
    eval_advantage: mean((x) => x.advantage),
    eval_implicit_reward: mean((x) => x.implicit),
    eval_loss: mean((x) => (x.implicit - x.advantage) ** 2),
  };
}

export const astar: Algorithm<AstarOptions> = {
  name: "astar",
  summary: "A*-PO: V*(x) from N reference samples offline, then least squares on one on-policy sample per prompt",
  options: astarOptions,
  samplesPerPrompt: () => 1,
  // The authors make one pass over each rollout batch.
  passes: () => 1,
  needsReference: () => true,
  needsValues: true,
  keepGroupsTogether: false,
  createState: () => null,
  prepare,
  loss,
  evaluationMetrics,
};
