// The prompts a run trains and evaluates on, as the model reads them, and the
// one reward that scores them (stage 1, stage 2 and evaluation alike).
import {
  BUILTIN_REWARDS, builtinExamples, builtinTask, loadExamples, renderPrompt, splitBySeed,
  type Example, type KnobValue, type LoadReport,
} from "../data/index.js";
import { ACCURACY_REWARDS, type RewardFn } from "../rewards/index.js";
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
  /** The reward's name (a built-in task's, or the one a data file's task checks with), for per-function metrics. */
  rewardName: string;
  /** How the data files were read (counts of rows, skipped rows, long prompts); empty for built-in tasks. */
  reports: LoadReport[];
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

/** The reward named by a task's examples: a built-in task's checker, or the verifier's accuracy reward. */
export function rewardFor(rewardName: string): RewardFn {
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

/** Every usable example of a data file for a file task, as the model reads it, with the file's report. */
export async function filePrompts(file: string, source: PromptSource, tokenizer: Tokenizer): Promise<{ prompts: PromptItem[]; report: LoadReport; reward: string | null }> {
  const { examples, report } = await loadExamples(file, {
    task: source.task,
    promptFormat: source.promptFormat,
    renderChat: (messages) => tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true }),
    countTokens: (text) => tokenizer.encode(text, { addSpecialTokens: source.promptFormat === "plain" }).length,
    maxPromptTokens: source.maxPromptTokens,
  });
  return { prompts: examples.map((e) => promptItem(e, tokenizer, false)), report, reward: examples[0]?.reward ?? null };
}

function builtinSets(config: RunConfig, tokenizer: Tokenizer): PromptSets {
  return {
    train: builtinPrompts(config, "train", config.trainSize ?? DEFAULT_BUILTIN_TRAIN_SIZE, tokenizer),
    eval: builtinPrompts(config, "test", config.evalSize ?? DEFAULT_EVAL_SIZE, tokenizer),
    reward: BUILTIN_REWARDS[config.task],
    rewardName: config.task,
    reports: [],
  };
}

async function fileSets(config: RunConfig, tokenizer: Tokenizer): Promise<PromptSets> {
  const data = await filePrompts(config.data as string, config, tokenizer);
  if (data.prompts.length === 0) throw new Error(`${config.data}: no usable examples (${data.report.rows} rows read, ${data.report.tooLong} over maxPromptTokens)`);
  let train = data.prompts;
  let heldOut: PromptItem[];
  const reports = [data.report];
  if (config.evalData !== undefined) {
    const evalData = await filePrompts(config.evalData, config, tokenizer);
    reports.push(evalData.report);
    heldOut = config.evalSize === undefined ? evalData.prompts : evalData.prompts.slice(0, config.evalSize);
  } else {
    const testSize = Math.min(config.evalSize ?? DEFAULT_EVAL_SIZE, Math.floor(train.length / 2));
    const split = splitBySeed(train, { seed: config.seed, testSize });
    train = split.train;
    heldOut = split.test;
  }
  if (config.trainSize !== undefined) train = train.slice(0, config.trainSize);
  return { train, eval: heldOut, reward: rewardFor(data.reward!), rewardName: data.reward!, reports };
}

/** The run's training and held-out prompts and its reward. */
export async function loadPromptSets(config: RunConfig, tokenizer: Tokenizer): Promise<PromptSets> {
  const sets = isBuiltinTaskConfig(config) ? builtinSets(config, tokenizer) : await fileSets(config, tokenizer);
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
