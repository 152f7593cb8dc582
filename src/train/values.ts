// Stage 1 of A*-PO: N responses per training prompt from the frozen reference,
// each scored by the run's reward, written to a cache as they come. The cache
// is a folder other tools can read:
//   meta.json      what the samples came from (model, its fingerprint, task, settings)
//   samples.jsonl  one line per prompt: id, prompt, responses (text, token ids,
//                  token count, finish reason) and their rewards (null: undecided)
//   summary.json   pass@1, pass@N, the V-hat histogram, all-wrong prompts
// Each prompt's samples depend only on the settings and the prompt, so caches
// of one run made on several machines (shards) merge into one.
// V-hat is computed from the cached rewards when a run needs it, so a new beta1,
// another value mode, or rescoring with another checker needs no new sampling.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { astarOptions, optimalValue, type ValueMode } from "../algos/index.js";
import { describeSource, type Example } from "../data/index.js";
import type { GeneratedSequence, ResponseSampler } from "../generate/index.js";
import { stageFile, syncFolder, writeFileAtomic, writeFully } from "../io/index.js";
import { scoreBatch, type RewardFn, type RewardValue } from "../rewards/index.js";
import { completionOf, rewardBatch, type PromptItem } from "./prompts.js";
import { derivedSeed } from "./seeds.js";

export const VALUES_FORMAT = "astarpo-values/1";

export interface ValuesMeta {
  format: typeof VALUES_FORMAT;
  /**
   * Where the responses came from: a model spec, a server's model and URL (`NAME at URL`), a data file's
   * reward columns, or the sources of merged caches joined by " + ".
   */
  source: string;
  /** The sampling model's modelFingerprint(); null when a server sampled or the rewards were read from columns. */
  modelFingerprint: string | null;
  task: string;
  numSamples: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  seed: number;
}

export interface CachedResponse {
  text: string;
  token_ids: number[];
  num_tokens: number;
  finish_reason: "stop" | "length";
  /** Present when the server returned no token ids and token_ids were encoded from the text (they may differ from what was sampled). */
  retokenized?: true;
}

export interface ValuesRecord {
  id: string;
  prompt: string;
  /** One per sample; null where the reward function could not decide. */
  rewards: RewardValue[];
  /** Empty when the rewards came from a file's columns. */
  responses: CachedResponse[];
}

export interface StageOneProgress {
  donePrompts: number;
  totalPrompts: number;
  /** Sampled in this session (not counting prompts found in the cache). */
  newResponses: number;
  newTokens: number;
  seconds: number;
}

const META = "meta.json", SAMPLES = "samples.jsonl", SUMMARY = "summary.json";

/** The reward stage 2 trains on: an undecided verdict earns nothing. */
export function trainingReward(value: RewardValue): number {
  return value ?? 0;
}

/** The settings that must agree for cached samples to be reused or merged: all of meta but the source. Null when they do. */
export function settingsClash(a: ValuesMeta, b: ValuesMeta): string | null {
  for (const key of ["modelFingerprint", "task", "numSamples", "temperature", "topP", "maxNewTokens", "seed"] as const) {
    if (a[key] !== b[key]) return `${key} is ${JSON.stringify(a[key])} there but ${JSON.stringify(b[key])} here`;
  }
  return null;
}

export class ValuesCache {
  private constructor(readonly dir: string, readonly meta: ValuesMeta, readonly records: Map<string, ValuesRecord>) {}

  /** Reads a cache folder; a line cut short by an interruption (the last one) is dropped, any other bad line is an error. */
  static open(dir: string): ValuesCache {
    const metaPath = join(dir, META);
    if (!existsSync(metaPath)) throw new Error(`${dir}: not a stage-1 folder (no ${META}); make one with \`astarpo values\``);
    const meta = JSON.parse(readFileSync(metaPath, "utf8")) as ValuesMeta;
    if (meta.format !== VALUES_FORMAT) throw new Error(`${metaPath}: format "${String(meta.format)}", expected "${VALUES_FORMAT}"`);
    return new ValuesCache(dir, meta, readRecords(join(dir, SAMPLES)));
  }

  /** A cache to fill: the existing one when its settings match (resume), a new one otherwise; a mismatch is an error. */
  static async create(dir: string, meta: ValuesMeta): Promise<ValuesCache> {
    if (existsSync(join(dir, META))) {
      const existing = ValuesCache.open(dir);
      const clash = settingsClash(existing.meta, meta);
      if (clash !== null) throw new Error(`${dir} holds stage-1 samples made with other settings (${clash}); choose another folder or delete it`);
      return existing;
    }
    mkdirSync(dir, { recursive: true });
    await writeFileAtomic(join(dir, META), `${JSON.stringify(meta, null, 2)}\n`);
    return new ValuesCache(dir, meta, new Map());
  }

