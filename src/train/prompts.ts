// The prompts a run trains and evaluates on, as the model reads them (from a
// built-in task, data files, or rows made in code), and the one reward that
// scores them (stage 1, stage 2 and evaluation alike): the task's, or one
// given from code.
import {
  BUILTIN_REWARDS, builtinExamples, builtinTask, fileTask, loadExamples, renderPrompt, rewardColumns, splitBySeed,
  type ColumnMapping, type DataSource, type Example, type KnobValue, type LoadReport, type Rows, type ShapeName,
} from "../data/index.js";
import type { GeneratedSequence } from "../generate/index.js";
import { ACCURACY_REWARDS, type Completion, type RewardBatch, type RewardFn } from "../rewards/index.js";
import type { Tokenizer } from "../tokenize/index.js";
import { isBuiltinTaskConfig, type RunConfig } from "./config.js";

/** A prompt ready for the model: its example, the text the model reads, and those tokens. */
export interface PromptItem {
  example: Example;
  text: string;
  ids: number[];
}

export interface PromptSets {
  train: PromptItem[];
  eval: PromptItem[];
  reward: RewardFn;
  /** The reward's name (a built-in task's, the one a data file's task checks with, or a given function's), for per-function metrics. */
  rewardName: string;
  /** How the data files were read (counts of rows, skipped rows, long prompts); empty for built-in tasks. */
  reports: LoadReport[];
}

/**
 * A run's data as rows made in code, in place of the data files (`data`, `evalData`): read as a
 * file task's rows are (the run's `task` decides the prompt and ground truth), with the same shapes
 * and column mapping. An endless iterable is read up to `trainSize` rows (and `evalSize` more when
 * no `eval` rows are given), so set those for one.
 */
export interface Dataset {
  /** The training rows. */
  train: Rows;
  /** Held-out rows; default: `evalSize` rows held out of `train` by a seeded split. */
  eval?: Rows;
  /** Which column holds what; default the shape's columns. */
  columns?: ColumnMapping;
  /** The row shape; default "auto" (detected from the first row's columns). */
  shape?: ShapeName | "auto";
  /** The dataset's name in example ids (stage 1's cache is keyed by them) and errors; default "train" and "eval". */
  name?: string;
}

/** What a run may take from code instead of from its config's task: the reward, the rows. */
export interface GivenData {
  reward?: RewardFn;
  dataset?: Dataset;
}

export const DEFAULT_BUILTIN_TRAIN_SIZE = 512;
export const DEFAULT_EVAL_SIZE = 128;

/**
 * The text and tokens of a prompt. Built-in tasks read `<problem>\n` without
 * special tokens, the format their supervised warm-up teaches; data files read
 * the paper's plain text with the tokenizer's special tokens (BOS where the
 * model has one), or their chat template's rendering.
 */
export function promptItem(example: Example, tokenizer: Tokenizer, builtin: boolean): PromptItem {
  if (builtin) {
    if (typeof example.prompt !== "string") throw new Error(`example ${example.id}: a built-in task's prompt must be text`);
    const text = `${example.prompt}\n`;
    return { example, text, ids: tokenizer.encode(text, { addSpecialTokens: false }) };
  }
  if (typeof example.prompt === "string") return { example, text: example.prompt, ids: tokenizer.encode(example.prompt) };
  const text = renderPrompt(example.prompt, (messages) => tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true }));
  return { example, text, ids: tokenizer.encode(text, { addSpecialTokens: false }) };
}

function take<T>(items: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  if (n <= 0) return out;
  for (const item of items) {
    out.push(item);
    if (out.length >= n) break;
  }
  return out;
}

/** The reward named by a task's examples: a built-in task's checker, or the verifier's accuracy reward; null names none (the custom task). */
export function rewardFor(rewardName: string | null): RewardFn {
  if (rewardName === null) throw new Error("task custom has no reward of its own: it is scored by a reward function given from code (the `reward` option of train(), computeValues() and evaluate())");
  const builtin = BUILTIN_REWARDS[rewardName];
  if (builtin !== undefined) return builtin;
  const accuracy = ACCURACY_REWARDS[rewardName as keyof typeof ACCURACY_REWARDS];
  if (accuracy !== undefined) return accuracy();
  throw new Error(`no reward named "${rewardName}" (built-in: ${[...Object.keys(BUILTIN_REWARDS), ...Object.keys(ACCURACY_REWARDS)].join(", ")})`);
}

/** The settings that say which prompts a task gives and how the model reads them. */
export type PromptSource = Pick<RunConfig, "task" | "knobs" | "seed" | "promptFormat" | "maxPromptTokens">;

/** `count` distinct prompts of a built-in task's split, as the model reads them. */
export function builtinPrompts(source: PromptSource, split: "train" | "test", count: number, tokenizer: Tokenizer): PromptItem[] {
  const task = builtinTask(source.task);
  const stream = builtinExamples(task, { config: source.knobs as Record<string, KnobValue>, seed: source.seed, split, unique: true });
  return take(stream, count).map((e) => promptItem(e, tokenizer, true)).filter((item) => item.ids.length <= source.maxPromptTokens);
}

