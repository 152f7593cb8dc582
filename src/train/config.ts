// The run config: every option of stage 1 and stage 2, for every algorithm, in
// one flat schema with documented defaults. It is validated once, where it
// enters (a file, flags, or a library call); a wrong key or value names itself
// and, for a key, the closest valid one. Each algorithm contributes its own
// options (src/algos), so one config file serves all of them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { closest } from "fastest-levenshtein";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import {
  ALGORITHMS, type AstarOptions, type astarOptions, type GrpoOptions, type grpoOptions, type PpoOptions, type ppoOptions, type RebelOptions, type rebelOptions,
  type RlooOptions, type rlooOptions,
} from "../algos/index.js";
import { BUILTIN_TASKS, FILE_TASKS } from "../data/index.js";
import { defaultLoraConfig, LORA_TARGET_MODULES } from "../nn/index.js";
import { DEVICE_HELP, devices } from "../tensor/index.js";

export const LR_SCHEDULERS = ["constant", "linear", "cosine"] as const;
export const REPORT_TARGETS = ["tensorboard"] as const;

const knobValue = z.union([z.number(), z.string()]);

/** Options that are not an algorithm's own, grouped as the docs present them. */
const baseOptions = z.object({
  // The run
  algo: z.enum(Object.keys(ALGORITHMS) as [string, ...string[]]).default("astar")
    .describe("the algorithm"),
  model: z.string().min(1)
    .describe("the starting policy: a Hugging Face model folder, or builtin:tiny / builtin:small (fresh weights from --seed)"),
  name: z.string().regex(/^[\w.-]+$/, "letters, digits, '.', '_' and '-' only").optional()
    .describe("the run's folder under outputDir (default <algo>-<task>)"),
  outputDir: z.string().default("runs")
    .describe("where run folders go"),
  seed: z.number().int().min(0).default(0)
    .describe("seeds data order, sampling and built-in models: the same seed and config give the same run"),
  device: z.enum(devices).default("cpu")
    .describe(`${DEVICE_HELP}; the policy, its reference and stage 1's sampler`),
  referenceWeights: z.enum(["auto", "f32", "bf16"]).default("auto")
    .describe("how the frozen reference holds its weights: auto = as the checkpoint stores them (bf16 releases cost half the memory)"),

  // Data
  task: z.string().default("arithmetic")
    .describe(`the task and its reward: built in (${Object.keys(BUILTIN_TASKS).join(", ")}) or for a data file (${Object.keys(FILE_TASKS).join(", ")})`),
  knobs: z.record(z.string(), knobValue).default({})
    .describe("a built-in task's settings (see `astarpo data tasks`)"),
  data: z.string().optional()
    .describe("training data file (JSONL or Parquet) for a file task"),
  evalData: z.string().optional()
    .describe("held-out data file; default: evalSize rows held out of data by a seeded split"),
  trainSize: z.number().int().positive().optional()
    .describe("at most this many training prompts (built-in tasks: default 512)"),
  evalSize: z.number().int().min(0).optional()
    .describe("held-out prompts to evaluate on (built-in tasks and split files: default 128; an eval file: all rows)"),
  promptFormat: z.enum(["plain", "chat"]).default("plain")
    .describe("plain: question + the task's instruction as text (the paper's setting); chat: the model's chat template"),
  maxPromptTokens: z.number().int().positive().default(256)
    .describe("longer prompts are dropped (and counted)"),
  maxNewTokens: z.number().int().positive().optional()
    .describe("most tokens per response (default 1024 for file tasks, as the paper; 128 for built-in tasks)"),

  // Sampling
  temperature: z.number().positive().default(1)
    .describe("sampling temperature of rollouts (and of stage 1)"),
  topP: z.number().gt(0).max(1).default(1)
    .describe("nucleus sampling mass of rollouts (1 = off, as the paper)"),
  logprobsAtTemperature: z.boolean().default(true)
    .describe("log-probs of softmax(logits / temperature) for both policies (the authors' convention) instead of softmax(logits) (TRL's)"),
  generationBatchSize: z.number().int().positive().default(64)
    .describe("sequences decoded together"),

  // Steps
  epochs: z.number().int().positive().default(1)
    .describe("passes over the training prompts (the paper runs 25)"),
  maxSteps: z.number().int().positive().optional()
    .describe("rollout batches to run, instead of what epochs implies (prompts are revisited as needed)"),
  batchSize: z.number().int().positive().default(256)
    .describe("prompts per rollout batch (the paper: 256)"),
  miniBatchSize: z.number().int().positive().default(128)
    .describe("prompts per optimizer step; batchSize / miniBatchSize steps per rollout batch (the paper: 128, so 2)"),
  microBatchSize: z.number().int().positive().default(8)
    .describe("sequences per forward and backward pass; gradients accumulate over a mini-batch"),

  // Optimizer
  lr: z.number().min(0).default(1e-6)
    .describe("AdamW learning rate (the paper's 1e-6 suits 1.5B-7B models; tiny models need ~1e-3 to 1e-2)"),
  lrScheduler: z.enum(LR_SCHEDULERS).default("constant")
    .describe("learning-rate schedule after warm-up: constant, linear decay to 0, or cosine to 0"),
  warmupSteps: z.number().int().min(0).default(0)
    .describe("optimizer steps of linear warm-up from 0"),
  weightDecay: z.number().min(0).default(0.01)
    .describe("AdamW decoupled weight decay"),
  adamBeta1: z.number().min(0).lt(1).default(0.9).describe("AdamW beta1"),
  adamBeta2: z.number().min(0).lt(1).default(0.999).describe("AdamW beta2"),
  adamEpsilon: z.number().positive().default(1e-8).describe("AdamW epsilon"),
  maxGradNorm: z.number().positive().default(1)
    .describe("gradients are clipped to this global L2 norm"),

  // Memory
  lora: z.boolean().default(false)
    .describe("train LoRA adapters on the frozen base (held as referenceWeights says) instead of every weight; the reference is the base itself, adapters off"),
  loraR: z.number().int().positive().default(defaultLoraConfig.r)
    .describe("LoRA: rank of each adapter"),
  loraAlpha: z.number().positive().default(defaultLoraConfig.alpha)
    .describe("LoRA: the update is scaled by loraAlpha / loraR"),
  loraDropout: z.number().min(0).lt(1).default(defaultLoraConfig.dropout)
    .describe("LoRA: dropout on each adapter's input in training passes"),
  loraTargetModules: z.array(z.enum(LORA_TARGET_MODULES)).min(1, "name at least one projection").default([...defaultLoraConfig.targetModules])
    .describe("LoRA: the projections that get adapters"),
  gradientCheckpointing: z.boolean().default(false)
    .describe("keep only each decoder layer's input in training passes and recompute the layer in backward: less memory, about a third more compute per update"),

  // Evaluation, checkpoints, logging
  evalEvery: z.number().int().min(0).default(50)
    .describe("evaluate every this many rollout batches (and always at the start and the end; 0 = only then)"),
  evalK: z.number().int().positive().default(1)
    .describe("with k > 1 also sample k responses per held-out prompt for avg@k and pass@k"),
  evalKl: z.boolean().default(true)
    .describe("measure KL(policy || reference) on the held-out prompts at each evaluation"),
  saveEvery: z.number().int().min(0).default(50)
    .describe("checkpoint every this many rollout batches (and at the end; 0 = only at the end)"),
  saveTotalLimit: z.number().int().positive().default(2)
    .describe("checkpoints kept: older ones are deleted"),
  reportTo: z.array(z.enum(REPORT_TARGETS)).default([])
    .describe("also write metrics for: tensorboard (event files in the run folder)"),
  logCompletions: z.boolean().default(true)
    .describe("keep every sampled completion, its reward and its advantage in rollouts.sqlite in the run folder (see `astarpo rollouts`)"),
});

