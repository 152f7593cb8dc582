// One rollout batch: sample from the current policy, score with the reward,
// and run the frozen reference over the same tokens when the algorithm needs
// it. Each phase is timed on its own, because the time split is one of the
// numbers the algorithms are compared on.
import type { RolloutBatch, RolloutSequence } from "../algos/index.js";
import { generate, logprobTemperature, scoreResponsesNoGrad, type GenerationTokenizer } from "../generate/index.js";
import type { DecoderModel } from "../models/index.js";
import { scoreBatch, type RewardFn } from "../rewards/index.js";
import { completionOf, rewardBatch, type PromptItem } from "./prompts.js";
import { derivedSeed } from "./seeds.js";
import { trainingReward } from "./values.js";

export interface RolloutSettings {
  samplesPerPrompt: number;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  logprobsAtTemperature: boolean;
  generationBatchSize: number;
  /** Sequences per reference forward pass. */
  referenceBatchSize: number;
  seed: number;
}

export interface RolloutTiming {
  sample: number;
  reward: number;
  reference: number;
}

export async function collectRollouts(policy: DecoderModel, reference: DecoderModel | null, tokenizer: GenerationTokenizer, reward: RewardFn,
  prompts: readonly PromptItem[], vHat: ReadonlyMap<string, number> | null, step: number, s: RolloutSettings,
): Promise<{ batch: RolloutBatch; seconds: RolloutTiming }> {
  const G = s.samplesPerPrompt;
  const repeated = prompts.flatMap((p, group) => Array.from({ length: G }, (_, j) => ({ p, group, j })));
  let t = performance.now();
  const lap = () => {
    const now = performance.now();
    const seconds = (now - t) / 1000;
    t = now;
    return seconds;
  };

  const sampling = { temperature: s.temperature, logprobsAtTemperature: s.logprobsAtTemperature };
  const sequences = generate(policy, tokenizer, repeated.map((r) => r.p.ids), {
    ...sampling,
    topP: s.topP,
    maxNewTokens: s.maxNewTokens,
    batchSize: s.generationBatchSize,
    seeds: repeated.map((r) => derivedSeed(s.seed, "rollout", step, r.p.example.id, r.j)),
  });
  const sample = lap();

  const rewards = await scoreBatch(reward, rewardBatch(repeated.map((r) => r.p), sequences.map(completionOf)));
  const rewardSeconds = lap();

  const refLogprobs = reference === null ? null : scoreResponsesNoGrad(reference, tokenizer,
    sequences.map((q) => ({ prompt: q.promptTokenIds, response: q.tokenIds })),
    { temperature: logprobTemperature(sampling), batchSize: s.referenceBatchSize }).logprobs;
  const referenceSeconds = lap();

  const batch: RolloutSequence[] = sequences.map((q, i) => ({
    group: repeated[i].group,
    promptId: repeated[i].p.example.id,
    promptIds: q.promptTokenIds,
    responseIds: q.tokenIds,
    finished: q.finishReason === "stop",
    text: q.text,
    sampledLogprobs: Float32Array.from(q.logprobs),
    reward: trainingReward(rewards[i]),
    rawReward: rewards[i],
    refLogprobs: refLogprobs?.[i] ?? null,
    vHat: vHat?.get(repeated[i].p.example.id) ?? null,
    fixed: {},
    perToken: {},
  }));
  return { batch: { sequences: batch, groups: prompts.length }, seconds: { sample, reward: rewardSeconds, reference: referenceSeconds } };
}
