// What the live view of `astarpo train` shows, as plain data: the trainer's
// hooks (start, each rollout, each step's and evaluation's metrics, log lines) fold into it, and
// the view (dashboard.tsx) draws it. Kept apart from the drawing so it can be
// checked without a terminal.
import type { RolloutBatch } from "../algos/index.js";
import { COST_PHASES } from "../train/checkpoint.js";
import type { EvalMetrics, MetricsRecord } from "../train/metrics.js";

/** How many values a sparkline keeps, samples and events the view lists. */
export const SPARK_WIDTH = 40;
const SAMPLES = 4;
const EVENTS = 4;
/** Steps the ETA averages over: recent ones, since the first steps (compilation, warm caches) run slower. */
const ETA_STEPS = 10;

/** "pausing": a pause was asked during a step, which the run finishes first; "paused": the run holds between steps. */
export type RunStatus = "running" | "pausing" | "paused" | "checkpoint asked" | "stopping" | "done";

/**
 * The phases of the time split, as the metrics name their per-step seconds: training's cost phases
 * after stage 1, and writing the rollouts; "other" is evaluation and checkpoints.
 */
export const PHASES: ReadonlyArray<readonly [label: string, key: string]> = [
  ...COST_PHASES.filter(({ phase }) => phase !== "stage1").map(({ phase, label }) => [label, `${phase}_s`] as const),
  ["store", "rollouts_s"],
];

export interface LiveSample {
  step: number;
  reward: number;
  prompt: string;
  completion: string;
}

export interface DashboardState {
  title: string;
  step: number;
  totalSteps: number;
  status: RunStatus;
  /** Seconds of recent steps, newest last. */
  stepSeconds: number[];
  reward: number[];
  /** Held-out accuracy at each evaluation (step 0 included). */
  accuracy: number[];
  /** KL to the reference: of the rollouts where the run holds a reference, else of the held-out evaluations. */
  kl: number[];
  heldOutKl: number[];
  length: number[];
  /** Seconds per phase over this session's steps; "other": evaluation and checkpoints. */
  seconds: Record<string, number>;
  /** The run's total seconds at the last record (wall_s), to split off evaluation and checkpoints. */
  lastWall: number | null;
  samples: LiveSample[];
  events: string[];
}

export function initialState(title: string): DashboardState {
  return {
    title, step: 0, totalSteps: 0, status: "running", stepSeconds: [], reward: [], accuracy: [], kl: [], heldOutKl: [], length: [],
    seconds: {}, lastWall: null, samples: [], events: [],
  };
}

const keep = <T>(xs: readonly T[], x: T, n: number): T[] => [...xs, x].slice(-n);
const numberOf = (record: MetricsRecord, key: string): number | null => (typeof record[key] === "number" && Number.isFinite(record[key]) ? record[key] as number : null);

export function started(state: DashboardState, info: { runDir: string; algo: string; step: number; totalSteps: number }): DashboardState {
  return { ...state, title: `${info.algo} · ${info.runDir}`, step: info.step, totalSteps: info.totalSteps };
}

/** A held-out evaluation (step 0's among them). */
export function evaluated(state: DashboardState, metrics: Pick<EvalMetrics, "eval_accuracy" | "eval_kl">): DashboardState {
  return {
    ...state,
    accuracy: keep(state.accuracy, metrics.eval_accuracy, SPARK_WIDTH),
    heldOutKl: metrics.eval_kl === null ? state.heldOutKl : keep(state.heldOutKl, metrics.eval_kl, SPARK_WIDTH),
  };
}

/** A training step's metrics. */
export function stepDone(state: DashboardState, record: MetricsRecord): DashboardState {
  const next = { ...state, step: record.step as number };
  const wall = numberOf(record, "wall_s");
  const reward = numberOf(record, "reward"), kl = numberOf(record, "kl"), length = numberOf(record, "completions/mean_length"), stepS = numberOf(record, "step_s");
  if (reward !== null) next.reward = keep(state.reward, reward, SPARK_WIDTH);
  if (kl !== null) next.kl = keep(state.kl, kl, SPARK_WIDTH);
  if (length !== null) next.length = keep(state.length, length, SPARK_WIDTH);
  if (stepS !== null) next.stepSeconds = keep(state.stepSeconds, stepS, ETA_STEPS);
  const seconds = { ...state.seconds };
  let phases = 0;
  for (const [name, key] of PHASES) {
    const s = numberOf(record, key) ?? 0;
    seconds[name] = (seconds[name] ?? 0) + s;
    phases += s;
  }
  // What the run's total grew by beyond this step's phases: the last checkpoint and this step's evaluation.
  if (wall !== null && state.lastWall !== null) seconds.other = (seconds.other ?? 0) + Math.max(0, wall - state.lastWall - phases);
  return { ...next, seconds, lastWall: wall };
}

/** The newest rollout: one response from each of its first prompts, with its reward. */
export function rolloutDone(state: DashboardState, batch: RolloutBatch, step: number, promptOf: (group: number) => string): DashboardState {
  const firsts = batch.sequences.filter((s, i) => i === 0 || batch.sequences[i - 1].group !== s.group).slice(0, SAMPLES);
  return { ...state, samples: firsts.map((s) => ({ step, reward: s.reward, prompt: promptOf(s.group), completion: s.text })) };
}

export function logged(state: DashboardState, line: string): DashboardState {
  return { ...state, events: keep(state.events, line, EVENTS) };
}

export function withStatus(state: DashboardState, status: RunStatus): DashboardState {
  return { ...state, status };
}

// Hand-written rather than a dependency: a sparkline is the eight block heights of a value's place in its range.
const BARS = "▁▂▃▄▅▆▇█";

/** Values as a line of block characters, lowest to highest of their own range. */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return "";
  const lo = Math.min(...values), hi = Math.max(...values);
  return values.map((v) => BARS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))]).join("");
}

/** Seconds as "1h02m", "3m05s" or "12s". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** Time left at the recent steps' pace; null before the first step. */
export function eta(state: DashboardState): number | null {
  if (state.stepSeconds.length === 0) return null;
  const perStep = state.stepSeconds.reduce((a, b) => a + b, 0) / state.stepSeconds.length;
  return perStep * Math.max(0, state.totalSteps - state.step);
}

/** Each phase's share of this session's time, largest first, as "train 45%". */
export function timeSplit(state: DashboardState): string {
  const entries = Object.entries(state.seconds);
  const total = entries.reduce((a, [, s]) => a + s, 0);
  if (total === 0) return "-";
  return entries.filter(([, s]) => s >= total / 200).sort((a, b) => b[1] - a[1]).map(([name, s]) => `${name} ${((100 * s) / total).toFixed(0)}%`).join(" · ");
}
