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

function builtinSets(config: RunConfig, tokenizer: Tokenizer): PromptSets {
  const task = builtinTask(config.task);
  const knobs = config.knobs as Record<string, KnobValue>;
  const stream = (split: "train" | "test") => builtinExamples(task, { config: knobs, seed: config.seed, split, unique: true });
  const fits = (item: PromptItem) => item.ids.length <= config.maxPromptTokens;
  const train = take(stream("train"), config.trainSize ?? DEFAULT_BUILTIN_TRAIN_SIZE).map((e) => promptItem(e, tokenizer, true)).filter(fits);
  const evalSet = take(stream("test"), config.evalSize ?? DEFAULT_EVAL_SIZE).map((e) => promptItem(e, tokenizer, true)).filter(fits);
  return { train, eval: evalSet, reward: BUILTIN_REWARDS[task.name], reports: [] };
}

async function fileSets(config: RunConfig, tokenizer: Tokenizer): Promise<PromptSets> {
  const renderChat = (messages: Parameters<Tokenizer["applyChatTemplate"]>[0]) => tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
  const read = (file: string) => loadExamples(file, {
    task: config.task,
    promptFormat: config.promptFormat,
    renderChat,
    countTokens: (text) => tokenizer.encode(text, { addSpecialTokens: config.promptFormat === "plain" }).length,
    maxPromptTokens: config.maxPromptTokens,
  });
  const data = await read(config.data as string);
  if (data.examples.length === 0) throw new Error(`${config.data}: no usable examples (${data.report.rows} rows read, ${data.report.tooLong} over maxPromptTokens)`);
  let train = data.examples;
  let heldOut: Example[];
  const reports = [data.report];
  if (config.evalData !== undefined) {
    const evalData = await read(config.evalData);
    reports.push(evalData.report);
    heldOut = config.evalSize === undefined ? evalData.examples : evalData.examples.slice(0, config.evalSize);
  } else {
    const testSize = Math.min(config.evalSize ?? DEFAULT_EVAL_SIZE, Math.floor(train.length / 2));
    const split = splitBySeed(train, { seed: config.seed, testSize });
    train = split.train;
    heldOut = split.test;
  }
  if (config.trainSize !== undefined) train = train.slice(0, config.trainSize);
  const item = (e: Example) => promptItem(e, tokenizer, false);
  return { train: train.map(item), eval: heldOut.map(item), reward: rewardFor(data.examples[0].reward), reports };
}

/** The run's training and held-out prompts and its reward. */
export async function loadPromptSets(config: RunConfig, tokenizer: Tokenizer): Promise<PromptSets> {
  const sets = isBuiltinTaskConfig(config) ? builtinSets(config, tokenizer) : await fileSets(config, tokenizer);
  if (sets.train.length === 0) throw new Error(`task ${config.task}: no training prompts`);
  return sets;
}
