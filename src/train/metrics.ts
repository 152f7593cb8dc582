// A run's metrics: one JSON object per line in <run>/metrics.jsonl, with the
// names TRL and verl users know, and optionally TensorBoard event files. A
// resumed run first drops the lines after its checkpoint (they will be made
// again), so the file always tells one history.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { TensorBoardWriter } from "./tensorboard.js";

export type MetricsRecord = Record<string, number | string | null>;

/**
 * A held-out evaluation's metrics (docs/astar-po.md, "Metrics"), in metrics.jsonl on each step
 * that has one; step 0's line, in a run from scratch, is the starting model's.
 */
export type EvalMetrics = {
  /** Greedy accuracy: the mean reward of greedy responses, undecided ones counting 0. */
  eval_accuracy: number;
  /** Mean reward over `evalK` samples per prompt, and the share of prompts with a rewarded sample; null unless `evalK` > 1. */
  eval_avg_at_k: number | null;
  eval_pass_at_k: number | null;
  /** Mean over sampled responses of sum_t log pi - log pi_ref; null without `evalKl`. */
  eval_kl: number | null;
  /** Mean tokens of the greedy responses, and how many of them the reward could not decide. */
  eval_response_length: number;
  eval_unparsed: number;
  /** Mean reward of the responses sampled at temperature (for avg@k or the KL); absent when none were. */
  eval_reward?: number;
  /** A*-PO: its regression terms on those sampled responses, with the held-out prompts' V-hat (`evalValues`). */
  eval_v_star?: number;
  eval_advantage?: number;
  eval_implicit_reward?: number;
  eval_loss?: number;
};

/**
 * A training step's line of metrics.jsonl, under the names TRL users know (docs/astar-po.md,
 * "Metrics"): what every algorithm reports, each algorithm's own (optional here: present for
 * that algorithm), and the evaluation's on the steps that have one.
 */
export type StepMetrics = Partial<EvalMetrics> & {
  step: number;
  epoch: number;
  /** Rollout rewards (undecided ones count 0), their spread, and how many the reward could not decide. */
  reward: number;
  reward_std: number;
  undecided: number;
  /** Mean over responses of sum_t log pi - log pi_ref, from the sampled log-probs; null without a reference pass. */
  kl: number | null;
  /** Response tokens. */
  "completions/mean_length": number;
  "completions/min_length": number;
  "completions/max_length": number;
  /** The share of responses cut at `maxNewTokens`. */
  "completions/clipped_ratio": number;
  /** Tokens of the responses that ended by themselves; null when none did. */
  "completions/mean_terminated_length": number | null;
  "completions/min_terminated_length": number | null;
  "completions/max_terminated_length": number | null;
  /** Per optimizer step, averaged over the rollout batch. */
  loss: number;
  entropy: number;
  grad_norm: number;
  lr: number;
  /** Sampler against trainer log-probs on the tokens scored before the first update; null when none were. */
  logprob_diff_max: number | null;
  logprob_diff_mean: number | null;
  /** Seconds of this step's phases (`rollouts_s`: writing its rollouts to rollouts.sqlite) and of the whole step. */
  sample_s: number;
  reward_s: number;
  reference_s: number;
  train_s: number;
  rollouts_s: number;
  step_s: number;
  /** The run's seconds so far, stage 1 and evaluation included. */
  wall_s: number;
  /** Training's cost so far: stage 1, sampling, reward, reference and training, without evaluation or checkpoints. */
  cost_s: number;
  tokens_per_s: number;
  generated_tokens: number;
  /** The step's peak of live tensor memory. */
  peak_memory_bytes: number;
  /** A*-PO: mean V-hat, r - V-hat, and beta2 * log(pi / pi_ref) of the batch. */
  v_star?: number;
  advantage?: number;
  implicit_reward?: number;
  /** GRPO and RLOO (REBEL: of its pairs): the share of groups whose rewards are all equal. */
  frac_reward_zero_std?: number;
  /** GRPO: the mean of the groups' reward spreads. */
  reward_std_group_mean?: number;
  /** REBEL: the mean reward difference of its pairs. */
  reward_gap?: number;
  /** GRPO (with beta > 0) and PPO: the KL penalty. */
  kl_penalty?: number;
  /** GRPO, RLOO and PPO: the shares of ratios clipped below, above, and either way (PPO: either way only). */
  "clip_ratio/low_mean"?: number;
  "clip_ratio/high_mean"?: number;
  "clip_ratio/region_mean"?: number;
  /** PPO: the policy and value losses, and the critic's mean value. */
  policy_loss?: number;
  value_loss?: number;
  value_mean?: number;
} & {
  /** The reward function's own values (`<reward>`: its name), undecided ones left out; null when all were undecided. */
  [metric: `rewards/${string}/mean` | `rewards/${string}/std`]: number | null;
};

export class MetricsLog {
  private readonly tensorboard: TensorBoardWriter | null;

  /** `tensorboardDir`: also write event files there (null: only the JSON lines). */
  constructor(readonly path: string, tensorboardDir: string | null = null) {
    this.tensorboard = tensorboardDir === null ? null : new TensorBoardWriter(tensorboardDir);
  }

  /** Keeps only the records of steps up to `step` (all of them when step is the last). */
  truncateAfter(step: number): void {
    if (!existsSync(this.path)) return;
    const kept = readFileSync(this.path, "utf8").split("\n").filter((line) => {
      if (line.trim() === "") return false;
      try {
        return (JSON.parse(line) as MetricsRecord).step as number <= step;
      } catch {
        return false;
      }
    });
    writeFileSync(this.path, kept.map((l) => `${l}\n`).join(""));
  }

  write(record: MetricsRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
    this.tensorboard?.scalars(record.step as number, record);
  }

  close(): void {
    this.tensorboard?.close();
  }
}

/** Every record of a metrics file (a run folder's metrics.jsonl); a line that is not a JSON object is refused with its number. */
export function readMetrics(path: string): MetricsRecord[] {
  return readFileSync(path, "utf8").split("\n").flatMap((line, i) => {
    if (line.trim() === "") return [];
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new Error(`${path}: line ${i + 1}: not valid JSON: ${(error as Error).message}`);
    }
    if (record === null || typeof record !== "object" || Array.isArray(record)) throw new Error(`${path}: line ${i + 1}: expected a JSON object`);
    return [record as MetricsRecord];
  });
}
