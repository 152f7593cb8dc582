// Stage 1 as a run step: fill (or resume) a values folder for the training
// prompts, from a sampler or from the data's own reward columns, then write its
// summary. `astarpo values` and `astarpo train` (when no values are given)
// both come here.
import type { ResponseSampler } from "../generate/index.js";
import type { RewardFn } from "../rewards/index.js";
import { maxNewTokensOf, type RunConfig } from "./config.js";
import { progressBar, short } from "./progress.js";
import type { PromptItem } from "./prompts.js";
import { rewardColumns, sampleValues, summarizeValues, ValuesCache, valuesFromColumns, VALUES_FORMAT, type StageOneSummary } from "./values.js";

export interface StageOneRun {
  /** Where responses come from; null reads the data's eval_j columns instead of sampling. */
  sampler: ResponseSampler | null;
  /** The sampler's model fingerprint (null for a remote server or columns). */
  fingerprint: string | null;
  prompts: readonly PromptItem[];
  reward: RewardFn;
  dir: string;
  progress?: boolean;
  shouldStop?: () => boolean;
}

export interface StageOneResult {
  cache: ValuesCache;
  summary: StageOneSummary;
  /** False when stopped before every prompt was sampled. */
  complete: boolean;
  seconds: number;
}

/** Whether the prompts carry the authors' per-sample reward columns (eval_0 ..), so stage 1 needs no sampling. */
export function hasRewardColumns(prompts: readonly PromptItem[]): boolean {
  return prompts.length > 0 && rewardColumns(prompts[0].example) !== null;
}

export async function runStageOne(config: RunConfig, run: StageOneRun): Promise<StageOneResult> {
  const options = config;
  const started = performance.now();
  const fromColumns = run.sampler === null;
  const numSamples = fromColumns ? (rewardColumns(run.prompts[0].example) ?? []).length : options.numValueSamples;
  const cache = await ValuesCache.create(run.dir, {
    format: VALUES_FORMAT,
    source: run.sampler?.source ?? `columns eval_0..eval_${numSamples - 1} of ${config.data ?? config.task}`,
    modelFingerprint: run.fingerprint,
    task: config.task,
    numSamples,
    temperature: config.temperature,
    topP: config.topP,
    maxNewTokens: maxNewTokensOf(config),
    seed: config.seed,
  });
  let complete = true;
  if (fromColumns) {
    valuesFromColumns(cache, run.prompts);
  } else {
    const bar = progressBar("stage 1 {bar} {value}/{total} prompts | {prompts_s} prompts/s | {tokens_s} tok/s | ETA {eta_formatted}", run.progress ?? false);
    bar.start(run.prompts.length, 0, { prompts_s: "-", tokens_s: "-" });
    try {
      complete = await sampleValues(cache, run.prompts, {
        sampler: run.sampler!,
        reward: run.reward,
        numSamples,
        temperature: config.temperature,
        topP: config.topP,
        maxNewTokens: maxNewTokensOf(config),
        seed: config.seed,
        batchSize: config.generationBatchSize,
        logprobsAtTemperature: config.logprobsAtTemperature,
        shouldStop: run.shouldStop,
        onProgress: (p) => bar.update(p.donePrompts, {
          prompts_s: short(p.newResponses / numSamples / Math.max(p.seconds, 1e-9)),
          tokens_s: short(p.newTokens / Math.max(p.seconds, 1e-9)),
        }),
      });
    } finally {
      bar.stop();
    }
  }
  const summary = summarizeValues(cache, run.prompts.map((p) => p.example.id), options.beta1, options.valueMode);
  await cache.writeSummary(summary);
  return { cache, summary, complete, seconds: (performance.now() - started) / 1000 };
}

/** A few lines that say what stage 1 found. */
export function describeSummary(s: StageOneSummary): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `stage 1: ${s.prompts} prompts x ${s.numSamples} samples from ${s.source}`,
    `  reference pass@1 ${pct(s.pass_at_1)}, pass@${s.numSamples} ${pct(s.pass_at_n)}; ${s.all_wrong} prompts all wrong; ` +
      `${s.undecided} undecided and ${s.truncated} truncated samples`,
    `  V-hat (beta1 ${s.beta1}, ${s.valueMode}) mean ${short(s.v_hat_mean)}: ` +
      s.v_hat_histogram.map((b) => `${short(b.lo, 2)}:${b.count}`).join(" "),
  ];
}
