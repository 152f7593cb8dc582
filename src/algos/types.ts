// What every algorithm shares with the trainer: the rollout batch (one plain
// structure that all of them read) and the shape of an algorithm (what it needs
// from a rollout, and its loss). The trainer knows nothing else about them.
import type { z } from "zod";
import type { DecoderModel } from "../models/index.js";
import type { Parameter } from "../nn/index.js";
import type { Tensor } from "../tensor/index.js";

/** One sampled response and everything the passes of a rollout learned about it. */
export interface RolloutSequence {
  /** Which prompt of the batch it answers: responses to the same prompt share a group. */
  group: number;
  /** The prompt's stable id (dataset:row:hash). */
  promptId: string;
  /** The rendered prompt's tokens. */
  promptIds: readonly number[];
  /** The response's tokens, through the first end-of-sequence token when it ended. */
  responseIds: readonly number[];
  /** Ended by itself (EOS or a stop string), not cut at the length limit. */
  finished: boolean;
  /** The response decoded to text (what the reward read). */
  text: string;
  /** log p(token) under the policy that sampled it, as the sampler reported it. */
  sampledLogprobs: Float32Array;
  /** The reward as training uses it (a null verdict already mapped to a number). */
  reward: number;
  /** The reward function's own value, null where it could not decide. */
  rawReward: number | null;
  /** log p(token) under the frozen reference; null when the algorithm needs no reference pass. */
  refLogprobs: Float32Array | null;
  /** V-hat(x) from stage 1, where the algorithm uses it. */
  vHat: number | null;
  /** Per-sequence quantities the algorithm fixes once per rollout (advantages, targets), by name. */
  fixed: Record<string, number>;
  /** Per-token quantities it fixes once per rollout (PPO's values, returns, advantages), by name. */
  perToken: Record<string, Float32Array>;
}

/** One rollout: the sampled responses of a batch of prompts, grouped by prompt. */
export interface RolloutBatch {
  /** Every response, with what the rollout's passes learned about it. */
  sequences: RolloutSequence[];
  /** Distinct prompts in the batch (groups 0 .. groups - 1). */
  groups: number;
}

/** A held-out response sampled at evaluation, as an algorithm's evaluation metrics read it. */
export interface HeldOutSample {
  /** The prompt's stable id (dataset:row:hash). */
  promptId: string;
  /** Its reward as training counts it. */
  reward: number;
  /** sum_t log pi(y_t) - log pi_ref(y_t), where the evaluation measured the KL. */
  logRatio: number | null;
}

/** The size of an optimizer step, which a micro-batch's loss is a share of. */
export interface StepSize {
  sequences: number;
  /** Response tokens (those of responses the loss leaves out included). */
  tokens: number;
  /** The run's response length limit (Dr. GRPO divides by it). */
  maxNewTokens: number;
}

/** One micro-batch of the training forward pass. */
export interface LossInput {
  sequences: readonly RolloutSequence[];
  /** [B, R] log p(token) under the policy being trained, on the autograd tape; 0 past each response. */
  logprobs: Tensor;
  /** [B, R] the entropy of each token's distribution (no gradient unless the loss uses it); 0 past each response. */
  entropy: Tensor;
  /** [B, R] 1 on response tokens, 0 on padding. */
  mask: Tensor;
  /**
   * Sizes of the whole optimizer step this micro-batch belongs to, so that
   * micro-batch losses add up to the step's mean (gradient accumulation).
   */
  step: StepSize;
}

export interface LossOutput {
  /** A scalar: this micro-batch's share of the step's loss. */
  loss: Tensor;
  /** Metrics as this micro-batch's share of the step's mean (they add up over micro-batches like the loss). */
  metrics: Record<string, number>;
}

/**
 * Trainable state an algorithm brings besides the policy (PPO's critic): the
 * trainer's optimizer trains its parameters with the policy's, and
 * checkpoints save and restore it.
 */
export interface AlgorithmState {
  /** Its trainable parameters, named under a prefix of its own (e.g. "critic."), so their optimizer moments never clash with the policy's. */
  namedParameters(): Map<string, Parameter>;
  /** Writes its trainable weights into a checkpoint's folder (created by the caller). */
  save(dir: string): Promise<void>;
  /** Reads weights written by save(). */
  load(dir: string): void;
  dispose(): void;
}

export interface Algorithm<Options extends Record<string, unknown> = Record<string, unknown>, State extends AlgorithmState | null = null> {
  readonly name: string;
  /** One line for help texts. */
  readonly summary: string;
  /** Its options with defaults and descriptions; keys are shared with the rest of the run config. */
  readonly options: z.ZodObject<z.ZodRawShape>;
  /** Responses sampled per prompt in every rollout. */
  samplesPerPrompt(options: Options): number;
  /** Passes over each rollout batch (several reuse it off-policy, as PPO does). */
  passes(options: Options): number;
  /** Whether rollouts need log-probs under the frozen reference model. */
  needsReference(options: Options): boolean;
  /** Whether it needs V-hat(x) from stage 1 (A*-PO). */
  readonly needsValues: boolean;
  /** Whether a prompt's responses must share a micro-batch (losses over pairs or groups). */
  readonly keepGroupsTogether: boolean;
  /** Its own trainable state, made from the starting policy (seed: the run's, for what it draws at random); null when it has none. */
  createState(policy: DecoderModel, options: Options, seed: number): State;
  /** Fixes per-sequence quantities once per rollout (advantages, targets); returns rollout metrics. */
  prepare(batch: RolloutBatch, options: Options, state: State): Record<string, number>;
  /** The loss of one micro-batch. */
  loss(input: LossInput, options: Options, state: State): LossOutput;
  /** Its own metrics of an evaluation's sampled held-out responses (named eval_*); `vHat`: stage 1's values of the held-out prompts, where made. */
  evaluationMetrics?(samples: readonly HeldOutSample[], vHat: ReadonlyMap<string, number> | null, options: Options): Record<string, number>;
}
