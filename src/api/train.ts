// Training from code: the run config the command line reads (same keys, same
// defaults, validated once here), with the reward and the rows given as
// values instead of names, and events for each step, evaluation and checkpoint.
import { combineRewards, type RewardFn, type WeightedReward } from "../rewards/index.js";
import { compare as compareRuns, type CompareOptions as RunsCompareOptions, type ComparisonSummary } from "../train/compare.js";
import { parseRunConfig, type RunConfig, type RunConfigInput } from "../train/config.js";
import type { Dataset } from "../train/prompts.js";
import { train as runTraining, type TrainOptions as TrainerOptions, type TrainResult } from "../train/trainer.js";

/** A reward given from code: one function, or several summed with weights (as combineRewards does). */
export type RewardInput = RewardFn | readonly WeightedReward[];

/** What a run takes from code besides its config. */
export interface GivenInputs {
  /**
   * Scores every response of the run (stage 1, training and evaluation alike) in place of the
   * task's own reward. The `custom` task has none and needs this. Its values are reported as
   * `rewards/<name>/mean` and `/std`, `<name>` being the function's name (`custom` for an
   * anonymous function or a weighted list).
   */
  reward?: RewardInput;
  /** The run's rows, made in code, in place of the `data` and `evalData` files. */
  dataset?: Dataset;
}

/** The reward function a RewardInput stands for; undefined keeps the task's own. */
export function rewardFunction(reward: RewardInput | undefined): RewardFn | undefined {
  if (reward === undefined || typeof reward === "function") return reward;
  if (!Array.isArray(reward)) throw new TypeError("reward: expected a function or an array of { fn, weight, name? }");
  return combineRewards(reward);
}

/**
 * Checks and completes a run config as a library call gives it, with what it is given from code
 * (rows in place of files, a reward the custom task needs); throws a ConfigError naming every bad key.
 */
export function resolveRunConfig(config: RunConfigInput | RunConfig, given: GivenInputs = {}): RunConfig {
  return parseRunConfig(config, "", { rows: given.dataset !== undefined, reward: given.reward !== undefined });
}

export interface TrainOptions extends Omit<TrainerOptions, "reward">, GivenInputs {}

/**
 * Trains a policy with the run config's algorithm (`algo`: astar, grpo, ppo, rebel or rloo), as
 * `astarpo train` does: A*-PO samples stage 1 first when its values are not there yet. Writes
 * `<outputDir>/<name>/` (model, metrics.jsonl, rollouts.sqlite, checkpoints, config.json; with
 * `lora`, the adapters too). Aborting `signal` stops after the current step with a checkpoint;
 * `resume: true` continues from it. `controls` pauses the run or saves a checkpoint between steps.
 */
export async function train(config: RunConfigInput, options: TrainOptions = {}): Promise<TrainResult> {
  const resolved = resolveRunConfig(config, options);
  return runTraining(resolved, { ...options, reward: rewardFunction(options.reward) });
}

export interface CompareOptions extends Omit<RunsCompareOptions, "reward">, GivenInputs {}

/** A comparison's config: its runs go under `<outputDir>/<name>/`, by default `compare-<task>`. */
export function comparisonConfig(config: RunConfigInput | RunConfig, given: GivenInputs = {}): RunConfig {
  const resolved = resolveRunConfig(config, given);
  return { ...resolved, name: resolved.name ?? `compare-${resolved.task}` };
}

/**
 * Trains each of `algos` on the same prompts, seeds and step budget, as `astarpo compare` does,
 * and writes `<outputDir>/<name>/summary.json`; null when stopped by `signal` (call it again to resume).
 */
export async function compare(config: RunConfigInput, algos: readonly string[], options: CompareOptions = {}): Promise<ComparisonSummary | null> {
  return compareRuns(comparisonConfig(config, options), algos, { ...options, reward: rewardFunction(options.reward) });
}