/** How rows made in code are read: their mapping, shape, name, and how many to read at most. */
type RowsReading = Pick<Dataset, "columns" | "shape" | "name"> & { limit?: number };

/** Every usable example of a data file (or of rows made in code) for a file task, as the model reads it, with the report. */
export async function filePrompts(input: DataSource, source: PromptSource, tokenizer: Tokenizer, reading: RowsReading = {}): Promise<{ prompts: PromptItem[]; report: LoadReport; reward: string | null }> {
  const { examples, report } = await loadExamples(input, {
    ...reading,
    task: source.task,
    promptFormat: source.promptFormat,
    renderChat: (messages) => tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true }),
    countTokens: (text) => tokenizer.encode(text, { addSpecialTokens: source.promptFormat === "plain" }).length,
    maxPromptTokens: source.maxPromptTokens,
  });
  return { prompts: examples.map((e) => promptItem(e, tokenizer, false)), report, reward: fileTask(source.task).reward };
}

/** The run's reward and its name in the metrics: one given from code (named as its function is, else "custom"), or the task's. */
function runReward(given: GivenData, taskReward: string | null): Pick<PromptSets, "reward" | "rewardName"> {
  if (given.reward !== undefined) return { reward: given.reward, rewardName: given.reward.name || "custom" };
  return { reward: rewardFor(taskReward), rewardName: taskReward! };
}

function builtinSets(config: RunConfig, tokenizer: Tokenizer, given: GivenData): PromptSets {
  return {
    train: builtinPrompts(config, "train", config.trainSize ?? DEFAULT_BUILTIN_TRAIN_SIZE, tokenizer),
    eval: builtinPrompts(config, "test", config.evalSize ?? DEFAULT_EVAL_SIZE, tokenizer),
    ...runReward(given, config.task),
    reports: [],
  };
}

async function fileSets(config: RunConfig, tokenizer: Tokenizer, given: GivenData): Promise<PromptSets> {
  const rows = given.dataset;
  const reading = (split: "train" | "eval", limit?: number): RowsReading =>
    rows === undefined ? {} : { columns: rows.columns, shape: rows.shape, name: rows.name === undefined ? split : `${rows.name}-${split}`, limit };
  const trainLimit = config.trainSize === undefined ? undefined : config.trainSize + (rows?.eval === undefined ? config.evalSize ?? DEFAULT_EVAL_SIZE : 0);
  const data = await filePrompts(rows?.train ?? config.data as string, config, tokenizer, reading("train", trainLimit));
  if (data.prompts.length === 0) throw new Error(`${data.report.file}: no usable examples (${data.report.rows} rows read, ${data.report.tooLong} over maxPromptTokens)`);
  let train = data.prompts;
  let heldOut: PromptItem[];
  const reports = [data.report];
  const evalSource = rows === undefined ? config.evalData : rows.eval;
  if (evalSource !== undefined) {
    const evalData = await filePrompts(evalSource, config, tokenizer, reading("eval", config.evalSize));
    reports.push(evalData.report);
    heldOut = config.evalSize === undefined ? evalData.prompts : evalData.prompts.slice(0, config.evalSize);
  } else {
    const testSize = Math.min(config.evalSize ?? DEFAULT_EVAL_SIZE, Math.floor(train.length / 2));
    const split = splitBySeed(train, { seed: config.seed, testSize });
    train = split.train;
    heldOut = split.test;
  }
  if (config.trainSize !== undefined) train = train.slice(0, config.trainSize);
  return { train, eval: heldOut, ...runReward(given, data.reward), reports };
}

/** The run's training and held-out prompts and its reward: the task's, or those given from code. */
export async function loadPromptSets(config: RunConfig, tokenizer: Tokenizer, given: GivenData = {}): Promise<PromptSets> {
  const sets = isBuiltinTaskConfig(config) ? builtinSets(config, tokenizer, given) : await fileSets(config, tokenizer, given);
  if (sets.train.length === 0) throw new Error(`task ${config.task}: no training prompts`);
  return sets;
}

/**
 * Shard `index` of `count` (1-based): every count-th prompt from the index-th on. The shards of a
 * run's prompts are disjoint and together hold them all, so n machines can each run one.
 */
export function promptShard<T>(prompts: readonly T[], index: number, count: number): T[] {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 1 || index > count) {
    throw new Error(`shard ${index}/${count}: expected i/n with 1 <= i <= n`);
  }
  return prompts.filter((_, k) => k % count === index - 1);
}

/** A sampled response as reward functions see it. */
export function completionOf(sequence: Pick<GeneratedSequence, "text" | "tokenIds" | "finishReason">): Completion {
  return { text: sequence.text, tokenIds: sequence.tokenIds, finished: sequence.finishReason === "stop" };
}

/** The batch a reward scores: each completion beside its prompt's text, columns and id. */
export function rewardBatch(prompts: readonly PromptItem[], completions: readonly Completion[]): RewardBatch {
  return {
    prompts: prompts.map((p) => p.text),
    completions,
    columns: prompts.map((p) => rewardColumns(p.example)),
    ids: prompts.map((p) => p.example.id),
  };
}