  /** Appends records and flushes them to disk, so an interruption loses at most the batch being sampled. */
  append(records: readonly ValuesRecord[]): void {
    const fd = openSync(join(this.dir, SAMPLES), "a");
    try {
      writeRecords(fd, records);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    for (const r of records) this.records.set(r.id, r);
  }

  /** Rewrites every record (after rescoring), atomically. */
  async rewrite(): Promise<void> {
    const staged = await stageFile(join(this.dir, SAMPLES), (fd) => writeRecords(fd, [...this.records.values()]));
    staged.commit();
    syncFolder(this.dir);
  }

  /** V-hat of every cached prompt, by id. */
  values(beta1: number, mode: ValueMode): Map<string, number> {
    const out = new Map<string, number>();
    for (const [id, record] of this.records) out.set(id, optimalValue(record.rewards.map(trainingReward), beta1, mode));
    return out;
  }

  /** The summary written last, if any. */
  readSummary(): StageOneSummary | null {
    const path = join(this.dir, SUMMARY);
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as StageOneSummary) : null;
  }

  async writeSummary(summary: StageOneSummary): Promise<void> {
    await writeFileAtomic(join(this.dir, SUMMARY), `${JSON.stringify(summary, null, 2)}\n`);
  }
}

/**
 * Merges caches of one run (settings equal, sources free: several machines or servers) into a new cache
 * in `outDir`. A prompt in more than one must have the same samples and rewards in each: caches that
 * disagree were not made by the same run, and which one to keep is not for merging to guess. The
 * summary is made with the beta1 and value mode of the inputs' summaries (the first that has one),
 * and their sampling seconds summed: the machine time the whole cache cost.
 */
export async function mergeValues(outDir: string, inputDirs: readonly string[]): Promise<{ cache: ValuesCache; summary: StageOneSummary }> {
  if (inputDirs.length === 0) throw new Error("nothing to merge: name the caches to merge");
  if (existsSync(join(outDir, META))) throw new Error(`${outDir} already holds a stage-1 cache; merge into a new folder (name this one among the inputs to keep its samples)`);
  const inputs = inputDirs.map((dir) => ValuesCache.open(dir));
  const [first] = inputs;
  for (const input of inputs.slice(1)) {
    const clash = settingsClash(first.meta, input.meta);
    if (clash !== null) throw new Error(`${input.dir} was sampled with other settings than ${first.dir} (${clash}); only caches of one run merge`);
  }
  const merged = new Map<string, { record: ValuesRecord; dir: string }>();
  for (const input of inputs) {
    for (const record of input.records.values()) {
      const seen = merged.get(record.id);
      if (seen === undefined) merged.set(record.id, { record, dir: input.dir });
      else if (!isDeepStrictEqual(seen.record, record)) {
        throw new Error(`prompt ${record.id} has other samples or rewards in ${input.dir} than in ${seen.dir}; ` +
          "these caches were not made by one run (or one was rescored): leave one of them out");
      }
    }
  }
  const cache = await ValuesCache.create(outDir, { ...first.meta, source: [...new Set(inputs.map((c) => c.meta.source))].join(" + ") });
  cache.append([...merged.values()].map((m) => m.record));
  const summaries = inputs.map((c) => c.readSummary());
  const { beta1, valueMode } = summaries.find((s) => s !== null) ?? astarOptions.parse({});
  const samplingSeconds = summaries.reduce((sum, s) => sum + (s?.sampling_seconds ?? 0), 0);
  const summary = summarizeValues(cache, [...cache.records.keys()], beta1, valueMode, samplingSeconds);
  await cache.writeSummary(summary);
  return { cache, summary };
}

/** One line per record, written record by record: a cache may outgrow the longest string the engine can build. */
function writeRecords(fd: number, records: readonly ValuesRecord[]): void {
  for (const r of records) writeFully(fd, Buffer.from(`${JSON.stringify(r)}\n`, "utf8"));
}

/** Reads the lines as bytes and decodes them one by one, for the same reason. */
function readRecords(path: string): Map<string, ValuesRecord> {
  const records = new Map<string, ValuesRecord>();
  if (!existsSync(path)) return records;
  const bytes = readFileSync(path);
  let start = 0;
  for (let end = bytes.indexOf(0x0a), line = 1; end !== -1; start = end + 1, end = bytes.indexOf(0x0a, start), line++) {
    let record: ValuesRecord;
    try {
      record = JSON.parse(bytes.toString("utf8", start, end)) as ValuesRecord;
    } catch (error) {
      throw new Error(`${path}:${line}: not JSON (${(error as Error).message})`);
    }
    if (typeof record.id !== "string" || !Array.isArray(record.rewards)) throw new Error(`${path}:${line}: a record needs "id" and "rewards"`);
    records.set(record.id, record);
  }
  // Whatever follows the last newline is a line cut short: cut it off, so the next append starts on a fresh line.
  if (start < bytes.length) truncateSync(path, start);
  return records;
}

