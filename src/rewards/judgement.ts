// What one comparison concludes, and why; shared by the comparison modules.
import type { Budget } from "./budget.js";
import type { Expr } from "./expr.js";

/** How two answers were found equal. */
export type MatchReason = "string" | "exact" | "numeric" | "symbolic" | "relation" | "structure" | "choice" | "text";
/** Why equality could not be decided: the values are undefined where sampled, or beyond double range. */
export type UndecidedReason = "undefined" | "out-of-range";

export interface Judgement {
  verdict: boolean | null;
  reason: MatchReason | UndecidedReason | "different";
}

export const DIFFERENT: Judgement = { verdict: false, reason: "different" };
export const matched = (reason: MatchReason): Judgement => ({ verdict: true, reason });
export const undecided = (reason: UndecidedReason): Judgement => ({ verdict: null, reason });

export interface CompareContext {
  budget: Budget;
  /** Relative tolerance of numeric comparison, against the magnitude of the values it came from. */
  relTol: number;
}

/** Compares a gold subexpression with a predicted one (the dispatcher in equivalence.ts). */
export type Comparator = (gold: Expr, pred: Expr) => Judgement;
