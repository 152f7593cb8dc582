// Counts of verdicts by outcome and reason, so that parse failures and
// exhausted budgets are reported apart from wrong answers.
import type { VerifyReason, VerifyResult } from "./verify.js";

/** Verdict counts over some number of checks. */
export interface VerdictSummary {
  /** Checks counted. */
  total: number;
  /** True verdicts. */
  correct: number;
  /** False verdicts, no-answer and unfinished responses included. */
  wrong: number;
  /** Null verdicts: unparsable answers, exhausted budgets, undecidable values. */
  undecided: number;
  /** Checks by reason; reasons never seen are absent. */
  byReason: Partial<Record<VerifyReason, number>>;
}

/** A running tally of verdicts, kept by an accuracy reward and read by the trainer's log. */
export class VerdictCounts {
  private summary: VerdictSummary = VerdictCounts.empty();

  private static empty(): VerdictSummary {
    return { total: 0, correct: 0, wrong: 0, undecided: 0, byReason: {} };
  }

  /** Counts one check. */
  record(result: Pick<VerifyResult, "verdict" | "reason">): void {
    const s = this.summary;
    s.total++;
    if (result.verdict === true) s.correct++;
    else if (result.verdict === false) s.wrong++;
    else s.undecided++;
    s.byReason[result.reason] = (s.byReason[result.reason] ?? 0) + 1;
  }

  /** A copy of the counts so far. */
  snapshot(): VerdictSummary {
    return { ...this.summary, byReason: { ...this.summary.byReason } };
  }

  /** Returns the counts so far and starts again from zero (e.g. once per logged step). */
  take(): VerdictSummary {
    const s = this.summary;
    this.summary = VerdictCounts.empty();
    return s;
  }
}
