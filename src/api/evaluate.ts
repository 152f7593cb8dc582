// Held-out evaluation from code, as `astarpo eval` runs it: a model on a
// built-in task's test split, a data file or rows made in code, scored by the
// task's reward (or one given from code): greedy accuracy, avg@k and pass@k,
// and the KL to a reference model.
import { z } from "zod";
import { FILE_TASKS, isBuiltinTask, type KnobValue, type Rows } from "../data/index.js";
import { frozenCopy, type DecoderModel } from "../models/index.js";
import { resolveModel } from "../pretrained/index.js";
import { backendFor, devices, type Device } from "../tensor/index.js";
import { ConfigError } from "../train/config.js";
import { evaluate as evaluatePrompts, type EvalResult } from "../train/evaluate.js";
import { builtinPrompts, filePrompts, rewardFor, type Dataset, type PromptSource } from "../train/prompts.js";
import { rewardFunction, type RewardInput } from "./train.js";

/** The defaults `astarpo eval` shows in its help. */
export const EVALUATE_DEFAULTS = {
  /** The built-in arithmetic task's test split. */
  task: "arithmetic",
  /** Prompts evaluated. */
  size: 128,
  /** Greedy decoding only, no samples. */
  k: 1,
  /** Temperature of the samples. */
  temperature: 1,
  /** Seed of the prompts and samples. */
  seed: 0,
  /** Text prompts, not the chat template. */
  promptFormat: "plain",
  /** Longer prompts are left out. */
  maxPromptTokens: 256,
  /** Sequences decoded together. */
  batchSize: 64,
} as const;

const evaluateConfigSchema = z.strictObject({
  model: z.string().min(1),
  task: z.string().default(EVALUATE_DEFAULTS.task),
  data: z.string().optional(),
  knobs: z.record(z.string(), z.union([z.number(), z.string()])).default({}),
  size: z.number().int().positive().default(EVALUATE_DEFAULTS.size),
  k: z.number().int().positive().default(EVALUATE_DEFAULTS.k),
  temperature: z.number().positive().default(EVALUATE_DEFAULTS.temperature),
  maxNewTokens: z.number().int().positive().optional(),
  seed: z.number().int().min(0).default(EVALUATE_DEFAULTS.seed),
  promptFormat: z.enum(["plain", "chat"]).default(EVALUATE_DEFAULTS.promptFormat),
  maxPromptTokens: z.number().int().positive().default(EVALUATE_DEFAULTS.maxPromptTokens),
  reference: z.string().min(1).optional(),
  batchSize: z.number().int().positive().default(EVALUATE_DEFAULTS.batchSize),
  device: z.enum(devices).default("cpu"),
});

/** What to evaluate: the options of `astarpo eval`, each left out for its default. */
export interface EvaluateConfig {
  /** The model: a Hugging Face folder or builtin:NAME. */
  model: string;
  /** A built-in task (its test split) or a task for data (gsm8k, math, custom); default arithmetic. */
  task?: string;
  /** The data file for a task for data (every usable row, up to `size`); rows made in code go in the `rows` option instead. */
  data?: string;
  /** A built-in task's settings (see `astarpo data tasks`). */
  knobs?: Record<string, KnobValue>;
  /** Prompts to evaluate (default 128): built-in tasks draw them from the test split; data gives its first rows. */
  size?: number;
  /** Samples per prompt for avg@k and pass@k (default 1: greedy only). */
  k?: number;
  /** Temperature of those samples and of the KL's samples (default 1). */
  temperature?: number;
  /** Most tokens per response (default 128 for built-in tasks, 1024 for data). */
  maxNewTokens?: number;
  /** Seed of the built-in task's prompts and of the samples (default 0). */
  seed?: number;
  /** plain (default) text prompts, or the model's chat template. */
  promptFormat?: "plain" | "chat";
  /** Longer prompts are left out (default 256). */
  maxPromptTokens?: number;
  /** Also measure KL(model || reference) on sampled responses. */
  reference?: string;
  /** Sequences decoded together (default 64). */
  batchSize?: number;
  /** Where the model, the reference and their tensors live (default cpu). */
  device?: Device;
}

/** What an evaluation takes from code besides its config: a reward, rows in place of a data file. */
export interface EvaluateOptions extends Pick<Dataset, "columns" | "shape" | "name"> {
  /** Scores the responses in place of the task's reward (the custom task needs one). */
  reward?: RewardInput;
  /** Rows made in code to evaluate on, in place of the `data` file, read as the task's rows (the first `size`); `columns`, `shape` and `name` say how. */
  rows?: Rows;
}

/** An evaluation's result, as `astarpo eval` prints it. */
export interface Evaluation extends EvalResult {
  /** Prompts evaluated. */
  prompts: number;
}

function parseEvaluateConfig(config: EvaluateConfig, options: EvaluateOptions): z.infer<typeof evaluateConfigSchema> {
  const parsed = evaluateConfigSchema.safeParse(config);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => `option "${issue.path.join(".")}": ${issue.message}`).join("\n"));
  const c = parsed.data;
  const builtin = isBuiltinTask(c.task);
  if (!builtin && !(c.task in FILE_TASKS)) throw new ConfigError(`option "task": unknown task "${c.task}"`);
  const source = options.rows !== undefined ? "rows" : c.data !== undefined ? "data" : null;
  if (builtin && source !== null) throw new ConfigError(`task ${c.task} is built in and reads no ${source}`);
  if (!builtin && source === null) throw new ConfigError(`task ${c.task} needs data: a file (option "data") or rows`);
  if (options.rows !== undefined && c.data !== undefined) throw new ConfigError(`the rows given are the data: drop option "data"`);
  return c;
}

/** Evaluates a model on held-out prompts, as `astarpo eval` does. */
export async function evaluate(config: EvaluateConfig, options: EvaluateOptions = {}): Promise<Evaluation> {
  const c = parseEvaluateConfig(config, options);
  const builtin = isBuiltinTask(c.task);
  const source: PromptSource = { task: c.task, knobs: c.knobs, seed: c.seed, promptFormat: c.promptFormat, maxPromptTokens: c.maxPromptTokens };
  const given = rewardFunction(options.reward);
  const backend = backendFor(c.device);
  const { model, tokenizer } = await resolveModel(c.model, { seed: c.seed, backend });
  let reference: DecoderModel | null = null;
  try {
    const { rows, columns, shape, name } = options;
    const read = builtin ? null : await filePrompts(rows ?? c.data!, source, tokenizer, rows === undefined ? {} : { columns, shape, name, limit: c.size });
    const prompts = builtin ? builtinPrompts(source, "test", c.size, tokenizer) : read!.prompts.slice(0, c.size);
    if (prompts.length === 0) throw new Error(`no prompts to evaluate${read ? ` in ${read.report.file} (${read.report.rows} rows read)` : ""}`);
    const reward = given ?? rewardFor(builtin ? c.task : read!.reward);
    if (c.reference !== undefined) {
      const ref = await resolveModel(c.reference, { seed: c.seed, flag: "--reference", backend });
      reference = frozenCopy(ref.model, ref.storedWeights);
      ref.model.dispose();
    }
    const result = await evaluatePrompts(model, tokenizer, prompts, reward, {
      maxNewTokens: c.maxNewTokens ?? (builtin ? 128 : 1024), batchSize: c.batchSize, k: c.k, temperature: c.temperature, reference, seed: c.seed,
    });
    return { prompts: prompts.length, ...result };
  } finally {
    model.dispose();
    reference?.dispose();
  }
}
