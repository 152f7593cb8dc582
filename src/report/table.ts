// The comparison as a table in the terminal, laid out like the paper's:
// accuracy before and after, the time split, peak memory, KL and tokens.
import type { ComparisonSummary } from "../train/compare.js";

const pct = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(1)}%`);
const secs = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes >= 100 * 2 ** 20 ? 0 : 1)}`;

export function comparisonTable(summary: ComparisonSummary): string {
  const header = ["algorithm", "held-out", "trained", "wall s", "stage 1", "sample", "reward", "ref/critic", "train", "peak MiB", "KL", "tokens"];
  const rows = summary.algorithms.map((a) => [
    a.name, pct(a.accuracy_base), pct(a.accuracy), secs(a.wall_s), secs(a.stage1_s), secs(a.sample_s), secs(a.reward_s), secs(a.reference_s),
    secs(a.train_s), mib(a.peak_memory_bytes), a.kl === null ? "-" : a.kl.toFixed(3), String(a.generated_tokens),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [
    `${summary.task}, ${summary.model}: ${summary.prompts} training prompts, ${summary.steps} steps of ${summary.batch_size} prompts, seed ${summary.seed}`,
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "wall s = stage 1 + sample + reward + reference/critic passes + train (evaluation not counted); KL to the reference on held-out prompts",
  ].join("\n");
}
