// Stage 1 of A*-PO: N responses per training prompt from the frozen reference,
// each scored by the run's reward, written to a cache as they come. The cache
// is a folder other tools can read:
//   meta.json      what the samples came from (model, its fingerprint, task, settings)
//   samples.jsonl  one line per prompt: id, prompt, responses (text, token ids,
//                  token count, finish reason) and their rewards (null: undecided)
//   summary.json   pass@1, pass@N, the V-hat histogram, all-wrong prompts
// V-hat is computed from the cached rewards when a run needs it, so a new beta1,
// another value mode, or rescoring with another checker needs no new sampling.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import { optimalValue, type ValueMode } from "../algos/index.js";
import { describeSource, type Example } from "../data/index.js";
import type { GeneratedSequence, ResponseSampler } from "../generate/index.js";
import { writeFileAtomic } from "../io/index.js";
import { scoreBatch, type RewardFn, type RewardValue } from "../rewards/index.js";
import type { PromptItem } from "./prompts.js";
import { derivedSeed } from "./seeds.js";

export const VALUES_FORMAT = "astarpo-values/1";

export interface ValuesMeta {
  format: typeof VALUES_FORMAT;
  /** Where the responses came from: a model spec, a server's model, or a data file's reward columns. */
  source: string;
  /** The sampling model's modelFingerprint(); null when the rewards were read from columns. */
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

/** The settings that must agree for cached samples to be reused. */
function sameSettings(a: ValuesMeta, b: ValuesMeta): string | null {
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
      const clash = sameSettings(existing.meta, meta);
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
      writeSync(fd, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    for (const r of records) this.records.set(r.id, r);
  }

  /** Rewrites every record (after rescoring), atomically. */
  async rewrite(): Promise<void> {
    await writeFileAtomic(join(this.dir, SAMPLES), [...this.records.values()].map((r) => `${JSON.stringify(r)}\n`).join(""));
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

function readRecords(path: string): Map<string, ValuesRecord> {
  const records = new Map<string, ValuesRecord>();
  if (!existsSync(path)) return records;
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  // A complete file ends in a newline, so the last piece is empty; anything else there is a line cut short.
  const complete = lines.slice(0, -1);
  complete.forEach((line, i) => {
    let record: ValuesRecord;
    try {
      record = JSON.parse(line) as ValuesRecord;
    } catch (error) {
      throw new Error(`${path}:${i + 1}: not JSON (${(error as Error).message})`);
    }
    if (typeof record.id !== "string" || !Array.isArray(record.rewards)) throw new Error(`${path}:${i + 1}: a record needs "id" and "rewards"`);
    records.set(record.id, record);
  });
  // Cut the torn line off, so the next append starts on a fresh line.
  if (lines[lines.length - 1] !== "") truncateSync(path, Buffer.byteLength(text) - Buffer.byteLength(lines[lines.length - 1]));
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
  /** Sequences sampled together (prompts per call = this / numSamples, at least one). */
  batchSize: number;
  logprobsAtTemperature: boolean;
  onProgress?: (progress: StageOneProgress) => void;
  /** Checked between batches: when it returns true, stage 1 stops (what is cached stays). */
  shouldStop?: () => boolean;
}

function cachedResponse(s: GeneratedSequence): CachedResponse {
  return { text: s.text, token_ids: s.tokenIds, num_tokens: s.tokenIds.length, finish_reason: s.finishReason };
}

/** Samples and scores every prompt the cache does not hold yet. Returns whether it finished (false when stopped). */
export async function sampleValues(cache: ValuesCache, prompts: readonly PromptItem[], options: StageOneOptions): Promise<boolean> {
  const N = options.numSamples;
  const todo = prompts.filter((p) => !cache.records.has(p.example.id));
  const perCall = Math.max(1, Math.floor(options.batchSize / N));
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
    const rewards = await scoreBatch(options.reward, {
      prompts: requests.map((r) => r.text),
      completions: sequences.map((s) => ({ text: s.text, tokenIds: s.tokenIds, finished: s.finishReason === "stop" })),
      columns: chunk.flatMap((p) => Array.from({ length: N }, () => rewardColumnsOf(p.example))),
    });
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

function rewardColumnsOf(example: Example): Record<string, unknown> {
  return { ...example.columns, answer: example.answer };
}

/** Scores the cached responses again with `reward` (another checker), without sampling. */
export async function rescoreValues(cache: ValuesCache, prompts: readonly PromptItem[], reward: RewardFn): Promise<number> {
  const byId = new Map(prompts.map((p) => [p.example.id, p]));
  let changed = 0;
  for (const record of cache.records.values()) {
    if (record.responses.length === 0) throw new Error(`${cache.dir}: prompt ${record.id} has rewards but no responses (read from columns); there is nothing to rescore`);
    const prompt = byId.get(record.id);
    if (prompt === undefined) continue;
    const rewards = await scoreBatch(reward, {
      prompts: record.responses.map(() => record.prompt),
      completions: record.responses.map((r) => ({ text: r.text, tokenIds: r.token_ids, finished: r.finish_reason === "stop" })),
      columns: record.responses.map(() => rewardColumnsOf(prompt.example)),
    });
    if (rewards.some((r, i) => r !== record.rewards[i])) changed++;
    record.rewards = rewards;
  }
  await cache.rewrite();
  return changed;
}

/** The authors' released layout: per-sample rewards in columns eval_0 .. eval_{N-1} beside the prompt. */
export function rewardColumns(example: Example): RewardValue[] | null {
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
    const rewards = rewardColumns(p.example);
    if (rewards === null) throw new Error(`${describeSource(p.example.source)}: no eval_0 column, while other rows have them`);
    if (rewards.length !== cache.meta.numSamples) {
      throw new Error(`${describeSource(p.example.source)}: ${rewards.length} eval_j columns, while the first row has ${cache.meta.numSamples}`);
    }
    if (!cache.records.has(p.example.id)) records.push({ id: p.example.id, prompt: p.text, rewards, responses: [] });
  }
  cache.append(records);
}

export interface StageOneSummary {
  source: string;
  prompts: number;
  numSamples: number;
  beta1: number;
  valueMode: ValueMode;
  /** Mean reward over every sample: the reference's pass@1. */
  pass_at_1: number;
  /** Prompts with at least one rewarded sample. */
  pass_at_n: number;
  /** Prompts none of whose samples earned a reward (left out of stage 2 when filtering). */
  all_wrong: number;
  /** Samples the reward function could not decide (scored 0). */
  undecided: number;
  /** Samples cut at maxNewTokens. */
  truncated: number;
  mean_response_tokens: number | null;
  /** Tokens of every cached response of these prompts. */
  generated_tokens: number;
  /** Seconds spent sampling and scoring them, summed over every session that added to the cache (0 for reward columns). */
  sampling_seconds: number;
  v_hat_mean: number;
  /** Ten equal bins over [min, max] of V-hat. */
  v_hat_histogram: { lo: number; hi: number; count: number }[];
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
    mean_response_tokens: responses.length > 0 ? responses.reduce((s, r) => s + r.num_tokens, 0) / responses.length : null,
    generated_tokens: responses.reduce((s, r) => s + r.num_tokens, 0),
    sampling_seconds: samplingSeconds,
    v_hat_mean: values.reduce((s, v) => s + v, 0) / Math.max(1, values.length),
    v_hat_histogram: records.length > 0 ? histogram : [],
  };
}
