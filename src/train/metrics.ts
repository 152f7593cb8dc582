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
  /** Mean reward over `evalK` samples per prompt; null unless `evalK` > 1. */
  eval_avg_at_k: number | null;
  /** The share of prompts with a rewarded sample among their `evalK`; null unless `evalK` > 1. */
  eval_pass_at_k: number | null;
  /** Mean over sampled responses of sum_t log pi - log pi_ref; null without `evalKl`. */
  eval_kl: number | null;
  /** Mean tokens of the greedy responses. */
  eval_response_length: number;
  /** Greedy responses the reward could not decide. */
  eval_unparsed: number;
  /** Mean reward of the responses sampled at temperature (for avg@k or the KL); absent when none were. */
  eval_reward?: number;
  /** A*-PO: mean V-hat of the held-out prompts (`evalValues`). */
  eval_v_star?: number;
  /** A*-PO: mean r - V-hat of the sampled responses. */
  eval_advantage?: number;
  /** A*-PO: mean beta2 * log(pi / pi_ref) of the sampled responses. */
  eval_implicit_reward?: number;
  /** A*-PO: the regression loss on the sampled responses. */
  eval_loss?: number;
};

/**
 * A training step's line of metrics.jsonl, under the names TRL users know (docs/astar-po.md,
 * "Metrics"): what every algorithm reports, each algorithm's own (optional here: present for
 * that algorithm), and the evaluation's on the steps that have one.
 */
export type StepMetrics = Partial<EvalMetrics> & {
  /** Optimizer steps done, this one included. */
  step: number;
  /** Passes over the training prompts so far (fractional). */
  epoch: number;
  /** Mean rollout reward, undecided ones counting 0. */
  reward: number;
  /** The rollout rewards' standard deviation. */
  reward_std: number;
  /** Rollout responses the reward could not decide. */
  undecided: number;
  /** Mean over responses of sum_t log pi - log pi_ref, from the sampled log-probs; null without a reference pass. */
  kl: number | null;
  /** Mean response tokens. */
  "completions/mean_length": number;
  /** Fewest response tokens. */
  "completions/min_length": number;
  /** Most response tokens. */
  "completions/max_length": number;
  /** The share of responses cut at `maxNewTokens`. */
  "completions/clipped_ratio": number;
  /** Mean tokens of the responses that ended by themselves; null when none did. */
  "completions/mean_terminated_length": number | null;
  /** Fewest tokens of a response that ended by itself; null when none did. */
  "completions/min_terminated_length": number | null;
  /** Most tokens of a response that ended by itself; null when none did. */
  "completions/max_terminated_length": number | null;
  /** The algorithm's loss, averaged over the step's optimizer updates. */
  loss: number;
  /** Mean per-token entropy of the policy on the responses, averaged like the loss. */
  entropy: number;
  /** The gradient norm before clipping, averaged over the step's optimizer updates. */
  grad_norm: number;
  /** The learning rate of the step's last optimizer update. */
  lr: number;
  /** Largest gap of sampler and trainer log-probs on the tokens scored before the first update; null when none were. */
  logprob_diff_max: number | null;
  /** Mean of those gaps; null when none were. */
  logprob_diff_mean: number | null;
  /** Seconds sampling the rollouts. */
  sample_s: number;
  /** Seconds scoring them with the reward. */
  reward_s: number;
  /** Seconds of the reference's log-prob pass. */
  reference_s: number;
  /** Seconds of the policy updates. */
  train_s: number;
  /** Seconds writing the rollouts to rollouts.sqlite. */
  rollouts_s: number;
  /** Seconds of the whole step. */
  step_s: number;
  /** The run's seconds so far, stage 1 and evaluation included. */
  wall_s: number;
  /** Training's cost so far: stage 1, sampling, reward, reference and training, without evaluation or checkpoints. */
  cost_s: number;
  /** Response tokens sampled per second of this step's sampling. */
  tokens_per_s: number;
  /** Response tokens sampled by the run so far (stage 1 not included). */
  generated_tokens: number;
  /** The step's peak of live tensor memory. */
  peak_memory_bytes: number;
  /** A*-PO: mean V-hat of the batch's prompts. */
  v_star?: number;
  /** A*-PO: mean r - V-hat of the batch. */
  advantage?: number;
  /** A*-PO: mean beta2 * log(pi / pi_ref) of the batch. */
  implicit_reward?: number;
  /** GRPO and RLOO (REBEL: of its pairs): the share of groups whose rewards are all equal. */
  frac_reward_zero_std?: number;
  /** GRPO: the mean of the groups' reward spreads. */
  reward_std_group_mean?: number;
  /** REBEL: the mean reward difference of its pairs. */
  reward_gap?: number;
  /** GRPO (with beta > 0) and PPO: the KL penalty. */
  kl_penalty?: number;
  /** GRPO and RLOO: the share of ratios clipped below. */
  "clip_ratio/low_mean"?: number;
  /** GRPO and RLOO: the share of ratios clipped above. */
  "clip_ratio/high_mean"?: number;
  /** GRPO, RLOO and PPO: the share of ratios clipped either way. */
  "clip_ratio/region_mean"?: number;
  /** PPO: the policy (clipped surrogate) loss. */
  policy_loss?: number;
  /** PPO: the critic's value loss. */
  value_loss?: number;
  /** PPO: the critic's mean value. */
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
