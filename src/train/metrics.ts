// A run's metrics: one JSON object per line in <run>/metrics.jsonl, with the
// names TRL and verl users know, and optionally TensorBoard event files. A
// resumed run first drops the lines after its checkpoint (they will be made
// again), so the file always tells one history.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { TensorBoardWriter } from "./tensorboard.js";

export type MetricsRecord = Record<string, number | string | null>;

/**
 * A training step's line of metrics.jsonl, under the names TRL and verl users know (docs/astar-po.md,
 * "Metrics"); each algorithm adds its own (A*-PO: v_star, advantage, implicit_reward; GRPO:
 * frac_reward_zero_std; ...), and the eval_ ones are there on the steps with an evaluation.
 */
export interface StepMetrics {
  step: number;
  epoch: number;
  /** Rollout rewards (undecided ones count 0), their spread, and how many the reward could not decide. */
  reward: number;
  reward_std: number;
  undecided: number;
  /** Mean over responses of sum_t log pi - log pi_ref, from the sampled log-probs; null without a reference pass. */
  kl: number | null;
  response_length_mean: number;
  response_length_max: number;
  /** The share of responses cut at maxNewTokens. */
  clipped_ratio: number;
  loss: number;
  entropy: number;
  grad_norm: number;
  lr: number;
  /** Sampler against trainer log-probs on the tokens scored before the first update. */
  logprob_diff_max: number | null;
  logprob_diff_mean: number | null;
  /** Seconds: this step's phases, the run's total so far (wall_s), and training's cost so far (cost_s: no evaluation or checkpoints). */
  sample_s: number;
  reward_s: number;
  reference_s: number;
  train_s: number;
  step_s: number;
  wall_s: number;
  cost_s: number;
  tokens_per_s: number;
  generated_tokens: number;
  peak_memory_bytes: number;
  eval_accuracy?: number;
  eval_avg_at_k?: number | null;
  eval_pass_at_k?: number | null;
  eval_kl?: number | null;
  eval_response_length?: number;
  eval_unparsed?: number;
  /** The algorithm's own metrics. */
  [metric: string]: number | string | null | undefined;
}

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