/** Every algorithm's options beside the shared ones: one config file serves them all. */
function fullSchema() {
  let shape: z.ZodRawShape = { ...baseOptions.shape };
  for (const algo of Object.values(ALGORITHMS)) {
    for (const [key, option] of Object.entries(algo.options.shape)) {
      if (key in shape && shape[key] !== option) throw new Error(`config: option "${key}" of ${algo.name} clashes with another option of that name`);
      shape = { ...shape, [key]: option };
    }
  }
  return z.strictObject(shape);
}

export const runConfigSchema = fullSchema();

/** The whole config: the shared options and every algorithm's own. */
export type RunConfig = z.infer<typeof baseOptions> & AstarOptions & GrpoOptions & PpoOptions & RebelOptions & RlooOptions;

/**
 * A run config as written (a config file, flags, a library call): `model` and any other option,
 * each left out for its default (docs/astar-po.md and docs/algorithms.md list them all).
 */
export type RunConfigInput = z.input<typeof baseOptions> & z.input<typeof astarOptions> & z.input<typeof grpoOptions> &
  z.input<typeof ppoOptions> & z.input<typeof rebelOptions> & z.input<typeof rlooOptions>;

/** The schema of one option, whatever wraps it (default, optional). */
export function optionSchemas(): ReadonlyArray<[string, z.ZodType]> {
  return Object.entries(runConfigSchema.shape) as Array<[string, z.ZodType]>;
}

