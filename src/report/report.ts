// A comparison's report: reads <dir>/summary.json and each algorithm's
// <dir>/<algo>/metrics.jsonl, and writes <dir>/report.html.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { z } from "zod";
import { readJsonObject, writeFileAtomic } from "../io/index.js";
import { COST_PHASES, type PhaseSeconds } from "../train/checkpoint.js";
import type { AlgorithmSummary, ComparisonSummary } from "../train/compare.js";
import { readMetrics, type MetricsRecord } from "../train/metrics.js";
import { RolloutReader, ROLLOUTS_FILE, type RolloutRow } from "../train/rollout-store.js";
import { comparisonCharts } from "./charts.js";
import { reportHtml, type ChartLibrary } from "./page.js";

const phaseSecondsShape = Object.fromEntries(COST_PHASES.map(({ phase }) => [`${phase}_s`, z.number().nonnegative()])) as
  { [K in keyof PhaseSeconds]: z.ZodNumber };

const algorithmSummarySchema = z.object({
  name: z.string().min(1),
  accuracy_base: z.number().nullable(),
  accuracy: z.number().nullable(),
  wall_s: z.number().nonnegative(),
  ...phaseSecondsShape,
  eval_s: z.number().nonnegative(),
  peak_memory_bytes: z.number().nonnegative(),
  kl: z.number().nullable(),
  generated_tokens: z.number().int().nonnegative(),
  steps: z.number().int().nonnegative(),
  run_dir: z.string(),
  accuracy_by_time: z.array(z.object({ step: z.number().int().nonnegative(), cost_s: z.number().nonnegative(), accuracy: z.number() })),
}) satisfies z.ZodType<AlgorithmSummary>;

const summarySchema = z.object({
  task: z.string(),
  model: z.string(),
  prompts: z.number().int().nonnegative(),
  batch_size: z.number().int().positive(),
  steps: z.number().int().nonnegative(),
  seed: z.number().int(),
  algorithms: z.array(algorithmSummarySchema).min(1),
}) satisfies z.ZodType<ComparisonSummary>;

/** The metrics the report draws, as the trainer writes them (other keys pass through). */
const chartedNumber = z.number().nullable().optional();
const metricsRecordSchema = z.looseObject({
  step: z.number().int().nonnegative(),
  cost_s: z.number().nonnegative().optional(),
  eval_accuracy: chartedNumber,
  eval_kl: chartedNumber,
  reward: chartedNumber,
  kl: chartedNumber,
  "completions/mean_length": chartedNumber,
});

export interface Comparison {
  summary: ComparisonSummary;
  /** Each algorithm's metrics records, by its name. */
  metrics: Map<string, MetricsRecord[]>;
  /** Each algorithm's best and worst samples of its last step, for those that kept their rollouts. */
  samples: Map<string, RolloutRow[]>;
}

/** Samples of each kind the page shows per algorithm. */
const SAMPLES_SHOWN = 2;

/** The best and the worst samples of the run's newest stored step (none when it kept no rollouts). */
function lastStepSamples(runDir: string): RolloutRow[] {
  const path = join(runDir, ROLLOUTS_FILE);
  if (!existsSync(path)) return [];
  const reader = RolloutReader.open(path);
  try {
    const best = reader.query({ order: "best", limit: SAMPLES_SHOWN });
    const shown = new Set(best.map((r) => `${r.group_index}/${r.sample}`));
    return [...best, ...reader.query({ order: "worst", limit: SAMPLES_SHOWN }).filter((r) => !shown.has(`${r.group_index}/${r.sample}`)).reverse()];
  } finally {
    reader.close();
  }
}

function describe(where: string, issue: z.core.$ZodIssue): string {
  return `${where}: ${issue.path.length > 0 ? `key "${issue.path.join(".")}": ` : ""}${issue.message}`;
}

/** A comparison folder as `astarpo compare` leaves it, checked; errors name the file, and the step or key. */
export function readComparison(dir: string): Comparison {
  const summaryPath = join(dir, "summary.json");
  const parsed = summarySchema.safeParse(readJsonObject(summaryPath));
  if (!parsed.success) throw new Error(describe(summaryPath, parsed.error.issues[0]));
  const summary = parsed.data;
  const metrics = new Map(summary.algorithms.map((a) => {
    const path = join(dir, a.name, "metrics.jsonl");
    const records = readMetrics(path);
    records.forEach((record, i) => {
      const checked = metricsRecordSchema.safeParse(record);
      if (!checked.success) throw new Error(describe(`${path}: ${typeof record.step === "number" ? `step ${record.step}` : `record ${i + 1}`}`, checked.error.issues[0]));
      if (typeof record.eval_accuracy === "number" && typeof record.cost_s !== "number") {
        throw new Error(`${path}: step ${record.step}: an evaluation without cost_s (training time so far); the run predates it, run it again`);
      }
    });
    return [a.name, records];
  }));
  return { summary, metrics, samples: new Map(summary.algorithms.map((a) => [a.name, lastStepSamples(join(dir, a.name))])) };
}

/**
 * uPlot, inlined from the installed package when a report is written: a small (50 KB), dependency-free, well-kept
 * line-chart library that draws thousands of points fast on a canvas, with a legend, a synced cursor and tooltips
 * that hand-made SVG would have to reimplement. Read from its minified build, so the page needs no network.
 */
let chartLibrary: ChartLibrary | null = null;
function uplot(): ChartLibrary {
  const resolve = createRequire(import.meta.url).resolve;
  chartLibrary ??= {
    script: readFileSync(resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
    style: readFileSync(resolve("uplot/dist/uPlot.min.css"), "utf8"),
  };
  return chartLibrary;
}

/** The report page of the comparison in `dir`, as HTML. */
export function comparisonReport(dir: string): string {
  const { summary, metrics, samples } = readComparison(dir);
  return reportHtml(summary, comparisonCharts(summary, metrics), uplot(), samples);
}

/** Writes <dir>/report.html from <dir>/summary.json and the run folders beside it; returns its path. */
export async function writeReport(dir: string): Promise<string> {
  const path = join(dir, "report.html");
  await writeFileAtomic(path, comparisonReport(dir));
  return path;
}
