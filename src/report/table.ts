// The comparison's table, laid out like the paper's: accuracy before and
// after, the time split, peak memory, KL and tokens. One list of columns
// serves the terminal and the HTML report, so the two never disagree.
import { COST_PHASES } from "../train/checkpoint.js";
import type { AlgorithmSummary, ComparisonSummary } from "../train/compare.js";

export const pct = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(1)}%`);
export const secs = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes >= 100 * 2 ** 20 ? 0 : 1)}`;
const points = (a: AlgorithmSummary) =>
  (a.accuracy === null || a.accuracy_base === null ? "-" : `${a.accuracy >= a.accuracy_base ? "+" : ""}${(100 * (a.accuracy - a.accuracy_base)).toFixed(1)}`);

export interface Column {
  /** The terminal's header. */
  header: string;
  /** The HTML table's header: a group spanning neighbouring columns, and the column's own label. */
  group: string;
  label: string;
  cell: (a: AlgorithmSummary) => string;
  /** Which value is best in this column, for the HTML table to mark; absent where none is better. */
  best?: { value: (a: AlgorithmSummary) => number | null; order: "high" | "low" };
}

const WALL = "training wall time (s)";

export const COLUMNS: readonly Column[] = [
  { header: "held-out", group: "held-out accuracy", label: "reference", cell: (a) => pct(a.accuracy_base) },
  { header: "trained", group: "held-out accuracy", label: "trained", cell: (a) => pct(a.accuracy), best: { value: (a) => a.accuracy, order: "high" } },
  { header: "gain", group: "held-out accuracy", label: "gain (pts)", cell: points },
  { header: "wall s", group: WALL, label: "total", cell: (a) => secs(a.wall_s), best: { value: (a) => a.wall_s, order: "low" } },
  ...COST_PHASES.map(({ phase, label }): Column => ({ header: label, group: WALL, label, cell: (a) => secs(a[`${phase}_s`]) })),
  { header: "peak MiB", group: "", label: "peak memory (MiB)", cell: (a) => mib(a.peak_memory_bytes), best: { value: (a) => a.peak_memory_bytes, order: "low" } },
  { header: "KL", group: "", label: "KL to reference", cell: (a) => (a.kl === null ? "-" : a.kl.toFixed(3)) },
  { header: "tokens", group: "", label: "generated tokens", cell: (a) => String(a.generated_tokens) },
];

/** The run's setting in one line: task, model, prompts, steps, seed. */
export function comparisonSetting(summary: ComparisonSummary): string {
  return `task ${summary.task}, model ${summary.model}: ${summary.prompts} training prompts, ${summary.steps} steps of ${summary.batch_size} prompts, seed ${summary.seed}`;
}

export const ACCOUNTING_NOTE = "training wall time = stage 1 + sample + reward + reference/critic passes + train (evaluation not counted); KL to the reference on held-out prompts";

export function comparisonTable(summary: ComparisonSummary): string {
  const header = ["algorithm", ...COLUMNS.map((c) => c.header)];
  const rows = summary.algorithms.map((a) => [a.name, ...COLUMNS.map((c) => c.cell(a))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [comparisonSetting(summary), line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), ACCOUNTING_NOTE].join("\n");
}
