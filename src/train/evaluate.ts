// Held-out evaluation: greedy accuracy (the paper's validation metric), and on
// request avg@k / pass@k from k samples per prompt and the KL from the policy
// to the reference, all scored by the run's own reward.
import { generate, logprobTemperature, scoreResponsesNoGrad, type GeneratedSequence } from "../generate/index.js";
import type { DecoderModel } from "../models/index.js";
import { scoreBatch, type RewardFn } from "../rewards/index.js";
import type { Tokenizer } from "../tokenize/index.js";
import type { HeldOutSample } from "../algos/index.js";
import { completionOf, rewardBatch, type PromptItem } from "./prompts.js";
import { derivedSeed } from "./seeds.js";
import { trainingReward } from "./values.js";

export interface EvalOptions {
  maxNewTokens: number;
  batchSize?: number;
  /** Samples per prompt for avg@k and pass@k (1: greedy only). */
  k?: number;
  /** Temperature of those samples and of the KL's samples. Default 1. */
  temperature?: number;
  logprobsAtTemperature?: boolean;
  /** With a reference model: also the mean KL(policy || reference) per response. */
  reference?: DecoderModel | null;
  seed?: number;
}

/** A held-out evaluation of a policy, scored by the run's reward. */
export interface EvalResult {
  /** Greedy accuracy: the mean reward, undecided answers counting 0. */
  accuracy: number;
  /** Greedy responses the checker could not decide. */
  unparsed: number;
  /** Mean reward over k samples per prompt; null unless k > 1. */
  avgAtK: number | null;
  /** The share of prompts with a rewarded sample among their k; null unless k > 1. */
  passAtK: number | null;
  /** Mean over sampled responses of sum_t log pi(y_t) - log pi_ref(y_t); null without a reference. */
  kl: number | null;
  /** Mean tokens of the greedy responses. */
  responseLength: number;
  /** The greedy responses, one per prompt, for showing beside the numbers. */
  samples: Array<{
    /** The prompt as the model read it. */
    prompt: string;
    /** The greedy response. */
    completion: string;
    /** Its reward; null where the checker could not decide. */
    reward: number | null;
  }>;
  /** The responses sampled for avg@k or the KL (none otherwise): each one's prompt, reward, and log-ratio to the reference where measured. */
  sampled: HeldOutSample[];
}

async function rewardsOf(reward: RewardFn, prompts: readonly PromptItem[], sequences: readonly GeneratedSequence[]): Promise<Array<number | null>> {
  return scoreBatch(reward, rewardBatch(prompts, sequences.map(completionOf)));
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);

export async function evaluate(model: DecoderModel, tokenizer: Tokenizer, prompts: readonly PromptItem[], reward: RewardFn,
  options: EvalOptions): Promise<EvalResult> {
  const batchSize = options.batchSize ?? 64;
  const greedy = generate(model, tokenizer, prompts.map((p) => p.ids), { greedy: true, maxNewTokens: options.maxNewTokens, batchSize });
  const greedyRewards = await rewardsOf(reward, prompts, greedy);
  const result: EvalResult = {
    accuracy: mean(greedyRewards.map(trainingReward)),
    unparsed: greedyRewards.filter((r) => r === null).length,
    avgAtK: null,
    passAtK: null,
    kl: null,
    responseLength: mean(greedy.map((s) => s.tokenIds.length)),
    samples: greedy.map((s, i) => ({ prompt: prompts[i].text.trimEnd(), completion: s.text, reward: greedyRewards[i] })),
    sampled: [],
  };
  const k = options.k ?? 1;
  const wantKl = options.reference !== undefined && options.reference !== null;
  if (k === 1 && !wantKl) return result;

  const seed = options.seed ?? 0;
  const repeated = prompts.flatMap((p) => Array.from({ length: k }, () => p));
  const sampling = { temperature: options.temperature ?? 1, logprobsAtTemperature: options.logprobsAtTemperature ?? true };
  const sampled = generate(model, tokenizer, repeated.map((p) => p.ids), {
    ...sampling,
    maxNewTokens: options.maxNewTokens,
    batchSize,
    seeds: repeated.map((p, i) => derivedSeed(seed, "eval", p.example.id, i % k)),
  });
  const rewards = (await rewardsOf(reward, repeated, sampled)).map(trainingReward);
  if (k > 1) {
    result.avgAtK = mean(rewards);
    result.passAtK = mean(prompts.map((_, i) => (rewards.slice(i * k, (i + 1) * k).some((r) => r > 0) ? 1 : 0)));
  }
  let logRatios: number[] | null = null;
  if (wantKl) {
    const ref = scoreResponsesNoGrad(options.reference!, tokenizer, sampled.map((s) => ({ prompt: s.promptTokenIds, response: s.tokenIds })),
      { temperature: logprobTemperature(sampling), batchSize: 16 });
    logRatios = sampled.map((s, i) => s.logprobs.reduce((acc, lp, t) => acc + lp - ref.logprobs[i][t], 0));
    result.kl = mean(logRatios);
  }
  result.sampled = repeated.map((p, i) => ({ promptId: p.example.id, reward: rewards[i], logRatio: logRatios?.[i] ?? null }));
  return result;
}
