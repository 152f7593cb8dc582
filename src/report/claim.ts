// The paper's headline claim, checked on a comparison: A*-PO reaches
// held-out accuracy within 2 points of GRPO's in at most 0.6x GRPO's training
// time (stage 1 included), with no more peak memory than any baseline.
import type { AlgorithmSummary, ComparisonSummary } from "../train/compare.js";
import { algorithmLabel } from "./palette.js";
import { pct, secs } from "./table.js";

const MAX_POINTS_BEHIND = 2;
const MAX_TIME_RATIO = 0.6;

export interface ClaimCheck {
  astar: AlgorithmSummary;
  grpo: AlgorithmSummary;
  /** A*-PO's held-out accuracy minus GRPO's, in points; null without a held-out set. */
  pointsAhead: number | null;
  /** A*-PO's training time over GRPO's. */
  timeRatio: number;
  /** A*-PO's peak memory is no more than any other algorithm's in the comparison. */
  leastMemory: boolean;
  /** Whether all three hold; null when accuracy was not measured. */
  holds: boolean | null;
}

/** The claim's numbers, or null when the comparison lacks A*-PO or GRPO. */
export function checkClaim(summary: ComparisonSummary): ClaimCheck | null {
  const astar = summary.algorithms.find((a) => a.name === "astar");
  const grpo = summary.algorithms.find((a) => a.name === "grpo");
  if (astar === undefined || grpo === undefined) return null;
  const pointsAhead = astar.accuracy === null || grpo.accuracy === null ? null : 100 * (astar.accuracy - grpo.accuracy);
  const timeRatio = astar.wall_s / grpo.wall_s;
  const leastMemory = summary.algorithms.every((a) => astar.peak_memory_bytes <= a.peak_memory_bytes);
  const holds = pointsAhead === null ? null : pointsAhead >= -MAX_POINTS_BEHIND && timeRatio <= MAX_TIME_RATIO && leastMemory;
  return { astar, grpo, pointsAhead, timeRatio, leastMemory, holds };
}

const ratio = (x: number) => `${x.toFixed(2)}x`;

/** "A*-PO reached X% in Y s vs GRPO's Z% in W s", with the time ratio and the gap; null without both. */
export function claimLine(summary: ComparisonSummary): string | null {
  const check = checkClaim(summary);
  if (check === null) return null;
  const { astar, grpo, pointsAhead, timeRatio } = check;
  const gap = pointsAhead === null ? "" : `, ${Math.abs(pointsAhead).toFixed(1)} points ${pointsAhead >= 0 ? "ahead" : "behind"}`;
  return `${algorithmLabel("astar")} reached ${pct(astar.accuracy)} in ${secs(astar.wall_s)} s vs ${algorithmLabel("grpo")}'s ${pct(grpo.accuracy)} in ` +
    `${secs(grpo.wall_s)} s (${ratio(timeRatio)} the training time, stage 1 included${gap}; the reference: ${pct(astar.accuracy_base)})`;
}

/** Whether the paper's claim holds on this comparison, and which part fails when it does not. */
export function claimVerdict(summary: ComparisonSummary): string | null {
  const check = checkClaim(summary);
  if (check === null) return null;
  const claim = `within ${MAX_POINTS_BEHIND} points of GRPO's accuracy in at most ${ratio(MAX_TIME_RATIO)} its training time, with no more peak memory than any baseline`;
  if (check.holds === null) return `The paper's claim (${claim}) cannot be checked: no held-out accuracy was measured.`;
  if (check.holds) return `The paper's claim (${claim}) holds on this run.`;
  const failed = [
    check.pointsAhead! < -MAX_POINTS_BEHIND ? `${(-check.pointsAhead!).toFixed(1)} points behind` : null,
    check.timeRatio > MAX_TIME_RATIO ? `${ratio(check.timeRatio)} the time` : null,
    check.leastMemory ? null : "more peak memory than a baseline",
  ].filter((part) => part !== null);
  return `The paper's claim (${claim}) does not hold on this run: ${failed.join(", ")}.`;
}
