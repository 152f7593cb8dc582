// The report's charts as data: one series per algorithm, in the algorithm's
// colour, laid out as uPlot's columns (the x values, then one column of y
// values per series, null where a series has no point at that x).
import type { ComparisonSummary } from "../train/compare.js";
import type { MetricsRecord } from "../train/metrics.js";
import { algorithmColors, algorithmLabel } from "./palette.js";

export interface ChartSeries {
  /** The algorithm's name as the summary has it. */
  name: string;
  label: string;
  color: string;
  /** Drawn dashed: the held-out evaluation's value standing in for a rollout value the algorithm does not compute. */
  dashed: boolean;
  /** Every point marked: a sparse series (evaluations); dense ones are lines. */
  markers: boolean;
}

export interface Chart {
  id: string;
  title: string;
  caption: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  data: Array<Array<number | null>>;
}

type Point = [x: number, y: number];

/** Several series' points on one shared, sorted x column. */
function aligned(points: readonly Point[][]): Array<Array<number | null>> {
  const xs = [...new Set(points.flat().map(([x]) => x))].sort((a, b) => a - b);
  const column = new Map(xs.map((x, i) => [x, i]));
  return [xs, ...points.map((series) => {
    const ys: Array<number | null> = xs.map(() => null);
    for (const [x, y] of series) ys[column.get(x)!] = y;
    return ys;
  })];
}

const num = (r: MetricsRecord, key: string): number | null => (typeof r[key] === "number" ? (r[key] as number) : null);

/** [x, y] for every record that has both keys. */
function pointsOf(records: readonly MetricsRecord[], x: string, y: string, scale = 1): Point[] {
  return records.flatMap((r) => {
    const xv = num(r, x), yv = num(r, y);
    return xv === null || yv === null ? [] : [[xv, scale * yv] as Point];
  });
}

/** The charts: held-out accuracy against training time (the headline), then accuracy, reward, KL and response length per step. */
export function comparisonCharts(summary: ComparisonSummary, metrics: ReadonlyMap<string, readonly MetricsRecord[]>): Chart[] {
  const names = summary.algorithms.map((a) => a.name);
  const colors = algorithmColors(names);
  const recordsOf = (name: string) => {
    const records = metrics.get(name);
    if (records === undefined) throw new Error(`no metrics for ${name}, which the summary lists`);
    return records;
  };
  /** One series per algorithm; `standIn` marks those whose points are held-out evaluations standing in for rollout values. */
  const perAlgorithm = (points: (records: readonly MetricsRecord[], name: string) => Point[], markers: boolean, standIn: (name: string) => boolean = () => false) => {
    const series = names.map((name) => ({
      name, label: algorithmLabel(name) + (standIn(name) ? " (held-out)" : ""), color: colors.get(name)!, dashed: standIn(name), markers: markers || standIn(name),
    }));
    return { series, data: aligned(names.map((name) => points(recordsOf(name), name))) };
  };
  // KL: the rollouts' where the algorithm measures it against its reference; the held-out evaluation's otherwise.
  const rolloutKl = (name: string) => recordsOf(name).some((r) => num(r, "kl") !== null);
  const heldOutKl = names.filter((name) => !rolloutKl(name)).map(algorithmLabel);
  return [
    {
      id: "accuracy-time", title: "Held-out accuracy against training time",
      caption: "Greedy accuracy on the held-out prompts at each evaluation, against the training time spent so far (stage 1, sampling, reward, " +
        "reference and critic passes, updates; evaluation left out)" + (names.includes("astar") ? `; ${algorithmLabel("astar")}'s line starts after its stage 1.` : "."),
      xLabel: "training time (s)", yLabel: "held-out accuracy (%)",
      ...perAlgorithm((records) => pointsOf(records, "cost_s", "eval_accuracy", 100), true),
    },
    {
      id: "accuracy-step", title: "Held-out accuracy per step",
      caption: "The same evaluations against rollout steps: what each step buys, whatever it costs.",
      xLabel: "rollout step", yLabel: "held-out accuracy (%)",
      ...perAlgorithm((records) => pointsOf(records, "step", "eval_accuracy", 100), true),
    },
    {
      id: "reward", title: "Reward per step",
      caption: "Mean reward of each rollout batch.",
      xLabel: "rollout step", yLabel: "mean reward",
      ...perAlgorithm((records) => pointsOf(records, "step", "reward"), false),
    },
    {
      id: "kl", title: "KL to the reference per step",
      caption: "KL(policy || reference) summed over a response's tokens, from the rollouts' log-probs" +
        (heldOutKl.length > 0 ? `; for ${heldOutKl.join(", ")}, which hold no reference while training, the held-out evaluation's (dashed).` : "."),
      xLabel: "rollout step", yLabel: "KL (nats per response)",
      ...perAlgorithm((records, name) => pointsOf(records, "step", rolloutKl(name) ? "kl" : "eval_kl"), false, (name) => !rolloutKl(name)),
    },
    {
      id: "length", title: "Response length per step",
      caption: "Mean length of the sampled responses of each rollout batch.",
      xLabel: "rollout step", yLabel: "response length (tokens)",
      ...perAlgorithm((records) => pointsOf(records, "step", "completions/mean_length"), false),
    },
  ];
}