export interface StageOneOptions {
  sampler: ResponseSampler;
  reward: RewardFn;
  numSamples: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  seed: number;
  /**
   * Sequences decoded together. A call to the sampler carries this many (whole prompts, at least one),
   * or the sampler's callSize when it names one (a server's request pool).
   */
  batchSize: number;
  logprobsAtTemperature: boolean;
  onProgress?: (progress: StageOneProgress) => void;
  /** Checked between batches: when it returns true, stage 1 stops (what is cached stays). */
  shouldStop?: () => boolean;
}

function cachedResponse(s: GeneratedSequence): CachedResponse {
  return { text: s.text, token_ids: s.tokenIds, num_tokens: s.tokenIds.length, finish_reason: s.finishReason, ...(s.retokenized ? { retokenized: true } : {}) };
}

/** Samples and scores every prompt the cache does not hold yet. Returns whether it finished (false when stopped). */
export async function sampleValues(cache: ValuesCache, prompts: readonly PromptItem[], options: StageOneOptions): Promise<boolean> {
  const N = options.numSamples;
  const todo = prompts.filter((p) => !cache.records.has(p.example.id));
  const perCall = Math.max(1, Math.floor((options.sampler.callSize ?? options.batchSize) / N));
  const started = performance.now();
  let newResponses = 0, newTokens = 0;
  const report = () => options.onProgress?.({
    donePrompts: prompts.length - todo.length + Math.ceil(newResponses / N),
    totalPrompts: prompts.length,
    newResponses,
    newTokens,
    seconds: (performance.now() - started) / 1000,
  });
  report();
  for (let start = 0; start < todo.length; start += perCall) {
    if (options.shouldStop?.()) return false;
    const chunk = todo.slice(start, start + perCall);
    const requests = chunk.flatMap((p) => Array.from({ length: N }, () => ({ ids: p.ids, text: p.text })));
    const seeds = chunk.flatMap((p) => Array.from({ length: N }, (_, j) => derivedSeed(options.seed, "values", p.example.id, j)));
    const sequences = await options.sampler.sample(requests, {
      maxNewTokens: options.maxNewTokens,
      temperature: options.temperature,
      topP: options.topP,
      seeds,
      batchSize: options.batchSize,
      logprobsAtTemperature: options.logprobsAtTemperature,
    });
    const rewards = await scoreBatch(options.reward, rewardBatch(chunk.flatMap((p) => Array.from({ length: N }, () => p)), sequences.map(completionOf)));
    cache.append(chunk.map((p, i) => ({
      id: p.example.id,
      prompt: p.text,
      rewards: rewards.slice(i * N, (i + 1) * N),
      responses: sequences.slice(i * N, (i + 1) * N).map(cachedResponse),
    })));
    newResponses += sequences.length;
    newTokens += sequences.reduce((n, s) => n + s.tokenIds.length, 0);
    report();
  }
  return true;
}

/** Scores the cached responses again with `reward` (another checker), without sampling. */
export async function rescoreValues(cache: ValuesCache, prompts: readonly PromptItem[], reward: RewardFn): Promise<number> {
  const byId = new Map(prompts.map((p) => [p.example.id, p]));
  let changed = 0;
  for (const record of cache.records.values()) {
    if (record.responses.length === 0) throw new Error(`${cache.dir}: prompt ${record.id} has rewards but no responses (read from columns); there is nothing to rescore`);
    const prompt = byId.get(record.id);
    if (prompt === undefined) continue;
    const rewards = await scoreBatch(reward, rewardBatch(record.responses.map(() => prompt),
      record.responses.map((r) => completionOf({ text: r.text, tokenIds: r.token_ids, finishReason: r.finish_reason }))));
    if (rewards.some((r, i) => r !== record.rewards[i])) changed++;
    record.rewards = rewards;
  }
  await cache.rewrite();
  return changed;
}

/** Rewards of samples made elsewhere, in the authors' released layout: columns eval_0 .. eval_{N-1} beside the prompt; null without them. */
export function presampledRewards(example: Example): RewardValue[] | null {
  const values: RewardValue[] = [];
  for (let j = 0; `eval_${j}` in example.columns; j++) {
    const v = example.columns[`eval_${j}`];
    const n = typeof v === "boolean" ? Number(v) : typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    if (n !== null && (typeof n !== "number" || !Number.isFinite(n))) {
      throw new Error(`${describeSource(example.source)}: column eval_${j} is ${JSON.stringify(v)}, expected a number`);
    }
    values.push(n as RewardValue);
  }
  return values.length > 0 ? values : null;
}

