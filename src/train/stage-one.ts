// Stage 1 as a run step: fill (or resume) a values folder for the training
// prompts, from a sampler or from the data's own reward columns, then write its
// summary. `astarpo values` and `astarpo train` (when no values are given)
// both come here.
import { localSampler, type ResponseSampler } from "../generate/index.js";
import { modelFingerprint, type DecoderModel } from "../models/index.js";
import type { RewardFn } from "../rewards/index.js";
import type { Tokenizer } from "../tokenize/index.js";
import { maxNewTokensOf, type RunConfig } from "./config.js";
import { progressBar, short } from "./progress.js";
import type { PromptItem } from "./prompts.js";
import { presampledRewards, sampleValues, summarizeValues, trainingReward, ValuesCache, valuesFromColumns, VALUES_FORMAT, type StageOneSummary } from "./values.js";

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
}

/** Whether the prompts carry the authors' per-sample reward columns (eval_0 ..), so stage 1 needs no sampling. */
export function hasRewardColumns(prompts: readonly PromptItem[]): boolean {
  return prompts.length > 0 && presampledRewards(prompts[0].example) !== null;
}

export async function runStageOne(config: RunConfig, run: StageOneRun): Promise<StageOneResult> {
  const options = config;
  const started = performance.now();
  const fromColumns = run.sampler === null;
  const numSamples = fromColumns ? (presampledRewards(run.prompts[0].example) ?? []).length : options.numValueSamples;
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
  const seconds = (performance.now() - started) / 1000;
  const samplingSeconds = (cache.readSummary()?.sampling_seconds ?? 0) + (fromColumns ? 0 : seconds);
  const summary = summarizeValues(cache, run.prompts.map((p) => p.example.id), options.beta1, options.valueMode, samplingSeconds);
  await cache.writeSummary(summary);
  return { cache, summary, complete };
}

/** A few lines that say what stage 1 found. */
export function describeSummary(s: StageOneSummary): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `stage 1: ${s.prompts} prompts x ${s.numSamples} samples from ${s.source}`,
    `  reference pass@1 ${pct(s.pass_at_1)}, pass@${s.numSamples} ${pct(s.pass_at_n)}; ${s.all_wrong} prompts all wrong; ` +
      `${s.undecided} undecided and ${s.truncated} truncated samples` +
      (s.retokenized > 0 ? `; ${s.retokenized} samples' token ids encoded from their text (the server returned none)` : ""),
    `  V-hat (beta1 ${s.beta1}, ${s.valueMode}) mean ${short(s.v_hat_mean)}: ` +
      s.v_hat_histogram.map((b) => `${short(b.lo, 2)}:${b.count}`).join(" "),
  ];
}

export interface TrainingValues {
  /** V-hat by prompt id. */
  vHat: Map<string, number>;
  /** The training prompts stage 2 uses (all-wrong ones left out under filterAllWrong). */
  prompts: PromptItem[];
  /** Stage 1 was stopped before it finished: there is nothing to train on yet. */
  stopped: boolean;
  /** What stage 1 cost for these prompts, whenever it ran: seconds sampling and scoring, and tokens sampled. */
  cost: { seconds: number; tokens: number };
}

/**
 * V-hat for every training prompt: from config.values (checked against the
 * reference's fingerprint), else from stage 1 run (or resumed) in `dir`.
 */
export async function valuesForTraining(config: RunConfig, reference: DecoderModel, tokenizer: Tokenizer, prompts: readonly PromptItem[],
  reward: RewardFn, dir: string, options: { progress?: boolean; shouldStop?: () => boolean; log: (line: string) => void }): Promise<TrainingValues> {
  const fingerprint = modelFingerprint(reference);
  const costOf = (summary: StageOneSummary) => ({ seconds: summary.sampling_seconds, tokens: summary.generated_tokens });
  let cache: ValuesCache;
  // Stage 1 run here summarizes these very prompts; values made elsewhere are summarized for them below.
  let cost: TrainingValues["cost"] | null = null;
  if (config.values !== undefined) {
    cache = ValuesCache.open(config.values);
    if (cache.meta.modelFingerprint === null) {
      options.log(`stage 1: values from ${cache.meta.source}, which carry no model fingerprint: not checked against the reference ${config.model}`);
    } else if (cache.meta.modelFingerprint !== fingerprint) {
      throw new Error(`${config.values}: these values were sampled from ${cache.meta.source} (fingerprint ${cache.meta.modelFingerprint}), ` +
        `not from this run's reference ${config.model} (fingerprint ${fingerprint}); run \`astarpo values\` for this model`);
    }
  } else {
    const run = await runStageOne(config, {
      sampler: localSampler(reference, tokenizer, config.model), fingerprint, prompts, reward, dir, progress: options.progress, shouldStop: options.shouldStop,
    });
    describeSummary(run.summary).forEach((line) => options.log(line));
    cost = costOf(run.summary);
    if (!run.complete) return { vHat: new Map(), prompts: [], stopped: true, cost };
    cache = run.cache;
  }
  const missing = prompts.filter((p) => !cache.records.has(p.example.id));
  if (missing.length > 0) {
    throw new Error(`${cache.dir}: no stage-1 samples for ${missing.length} of ${prompts.length} training prompts ` +
      `(first: ${missing[0].example.id}); run \`astarpo values\` with this run's config to sample them`);
  }
  let kept = [...prompts];
  if (config.filterAllWrong) {
    kept = prompts.filter((p) => cache.records.get(p.example.id)!.rewards.some((r) => trainingReward(r) > 0));
    options.log(`stage 2: ${prompts.length - kept.length} of ${prompts.length} prompts had no rewarded stage-1 sample and are left out (filterAllWrong)`);
    if (kept.length === 0) throw new Error("every training prompt was all wrong in stage 1: the reference solves none of them, so there is nothing to learn");
  }
  cost ??= costOf(summarizeValues(cache, prompts.map((p) => p.example.id), config.beta1, config.valueMode, cache.readSummary()?.sampling_seconds ?? 0));
  return { vHat: cache.values(config.beta1, config.valueMode), prompts: kept, stopped: false, cost };
}

/**
 * V-hat of the held-out prompts, as TRL's A*-PO trainer estimates it for its evaluation prompts too, so that
 * evaluations report the regression's terms (evalValues; null when off or when there are none): stage 1 run, or
 * resumed, in `dir`. `stopped` when stopped before it finished.
 */
export async function heldOutValues(config: RunConfig, reference: DecoderModel, tokenizer: Tokenizer, prompts: readonly PromptItem[],
  reward: RewardFn, dir: string, options: { progress?: boolean; shouldStop?: () => boolean; log: (line: string) => void }): Promise<{ vHat: Map<string, number> | null; stopped: boolean }> {
  if (!config.evalValues || prompts.length === 0) return { vHat: null, stopped: false };
  const run = await runStageOne(config, {
    sampler: localSampler(reference, tokenizer, config.model), fingerprint: modelFingerprint(reference), prompts, reward, dir,
    progress: options.progress, shouldStop: options.shouldStop,
  });
  if (!run.complete) return { vHat: null, stopped: true };
  options.log(`stage 1 for ${prompts.length} held-out prompts: V-hat mean ${short(run.summary.v_hat_mean)}`);
  return { vHat: run.cache.values(config.beta1, config.valueMode), stopped: false };
}
