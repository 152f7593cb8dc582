// A*-PO's stage 1 from code, as `astarpo values` runs it: N responses per
// training prompt from the frozen reference (in this process, or through any
// OpenAI-compatible server serving the same model), scored here, cached in a
// folder that training reads; or the cache scored again; or V-hat read from a
// dataset's own reward columns.
import { join } from "node:path";
import { localSampler, type ResponseSampler } from "../generate/index.js";
import { frozenCopy, modelFingerprint } from "../models/index.js";
import { resolveModel, resolveTokenizer } from "../pretrained/index.js";
import { openaiSampler, type OpenAISamplerOptions } from "../serve/index.js";
import type { Tokenizer } from "../tokenize/index.js";
import { backendFor } from "../tensor/index.js";
import { referenceWeightsOf, runDirOf, type RunConfig, type RunConfigInput } from "../train/config.js";
import { loadPromptSets, promptShard } from "../train/prompts.js";
import { hasRewardColumns, runStageOne } from "../train/stage-one.js";
import { rescoreValues, summarizeValues, ValuesCache, type StageOneSummary } from "../train/values.js";
import { resolveRunConfig, rewardFunction, type GivenInputs } from "./train.js";

/** An OpenAI-compatible server (vLLM, SGLang, `astarpo serve`) serving the run's model; the tokenizer is the run's. */
export interface ServerSampling extends Omit<OpenAISamplerOptions, "tokenizer" | "model"> {
  /** The model name the server serves; default the run's `model` (whose local folder still gives the tokenizer). */
  model?: string;
}

export interface ComputeValuesOptions extends GivenInputs {
  /** The values folder; default `<outputDir>/<name>/values`, where train() looks for it. */
  out?: string;
  /** Sample through this server instead of in this process. */
  server?: ServerSampling;
  /** Sample only shard `index` (1-based) of `count` of the training prompts, for one of `count` machines (join them with `astarpo values merge`). */
  shard?: {
    /** Which shard, from 1 to count. */
    index: number;
    /** How many shards the prompts are cut into. */
    count: number;
  };
  /** Score the cached responses again with the reward (no sampling). */
  rescore?: boolean;
  /** Aborting stops between batches; what is cached stays, and the same call continues it. */
  signal?: AbortSignal;
  /** A live progress bar on stderr. Default false. */
  progress?: boolean;
  /** Human-readable events (what was found, what stopped). */
  log?: (line: string) => void;
}

/** What computeValues made: where its values are, and their summary. */
export interface ComputeValuesResult {
  /** The values folder. */
  dir: string;
  /** pass@1, pass@N, the V-hat histogram, all-wrong prompts, undecided and truncated samples; as summary.json. */
  summary: StageOneSummary;
  /** False when stopped before every prompt was sampled. */
  complete: boolean;
}

/** Where stage 1 of a run goes unless told: the folder training looks in. */
export function defaultValuesDir(config: RunConfig): string {
  return join(runDirOf(config), "values");
}

interface ReferenceSampler {
  sampler: ResponseSampler;
  fingerprint: string | null;
  dispose(): void;
}

/** The frozen reference in this process, or a server serving it (which needs only `tokenizer` here, to read its answers). */
async function referenceSampler(config: RunConfig, server: ServerSampling | undefined, tokenizer: Tokenizer): Promise<ReferenceSampler> {
  if (server !== undefined) {
    const sampler = openaiSampler({ ...server, model: server.model ?? config.model, tokenizer });
    return { sampler, fingerprint: null, dispose: () => {} };
  }
  const start = await resolveModel(config.model, { seed: config.seed, backend: backendFor(config.device) });
  const reference = frozenCopy(start.model, referenceWeightsOf(config, start.storedWeights));
  start.model.dispose();
  return {
    sampler: localSampler(reference, start.tokenizer, config.model),
    fingerprint: modelFingerprint(reference),
    dispose: () => reference.dispose(),
  };
}

/**
 * A*-PO's stage 1 for a run config, as `astarpo values` runs it: fills (or resumes) the values
 * folder that train() then reads, and writes its summary.
 */
export async function computeValues(config: RunConfigInput, options: ComputeValuesOptions = {}): Promise<ComputeValuesResult> {
  const resolved = resolveRunConfig(config, options);
  const given = { ...options, reward: rewardFunction(options.reward) };
  const log = options.log ?? (() => {});
  const dir = options.out ?? resolved.values ?? defaultValuesDir(resolved);
  if (options.rescore && options.server !== undefined) throw new Error("rescore samples nothing: it takes no server");
  // The prompts first: a dataset that carries its samples' rewards, or a rescore, needs no model loaded.
  const tokenizer = resolveTokenizer(resolved.model);
  const sets = await loadPromptSets(resolved, tokenizer, given);
  if (options.rescore) {
    const cache = ValuesCache.open(dir);
    const changed = await rescoreValues(cache, sets.train, sets.reward);
    const summary = summarizeValues(cache, sets.train.map((p) => p.example.id), resolved.beta1, resolved.valueMode, cache.readSummary()?.sampling_seconds ?? 0);
    await cache.writeSummary(summary);
    log(`rescored ${cache.records.size} prompts: ${changed} changed`);
    return { dir, summary, complete: true };
  }
  const shard = options.shard;
  const prompts = shard === undefined ? sets.train : promptShard(sets.train, shard.index, shard.count);
  if (shard !== undefined) log(`shard ${shard.index}/${shard.count}: ${prompts.length} of ${sets.train.length} training prompts`);
  const fromColumns = hasRewardColumns(prompts);
  if (fromColumns) log(`${resolved.data}: per-sample reward columns (eval_0 ..) found; V-hat comes from them, no sampling`);
  const reference = fromColumns ? null : await referenceSampler(resolved, options.server, tokenizer);
  try {
    const result = await runStageOne(resolved, {
      sampler: reference?.sampler ?? null,
      fingerprint: reference?.fingerprint ?? null,
      prompts, reward: sets.reward, dir, progress: options.progress,
      shouldStop: () => options.signal?.aborted ?? false,
    });
    return { dir, summary: result.summary, complete: result.complete };
  } finally {
    reference?.dispose();
  }
}
