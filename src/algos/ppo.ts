// PPO for language models, as TRL and verl run it on outcome rewards: one
// response per prompt; a critic (a separate copy of the starting policy with a
// value head; with LoRA, adapters of its own on a frozen copy of the base)
// estimates each token's value; the reward is the outcome at the
// last token minus a KL penalty to the reference at every token; GAE turns
// rewards and values into per-token advantages; the policy takes the clipped
// ratio objective and the critic a clipped value loss, over several epochs
// per rollout batch.
import { join } from "node:path";
import { z } from "zod";
import { responseHidden, type PromptAndResponse } from "../generate/index.js";
import { addLora, frozenCopy, SafetensorsFile, trainableCopy, writeSafetensors, type DecoderModel } from "../models/index.js";
import { init, type Parameter } from "../nn/index.js";
import { add, clamp, linear, maximum, mul, noGrad, reshape, scale, scope, square, sub, sum, type Tensor } from "../tensor/index.js";
import { entropyShare } from "./entropy.js";
import { clippedObjective, perTokenTensor } from "./policy-gradient.js";
import type { Algorithm, AlgorithmState, LossInput, LossOutput, RolloutBatch } from "./types.js";

export const ppoOptions = z.object({
  klCoef: z.number().min(0).default(0.05)
    .describe("ppo: KL penalty to the reference, subtracted from each token's reward"),
  cliprange: z.number().positive().default(0.2)
    .describe("ppo: the policy ratio is clipped to [1 - cliprange, 1 + cliprange]"),
  cliprangeValue: z.number().positive().default(0.2)
    .describe("ppo: the critic's new values stay within this of its rollout values in the clipped value loss"),
  vfCoef: z.number().positive().default(0.1)
    .describe("ppo: weight of the value loss"),
  gamma: z.number().min(0).max(1).default(1)
    .describe("ppo: discount"),
  lam: z.number().min(0).max(1).default(0.95)
    .describe("ppo: GAE lambda (1: Monte-Carlo returns)"),
  numPpoEpochs: z.number().int().positive().default(4)
    .describe("ppo: passes over each rollout batch"),
  whitenAdvantages: z.boolean().default(true)
    .describe("ppo: normalise advantages to mean 0 and variance 1 over the batch's tokens"),
});

/** PPO's options (critic, GAE, clipping), defaults filled in; each is described in `astarpo train --help`. */
export type PpoOptions = z.infer<typeof ppoOptions>;

const CRITIC_FILE = "critic.safetensors";

/**
 * The critic's body, made from the starting policy: a trainable f32 copy of
 * it, or, for a policy with LoRA adapters, fresh adapters of the same rank,
 * alpha and targets (A drawn from `seed`) on a frozen copy of its base, held
 * as the policy holds its base. The copy costs the base's memory once more;
 * it cannot share the policy's weights, because a projection carries one
 * adapter. The critic's adapters have no dropout (as TRL turns dropout off
 * for PPO): the clipped value loss compares its values in training with
 * those of the rollout, which are computed without dropout.
 */
export function criticBody(policy: DecoderModel, seed: number): DecoderModel {
  if (!policy.usesAdapters) return trainableCopy(policy);
  const body = frozenCopy(policy.withoutAdapters(), policy.outputWeight.dtype === "bf16" ? "bf16" : "f32");
  return addLora(body, { ...policy.adapters!.config, dropout: 0 }, seed);
}

/** The critic: a copy of the starting policy (see criticBody) whose last hidden state a linear head maps to a value. */
export class Critic implements AlgorithmState {
  readonly head: Parameter;
  readonly headBias: Parameter;

  constructor(readonly body: DecoderModel) {
    // Zero-initialised: every value starts at 0, and the body learns only once the head has moved.
    this.head = init.zeros([1, body.config.hiddenSize], "critic.score.weight", body.backend);
    this.headBias = init.zeros([1], "critic.score.bias", body.backend);
  }

  /** What trains: the whole body, or its adapters alone; and the head. A frozen base is neither trained nor saved. */
  namedParameters(): Map<string, Parameter> {
    return new Map([...this.body.namedTrainableParameters("critic"), ["critic.score.weight", this.head], ["critic.score.bias", this.headBias]]);
  }

  /** [B, R] the value of the state before each response token, 0 past each response. */
  values(batch: readonly PromptAndResponse[]): Tensor {
    return scope(() => {
      const { rows, mask } = responseHidden(this.body, batch, this.body.config.vocabSize);
      return mul(reshape(linear(rows, this.head, this.headBias), mask.shape), mask);
    });
  }

  async save(dir: string): Promise<void> {
    await writeSafetensors(join(dir, CRITIC_FILE), [...this.namedParameters()].map(([name, p]) => ({
      name, dtype: "F32" as const, shape: p.shape, values: () => p.toFloat32Array(),
    })));
  }

  load(dir: string): void {
    const file = SafetensorsFile.open(join(dir, CRITIC_FILE));
    try {
      for (const [name, p] of this.namedParameters()) {
        if (!file.tensors.has(name)) throw new Error(`${join(dir, CRITIC_FILE)}: no tensor "${name}"`);
        p.write(file.read(name));
      }
    } finally {
      file.close();
    }
  }

