// Several algorithms on one config: the same prompts in the same order, the
// same seeds, the same budget of rollout steps, the same sampler, reward and
// accounting. Each runs in its own folder under <outputDir>/<name>/, so a
// comparison that stops resumes where it stopped (finished runs are read back,
// an interrupted one resumes from its checkpoint), and the summary is written
// from what the run folders hold.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RolloutBatch } from "../algos/index.js";
import { writeJsonAtomic } from "../io/index.js";
import { resolveTokenizer } from "../pretrained/index.js";
import { listCheckpoints, phaseSeconds, readTrainerState, trainingSeconds, type PhaseSeconds } from "./checkpoint.js";
import { runDirOf, type RunConfig } from "./config.js";
import { readMetrics } from "./metrics.js";
import { loadPromptSets } from "./prompts.js";
import { train, type TrainOptions } from "./trainer.js";

/** One algorithm's line of the comparison (the paper's table, with our accounting); `<phase>_s`: seconds of each of COST_PHASES. */
export interface AlgorithmSummary extends PhaseSeconds {
  /** The algorithm, as `--algos` names it. */
  name: string;
  /** Held-out greedy accuracy of the starting model; null when it was not evaluated. */
  accuracy_base: number | null;
  /** Held-out greedy accuracy at the last evaluation; null when there was none. */
  accuracy: number | null;
  /** Training's cost: stage 1 (A*-PO) + sampling + reward + reference/critic passes + updates; evaluation and checkpoints not counted. */
  wall_s: number;
  /** Held-out evaluation, reported apart. */
  eval_s: number;
  /** The largest peak of live tensor memory of any training step. */
  peak_memory_bytes: number;
  /** KL(policy || reference) on held-out prompts at the last evaluation. */
  kl: number | null;
  /** Tokens sampled for training: rollouts, and stage 1's for A*-PO. */
  generated_tokens: number;
  /** Steps the run trained. */
  steps: number;
  /** The run's folder. */
  run_dir: string;
  /** Held-out accuracy at each evaluation, with the training time spent by then. */
  accuracy_by_time: Array<{
    /** The step after which it was measured (0: the starting model). */
    step: number;
    /** Training's cost in seconds by then (as wall_s). */
    cost_s: number;
    /** Held-out greedy accuracy. */
    accuracy: number;
  }>;
}

/** A comparison's summary.json: the shared settings and one line per algorithm. */
export interface ComparisonSummary {
  /** The task every algorithm trained on. */
  task: string;
  /** The starting model (a spec or folder). */
  model: string;
  /** Training prompts. */
  prompts: number;
  /** Prompts per rollout step. */
  batch_size: number;
  /** The steps every algorithm ran. */
  steps: number;
  /** The run seed all algorithms shared. */
  seed: number;
  /** One line per algorithm, in the order they ran. */
  algorithms: AlgorithmSummary[];
}

export interface CompareOptions extends Pick<TrainOptions, "signal" | "progress" | "log" | "reward" | "dataset"> {
  /** Called as each algorithm starts and when its run is done (or found done). */
  onAlgorithm?: (name: string, phase: "start" | "done") => void;
  /** Each step's metrics, with the algorithm's name. */
  onStep?: (name: string, record: Record<string, unknown>) => void;
  /** Each rollout batch, with the algorithm's name. */
  onRollout?: (name: string, batch: RolloutBatch, step: number) => void;
}

/** The comparison's folder: <outputDir>/<name>. */
export function comparisonDir(config: RunConfig): string {
  return runDirOf(config);
}

/** The summary line of a finished run, from its folder. */
export function summarizeRun(name: string, runDir: string): AlgorithmSummary {
  const newest = listCheckpoints(join(runDir, "checkpoints")).at(-1);
  if (newest === undefined) throw new Error(`${runDir}: no checkpoint; the run did not finish a step`);
  const state = readTrainerState(newest);
  const records = readMetrics(join(runDir, "metrics.jsonl"));
  const evals = records.filter((r) => typeof r.eval_accuracy === "number");
  return {
    name,
    accuracy_base: (evals.find((r) => r.step === 0)?.eval_accuracy as number | undefined) ?? null,
    accuracy: (evals.at(-1)?.eval_accuracy as number | undefined) ?? null,
    wall_s: trainingSeconds(state.seconds),
    ...phaseSeconds(state.seconds),
    eval_s: state.seconds.eval ?? 0,
    peak_memory_bytes: state.peakMemoryBytes,
    kl: (evals.at(-1)?.eval_kl as number | null | undefined) ?? null,
    generated_tokens: state.generatedTokens + state.stage1Tokens,
    steps: state.step,
    run_dir: runDir,
    accuracy_by_time: evals.map((r) => ({ step: r.step as number, cost_s: r.cost_s as number, accuracy: r.eval_accuracy as number })),
  };
}

/** Runs (or resumes, or reads back) every algorithm on `config` and writes <outputDir>/<name>/summary.json. */
export async function compare(config: RunConfig, algos: readonly string[], options: CompareOptions = {}): Promise<ComparisonSummary | null> {
  const dir = comparisonDir(config);
  // One budget for all: the steps that epochs over the whole prompt set implies, unless maxSteps says otherwise.
  const prompts = (await loadPromptSets(config, resolveTokenizer(config.model), options)).train.length;
  const steps = config.maxSteps ?? Math.max(1, Math.floor((config.epochs * prompts) / config.batchSize));
  const lines: AlgorithmSummary[] = [];
  for (const algo of algos) {
    const run: RunConfig = { ...config, algo, outputDir: dir, name: algo, maxSteps: steps };
    const runDir = join(dir, algo);
    options.onAlgorithm?.(algo, "start");
    const done = existsSync(join(runDir, "model")) && readMetrics(join(runDir, "metrics.jsonl")).some((r) => r.step === steps);
    if (!done) {
      const started = existsSync(join(runDir, "config.json")) && listCheckpoints(join(runDir, "checkpoints")).length > 0;
      const result = await train(run, {
        ...options, resume: started, onStep: (r) => options.onStep?.(algo, r), onRollout: (b, step) => options.onRollout?.(algo, b, step),
      });
      if (result.stopped) return null;
    }
    options.onAlgorithm?.(algo, "done");
    lines.push(summarizeRun(algo, runDir));
  }
  const summary: ComparisonSummary = { task: config.task, model: config.model, prompts, batch_size: config.batchSize, steps, seed: config.seed, algorithms: lines };
  await writeJsonAtomic(join(dir, "summary.json"), summary);
  return summary;
}