/** A run config that does not parse or check; the message names every bad key, with the file or flag it came from. */
export class ConfigError extends Error {}

function describeIssue(issue: z.core.$ZodIssue, where: string): string {
  if (issue.code === "unrecognized_keys") {
    const valid = Object.keys(runConfigSchema.shape);
    return issue.keys.map((key) => `${where}unknown option "${key}" (did you mean "${closest(key, valid)}"?)`).join("; ");
  }
  const key = issue.path.join(".");
  return `${where}option "${key}": ${issue.message}`;
}

/** What a library call gives besides the config, which changes what the config must say. */
export interface GivenFromCode {
  /** Rows made in code are the data: a file task then reads no data file. */
  rows?: boolean;
  /** A reward function is given: the custom task needs one. */
  reward?: boolean;
}

/** Checks and completes a config (defaults filled in); throws a ConfigError naming every bad key. */
export function parseRunConfig(input: RunConfigInput | Record<string, unknown>, where = "", given: GivenFromCode = {}): RunConfig {
  const result = runConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, where)).join("\n"));
  const config = result.data as RunConfig;
  if (!(config.task in BUILTIN_TASKS) && !(config.task in FILE_TASKS)) {
    throw new ConfigError(`${where}option "task": unknown task "${config.task}" (did you mean "${closest(config.task, [...Object.keys(BUILTIN_TASKS), ...Object.keys(FILE_TASKS)])}"?)`);
  }
  if (given.rows) {
    if (config.task in BUILTIN_TASKS) throw new ConfigError(`${where}task "${config.task}" is built in and reads no rows: choose a task for data (${Object.keys(FILE_TASKS).join(", ")})`);
    const file = config.data !== undefined ? "data" : config.evalData !== undefined ? "evalData" : null;
    if (file !== null) throw new ConfigError(`${where}the rows given from code are the data: drop option "${file}"`);
  } else {
    if (config.task in FILE_TASKS && config.data === undefined) throw new ConfigError(`${where}task "${config.task}" reads a data file: set option "data"`);
    if (config.task in BUILTIN_TASKS && config.data !== undefined) throw new ConfigError(`${where}task "${config.task}" is built in and reads no data file: drop option "data"`);
  }
  if (FILE_TASKS[config.task]?.reward === null && !given.reward) {
    throw new ConfigError(`${where}task "${config.task}" is scored by a reward function given from code (the reward option of the library's train()); it has no reward of its own`);
  }
  if (config.miniBatchSize > config.batchSize) throw new ConfigError(`${where}option "miniBatchSize" (${config.miniBatchSize}) exceeds "batchSize" (${config.batchSize})`);
  if (config.batchSize % config.miniBatchSize !== 0) throw new ConfigError(`${where}option "batchSize" (${config.batchSize}) must be a multiple of "miniBatchSize" (${config.miniBatchSize})`);
  return config;
}

/** A YAML or JSON config file as an object (JSON is YAML); errors name the file. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${path}: not valid YAML or JSON: ${(error as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new ConfigError(`${path}: expected a mapping of option names to values`);
  return value as Record<string, unknown>;
}

/** The run's folder name under outputDir. */
export function runName(config: RunConfig): string {
  return config.name ?? `${config.algo}-${config.task}`;
}

/** The run's folder: <outputDir>/<name>. */
export function runDirOf(config: RunConfig): string {
  return join(config.outputDir, runName(config));
}

export function isBuiltinTaskConfig(config: Pick<RunConfig, "task">): boolean {
  return config.task in BUILTIN_TASKS;
}

export function maxNewTokensOf(config: RunConfig): number {
  return config.maxNewTokens ?? (isBuiltinTaskConfig(config) ? 128 : 1024);
}

/** How the frozen reference holds its weights: as asked, or as the starting checkpoint stores them. */
export function referenceWeightsOf(config: Pick<RunConfig, "referenceWeights">, stored: "f32" | "bf16"): "f32" | "bf16" {
  return config.referenceWeights === "auto" ? stored : config.referenceWeights;
}
