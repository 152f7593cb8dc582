// The report's headline sentence: A*-PO against GRPO in held-out accuracy and
// training time (whether the paper's claim holds is train/claim.ts's).
import type { ComparisonSummary } from "../train/compare.js";
import { algorithmLabel } from "./palette.js";
import { pct, secs } from "./table.js";

/** "A*-PO reached X% in Y s vs GRPO's Z% in W s", with the time ratio and the gap; null without both. */
export function claimLine(summary: ComparisonSummary): string | null {
  const astar = summary.algorithms.find((a) => a.name === "astar");
  const grpo = summary.algorithms.find((a) => a.name === "grpo");
  if (astar === undefined || grpo === undefined) return null;
  const ahead = astar.accuracy === null || grpo.accuracy === null ? null : 100 * (astar.accuracy - grpo.accuracy);
  const gap = ahead === null ? "" : `, ${Math.abs(ahead).toFixed(1)} points ${ahead >= 0 ? "ahead" : "behind"}`;
  return `${algorithmLabel("astar")} reached ${pct(astar.accuracy)} in ${secs(astar.wall_s)} s vs ${algorithmLabel("grpo")}'s ${pct(grpo.accuracy)} in ` +
    `${secs(grpo.wall_s)} s (${(astar.wall_s / grpo.wall_s).toFixed(2)}x the training time, stage 1 included${gap}; the reference: ${pct(astar.accuracy_base)})`;
}
