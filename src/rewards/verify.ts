// The verifier: gold answer + response -> verdict true / false / null with a
// reason. null means "could not decide" (an unparsable answer, an exhausted
// budget, values undefined where sampled) and is never folded into true or
// false here; callers count it separately.
import { Budget, BudgetExceeded, DEFAULT_BUDGET, type BudgetLimits } from "./budget.js";
import { compareAnswers } from "./equivalence.js";
import { formatExpr, type Expr } from "./expr.js";
import { cleanAnswer, extractAnswer, lastBoxed, type ExtractStrategy } from "./extract.js";
import type { MatchReason, UndecidedReason } from "./judgement.js";
import { gsm8kFirstNumber, gsm8kGoldNumber, gsm8kNumbersEqual, hendrycksEqual, hendrycksNormalize } from "./paper.js";
import { ParseError, parseAnswer } from "./parser.js";

export type VerifyReason =
  | MatchReason
  | UndecidedReason
  | "different"
  /** No answer found by the extraction strategies (a wrong answer: the format was asked for). */
  | "no-answer"
  /** The response was cut at the length limit (scored wrong, as the paper's reward does). */
  | "unfinished"
  | "gold-unparsed"
  | "pred-unparsed"
  | "budget";

export interface VerifyResult {
  verdict: boolean | null;
  reason: VerifyReason;
  /** The gold answer as the verifier understood it (canonical text), or null if it did not parse. */
  goldParsed: string | null;
  /** The answer taken from the response, or null if none was found. */
  predExtracted: string | null;
  /** The parse error or budget message behind a null verdict. */
  detail?: string;
}

/**
 * "equivalent": the full equivalence (default). The paper's checks:
 * "hendrycks", MATH's normalised-string equality; "gsm8k-paper", the first
 * `#### <number>` of the response equal as a number to the gold number.
 */
export type Strictness = "equivalent" | "hendrycks" | "gsm8k-paper";

export interface AnswerOptions {
  strictness?: Strictness;
  /** Relative tolerance of numeric comparisons (default 1e-12). */
  relTol?: number;
  /** Work and time limit of one check (default 200,000 steps, 1 s). */
  budget?: Partial<BudgetLimits>;
}

export interface ResponseOptions extends AnswerOptions {
  /** Where the answer is in the response (default: the last \boxed{}). */
  extract?: readonly ExtractStrategy[];
  /** Score a response cut at the length limit as wrong (default true). */
  requireFinished?: boolean;
  /** Whether the response ended by itself (EOS or stop string); default true. */
  finished?: boolean;
}

export const DEFAULT_REL_TOL = 1e-12;

/** The answer in a reference: the last \boxed{} of a MATH solution, after `####` in GSM8K, else all of it. */
export function goldAnswer(reference: string): string {
  const boxed = lastBoxed(reference);
  if (boxed !== null) return cleanAnswer(boxed);
  const hashes = reference.lastIndexOf("####");
  return cleanAnswer(hashes >= 0 ? reference.slice(hashes + 4) : reference);
}

export function verifyResponse(reference: string, response: string, options: ResponseOptions = {}): VerifyResult {
  if ((options.requireFinished ?? true) && options.finished === false) {
    return { verdict: false, reason: "unfinished", goldParsed: null, predExtracted: null };
  }
  if (options.strictness === "gsm8k-paper") {
    const number = gsm8kFirstNumber(response);
    if (number === null) return { verdict: false, reason: "no-answer", goldParsed: null, predExtracted: null };
    return verifyAnswer(reference, number, options);
  }
  const extracted = extractAnswer(response, options.extract ?? ["boxed"]);
  if (extracted === null) return { verdict: false, reason: "no-answer", goldParsed: null, predExtracted: null };
  return verifyAnswer(goldAnswer(reference), extracted.answer, options);
}