  dispose(): void {
    this.body.dispose();
    this.head.dispose();
    this.headBias.dispose();
  }
}

const pairs = (batch: RolloutBatch) => batch.sequences.map((s) => ({ prompt: s.promptIds, response: s.responseIds }));

/** Generalised advantage estimation over one response's token rewards and values (the value after the last token is 0). */
export function gae(rewards: Float32Array, values: Float32Array, gamma: number, lam: number): Float32Array {
  const advantages = new Float32Array(rewards.length);
  let running = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    const next = t + 1 < rewards.length ? values[t + 1] : 0;
    running = rewards[t] + gamma * next - values[t] + gamma * lam * running;
    advantages[t] = running;
  }
  return advantages;
}

/** The critic's values on the rollout, the per-token rewards (KL penalty + outcome), GAE advantages and returns. */
function prepare(batch: RolloutBatch, options: PpoOptions, critic: Critic): Record<string, number> {
  const all = pairs(batch);
  const values: Float32Array[] = [];
  noGrad(() => {
    for (let start = 0; start < all.length; start += 8) {
      scope(() => {
        const chunk = all.slice(start, start + 8);
        const v = critic.values(chunk).toFloat32Array();
        const width = v.length / chunk.length;
        chunk.forEach((pair, b) => values.push(v.slice(b * width, b * width + pair.response.length)));
      });
    }
  });
  let penalty = 0;
  batch.sequences.forEach((s, i) => {
    const rewards = Float32Array.from(s.sampledLogprobs, (lp, t) => (s.refLogprobs ? -options.klCoef * (lp - s.refLogprobs[t]) : 0));
    penalty += rewards.reduce((a, b) => a + b, 0);
    rewards[rewards.length - 1] += s.reward;
    const advantages = gae(rewards, values[i], options.gamma, options.lam);
    s.perToken.values = values[i];
    s.perToken.returns = Float32Array.from(advantages, (a, t) => a + values[i][t]);
    s.perToken.advantages = advantages;
  });
  if (options.whitenAdvantages) {
    const flat = batch.sequences.flatMap((s) => Array.from(s.perToken.advantages));
    const mean = flat.reduce((a, b) => a + b, 0) / flat.length;
    const std = Math.sqrt(flat.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, flat.length - 1));
    for (const s of batch.sequences) s.perToken.advantages = s.perToken.advantages.map((a) => (a - mean) / (std + 1e-8));
  }
  const tokens = batch.sequences.reduce((n, s) => n + s.responseIds.length, 0);
  return {
    value_mean: values.reduce((n, v) => n + v.reduce((a, b) => a + b, 0), 0) / tokens,
    kl_penalty: -penalty / batch.sequences.length,
  };
}

/** The clipped policy objective and the clipped value loss, both averaged over the step's tokens. */
function loss(input: LossInput, options: PpoOptions, critic: Critic): LossOutput {
  const { sequences, logprobs, mask, step } = input;
  const backend = logprobs.backend;
  const width = logprobs.shape[1];
  const token = (key: string) => perTokenTensor(sequences, width, (s) => s.perToken[key], backend);
  const objective = clippedObjective(input, token("old"), token("advantages"), options.cliprange, options.cliprange);
  const policyLoss = scale(sum(objective.perToken), 1 / step.tokens);
  const predicted = critic.values(sequences.map((s) => ({ prompt: s.promptIds, response: s.responseIds })));
  const rolloutValues = token("values"), returns = token("returns");
  const clippedValues = add(rolloutValues, clamp(sub(predicted, rolloutValues), -options.cliprangeValue, options.cliprangeValue));
  const valueLoss = scale(sum(mul(maximum(square(sub(predicted, returns)), square(sub(clippedValues, returns))), mask)), 0.5 / step.tokens);
  const total = add(policyLoss, scale(valueLoss, options.vfCoef));
  return {
    loss: total,
    metrics: {
      loss: total.item(),
      policy_loss: policyLoss.item(),
      value_loss: valueLoss.item(),
      "clip_ratio/region_mean": (objective.clippedLow + objective.clippedHigh) / step.tokens,
      entropy: entropyShare(input),
    },
  };
}

export const ppo: Algorithm<PpoOptions, Critic> = {
  name: "ppo",
  summary: "PPO: one response per prompt, a critic and GAE, clipped policy and value losses, several epochs per batch",
  options: ppoOptions,
  samplesPerPrompt: () => 1,
  passes: (o) => o.numPpoEpochs,
  needsReference: (o) => o.klCoef > 0,
  needsValues: false,
  keepGroupsTogether: false,
  createState: (policy, _options, seed) => new Critic(criticBody(policy, seed)),
  prepare: (batch, options, critic) => {
    // The ratio's "old" policy is the one that sampled: its reported log-probs.
    for (const s of batch.sequences) s.perToken.old = s.sampledLogprobs;
    return prepare(batch, options, critic);
  },
  loss,
};