/** Fills a cache from the prompts' eval_j columns; every prompt must have the same number of them. */
export function valuesFromColumns(cache: ValuesCache, prompts: readonly PromptItem[]): void {
  const records: ValuesRecord[] = [];
  for (const p of prompts) {
    const rewards = presampledRewards(p.example);
    if (rewards === null) throw new Error(`${describeSource(p.example.source)}: no eval_0 column, while other rows have them`);
    if (rewards.length !== cache.meta.numSamples) {
      throw new Error(`${describeSource(p.example.source)}: ${rewards.length} eval_j columns, while the first row has ${cache.meta.numSamples}`);
    }
    if (!cache.records.has(p.example.id)) records.push({ id: p.example.id, prompt: p.text, rewards, responses: [] });
  }
  cache.append(records);
}

/** Stage 1's summary (summary.json in the values folder): where the values came from and what they look like. */
export interface StageOneSummary {
  /** Where the responses came from (a model spec, a server, reward columns), as the cache records it. */
  source: string;
  /** Prompts summarised. */
  prompts: number;
  /** Samples per prompt (the paper's N). */
  numSamples: number;
  /** The temperature of V-hat used here. */
  beta1: number;
  /** How V-hat was made from the rewards. */
  valueMode: ValueMode;
  /** Mean reward over every sample: the reference's pass@1. */
  pass_at_1: number;
  /** The share of prompts with at least one rewarded sample. */
  pass_at_n: number;
  /** Prompts none of whose samples earned a reward (left out of stage 2 when filtering). */
  all_wrong: number;
  /** Samples the reward function could not decide (scored 0). */
  undecided: number;
  /** Samples cut at maxNewTokens. */
  truncated: number;
  /** Samples whose token ids were encoded from the text because the server returned none. */
  retokenized: number;
  /** Mean tokens of the cached responses; null when there are none (reward columns). */
  mean_response_tokens: number | null;
  /** Tokens of every cached response of these prompts. */
  generated_tokens: number;
  /** Seconds spent sampling and scoring them, summed over every session that added to the cache (0 for reward columns). */
  sampling_seconds: number;
  /** Mean V-hat over the prompts. */
  v_hat_mean: number;
  /** Ten equal bins over [min, max] of V-hat (empty without prompts). */
  v_hat_histogram: {
    /** The bin's lower edge. */
    lo: number;
    /** Its upper edge. */
    hi: number;
    /** Prompts whose V-hat falls in it. */
    count: number;
  }[];
}

export function summarizeValues(cache: ValuesCache, ids: readonly string[], beta1: number, mode: ValueMode, samplingSeconds = 0): StageOneSummary {
  const records = ids.map((id) => cache.records.get(id)).filter((r): r is ValuesRecord => r !== undefined);
  const values = records.map((r) => optimalValue(r.rewards.map(trainingReward), beta1, mode));
  const samples = records.flatMap((r) => r.rewards);
  const responses = records.flatMap((r) => r.responses);
  const lo = Math.min(...values), hi = Math.max(...values);
  const width = hi > lo ? (hi - lo) / 10 : 1;
  const histogram = Array.from({ length: 10 }, (_, i) => ({ lo: lo + i * width, hi: lo + (i + 1) * width, count: 0 }));
  for (const v of values) histogram[Math.min(9, Math.floor((v - lo) / width))].count++;
  return {
    source: cache.meta.source,
    prompts: records.length,
    numSamples: cache.meta.numSamples,
    beta1,
    valueMode: mode,
    pass_at_1: samples.reduce((s: number, r) => s + trainingReward(r), 0) / Math.max(1, samples.length),
    pass_at_n: records.filter((r) => r.rewards.some((x) => trainingReward(x) > 0)).length / Math.max(1, records.length),
    all_wrong: records.filter((r) => r.rewards.every((x) => trainingReward(x) <= 0)).length,
    undecided: samples.filter((r) => r === null).length,
    truncated: responses.filter((r) => r.finish_reason === "length").length,
    retokenized: responses.filter((r) => r.retokenized === true).length,
    mean_response_tokens: responses.length > 0 ? responses.reduce((s, r) => s + r.num_tokens, 0) / responses.length : null,
    generated_tokens: responses.reduce((s, r) => s + r.num_tokens, 0),
    sampling_seconds: samplingSeconds,
    v_hat_mean: values.reduce((s, v) => s + v, 0) / Math.max(1, values.length),
    v_hat_histogram: records.length > 0 ? histogram : [],
  };
}