/** Compares two answers (already extracted). */
export function verifyAnswer(rawGold: string, rawPred: string, options: AnswerOptions = {}): VerifyResult {
  if (options.strictness === "gsm8k-paper") {
    const gold = gsm8kGoldNumber(rawGold);
    const pred = gsm8kGoldNumber(rawPred);
    const outcome = { goldParsed: gold, predExtracted: pred ?? rawPred };
    if (gold === null) return { verdict: null, reason: "gold-unparsed", ...outcome };
    if (pred === null) return { verdict: false, reason: "no-answer", ...outcome };
    const equal = gsm8kNumbersEqual(gold, pred);
    return { verdict: equal, reason: equal ? "exact" : "different", ...outcome };
  }
  const gold = cleanAnswer(rawGold);
  const pred = cleanAnswer(rawPred);
  if (options.strictness === "hendrycks") {
    const equal = hendrycksEqual(gold, pred);
    return { verdict: equal, reason: equal ? "string" : "different", goldParsed: hendrycksNormalize(gold), predExtracted: pred };
  }
  const parsedGold = parseGold(gold);
  const goldParsed = parsedGold instanceof ParseError ? null : formatExpr(parsedGold);
  const result = (verdict: boolean | null, reason: VerifyReason, detail?: string): VerifyResult =>
    detail === undefined ? { verdict, reason, goldParsed, predExtracted: pred } : { verdict, reason, goldParsed, predExtracted: pred, detail };

  if (canonicalText(gold) === canonicalText(pred)) return result(true, "string");
  const goldChoice = choiceLetter(gold, true);
  if (goldChoice !== null) return goldChoice === choiceLetter(pred, false) ? result(true, "choice") : result(false, "different");
  if (parsedGold instanceof ParseError) return result(null, "gold-unparsed", parsedGold.message);

  const budget = new Budget({ ...DEFAULT_BUDGET, ...options.budget });
  try {
    let parsedPred: Expr;
    try {
      parsedPred = parseAnswer(pred, budget);
    } catch (e) {
      if (e instanceof ParseError) return result(null, "pred-unparsed", e.message);
      throw e;
    }
    const j = compareAnswers(parsedGold, parsedPred, { budget, relTol: options.relTol ?? DEFAULT_REL_TOL });
    return result(j.verdict, j.reason);
  } catch (e) {
    if (e instanceof BudgetExceeded) return result(null, "budget", e.message);
    throw e;
  }
}

// Gold answers repeat across the samples of a prompt and across epochs: parse each once.
const GOLD_CACHE_SIZE = 10_000;
const goldCache = new Map<string, Expr | ParseError>();

function parseGold(gold: string): Expr | ParseError {
  let parsed = goldCache.get(gold);
  if (parsed === undefined) {
    try {
      parsed = parseAnswer(gold, new Budget());
    } catch (e) {
      if (e instanceof ParseError) parsed = e;
      else if (e instanceof BudgetExceeded) parsed = new ParseError(e.message);
      else throw e;
    }
    if (goldCache.size >= GOLD_CACHE_SIZE) goldCache.clear();
    goldCache.set(gold, parsed);
  }
  return parsed;
}

/** Spelling differences that never change meaning: spacing, sizing, delimiters, \dfrac. */
function canonicalText(s: string): string {
  return s
    .replace(/\\left|\\right|\\[!,;: ]|\\displaystyle|\$/g, " ")
    .replace(/\\[dt]frac/g, "\\frac")
    .replace(/\s+/g, " ")
    .replace(/ ?([^A-Za-z0-9 ]) ?/g, "$1")
    .trim();
}

const CHOICE_WRAPPERS = /\\(text|textbf|mathrm|mathbf|textrm)\s*\{|[{}$]/g;

/**
 * A multiple-choice letter: a gold answer must be exactly `C`, `(C)` or
 * `\text{(C)}`; a prediction may go on after the letter (`(C) 15`).
 */
function choiceLetter(answer: string, isGold: boolean): string | null {
  const s = answer.replace(CHOICE_WRAPPERS, "").trim();
  const m = isGold ? /^\(?([A-J])\)?$/.exec(s) : /^\(?([A-J])(?:\)|$|\s*[:.]\s|\s*$)/.exec(s);
  return m ? m[1] : null;
}
