// The verifier: gold answer + response -> verdict true / false / null with a
// reason. null means "could not decide" (an unparsable answer, an exhausted
// budget, values undefined where sampled) and is never folded into true or
// false here; callers count it separately.
import { Budget, BudgetExceeded, DEFAULT_BUDGET, type BudgetLimits } from "./budget.js";
import { committedAnswer, lastBoxGroup, type Commitment } from "./commitments.js";
import { compareAnswers } from "./equivalence.js";
import { contains, formatExpr, type Expr } from "./expr.js";
import { cleanAnswer, extractAnswer, type ExtractStrategy } from "./extract.js";
import type { MatchReason, UndecidedReason } from "./judgement.js";
import { gsm8kFirstNumber, gsm8kGoldNumber, gsm8kNumbersEqual, hendrycksEqual, hendrycksNormalize } from "./paper.js";
import { ParseError, parseAnswer } from "./parser.js";

/** Why a check came out as it did: a match, an undecided case, or one of the failures below. */
export type VerifyReason =
  | MatchReason
  | UndecidedReason
  /** The answers differ. */
  | "different"
  /** No answer found by the extraction strategies (a wrong answer: the format was asked for). */
  | "no-answer"
  /** The response was cut at the length limit (scored wrong, as the paper's reward does). */
  | "unfinished"
  /** The response commits to different answers (`\boxed{2}` or `\boxed{5}`, a box and a later "Answer:"). */
  | "hedged"
  /** The gold answer did not parse (verdict null). */
  | "gold-unparsed"
  /** The response's answer did not parse (verdict null). */
  | "pred-unparsed"
  /** The work budget ran out before a verdict (verdict null). */
  | "budget";

/** The outcome of one check, with what the verifier read. */
export interface VerifyResult {
  /** Right, wrong, or null when the verifier could not decide. */
  verdict: boolean | null;
  /** Why the verdict is what it is. */
  reason: VerifyReason;
  /** The gold answer as the verifier understood it (canonical text), or null if it did not parse. */
  goldParsed: string | null;
  /** The answer taken from the response, or null if none was found. */
  predExtracted: string | null;
  /** The parse error or budget message behind a null verdict, or the rival answer behind `hedged`. */
  detail?: string;
  /** Work units the check spent (at most the budget's step limit). */
  steps: number;
}

/**
 * "equivalent": the full equivalence (default). The paper's checks:
 * "hendrycks", MATH's normalised-string equality; "gsm8k-paper", the first
 * `#### <number>` of the response equal as a number to the gold number.
 */
export type Strictness = "equivalent" | "hendrycks" | "gsm8k-paper";

/** How two answers are compared. */
export interface AnswerOptions {
  /** Which comparison decides (default "equivalent"). */
  strictness?: Strictness;
  /** Relative tolerance of numeric comparisons (default 1e-12). */
  relTol?: number;
  /** Work and time limit of one check (default 200,000 steps, 1 s). */
  budget?: Partial<BudgetLimits>;
}

/** How a response is read and its answer compared with the gold one. */
export interface ResponseOptions extends AnswerOptions {
  /** Where the answer is in the response (default: the last \boxed{}). */
  extract?: readonly ExtractStrategy[];
  /** Score a response cut at the length limit as wrong (default true). */
  requireFinished?: boolean;
  /** Whether the response ended by itself (EOS or stop string); default true. */
  finished?: boolean;
  /** The prompt the response answers: answers inside a copy of it are not the response's own. */
  prompt?: string;
}

/** The default relative tolerance of numeric comparisons. */
export const DEFAULT_REL_TOL = 1e-12;

/**
 * The answer in a reference: the last \\boxed{} of a MATH solution (with the
 * boxes side by side with it), after `####` in GSM8K, else all of it.
 */
export function goldAnswer(reference: string): string {
  const boxed = lastBoxGroup(reference);
  if (boxed !== null) return cleanAnswer(boxed);
  const hashes = reference.lastIndexOf("####");
  return cleanAnswer(hashes >= 0 ? reference.slice(hashes + 4) : reference);
}

const noAnswer = (steps = 0): VerifyResult => ({ verdict: false, reason: "no-answer", goldParsed: null, predExtracted: null, steps });

/**
 * Checks a model response against a reference solution or gold answer: finds
 * the answer the response commits to, then compares it with the gold answer.
 */
export function verifyResponse(reference: string, response: string, options: ResponseOptions = {}): VerifyResult {
  if ((options.requireFinished ?? true) && options.finished === false) {
    return { verdict: false, reason: "unfinished", goldParsed: null, predExtracted: null, steps: 0 };
  }
  const strategies = options.extract ?? ["boxed"];
  if (options.strictness === "gsm8k-paper" || options.strictness === "hendrycks") {
    // The paper's checks read the response as the paper did: the first ####, or the last box alone.
    const answer = options.strictness === "gsm8k-paper" ? gsm8kFirstNumber(response) : extractAnswer(response, strategies)?.answer ?? null;
    return answer === null ? noAnswer() : verifyAnswer(options.strictness === "hendrycks" ? goldAnswer(reference) : reference, answer, options);
  }
  const budget = new Budget({ ...DEFAULT_BUDGET, ...options.budget });
  let commitment: Commitment | null;
  try {
    commitment = committedAnswer(response, strategies, { prompt: options.prompt, budget });
  } catch (e) {
    if (e instanceof BudgetExceeded) return { verdict: null, reason: "budget", goldParsed: null, predExtracted: null, detail: e.message, steps: budget.used };
    throw e;
  }
  if (commitment === null) return noAnswer(budget.used);
  return judgeCommitment(goldAnswer(reference), commitment, options, budget);
}

/**
 * The chosen answer, judged with the others the response stands by: several
 * statements that together equal a gold of several answers (two roots boxed
 * apart) match it; a right answer beside a different one is hedging.
 * Loose prose ("the answer is correct") neither helps nor hurts.
 */
function judgeCommitment(gold: string, c: Commitment, options: AnswerOptions, budget: Budget): VerifyResult {
  const chosen = judgeAnswer(gold, c.answer, options, budget);
  if (c.answers.length === 1) return chosen;
  const parsedGold = goldOf(gold).parsed;
  if (!(parsedGold instanceof ParseError) && hasSeveralAnswers(parsedGold)) {
    const together = judgeAnswer(gold, c.answers.join("; "), options, budget);
    if (together.verdict === true) return together;
  }
  if (chosen.verdict !== true) return chosen;
  let open: VerifyResult | null = null;
  for (const [k, rival] of c.answers.entries()) {
    if (rival === c.answer) continue;
    if (c.kinds[k] === "answer-is" && !isProseAnswer(rival, parsedGold, budget)) continue;
    const j = judgeAnswer(gold, rival, options, budget);
    if (j.verdict === true) continue;
    const hedged: VerifyResult = { ...chosen, verdict: j.verdict === false ? false : null, reason: "hedged", detail: rival, steps: budget.used };
    if (j.verdict === false) return hedged;
    open ??= hedged;
  }
  return open ?? { ...chosen, steps: budget.used };
}

/**
 * A prose "answer is" statement counts as an answer when it parses, and is
 * not mere words beside a gold that is not words. With the budget spent it
 * counts, so that judging it reports the budget.
 */
function isProseAnswer(answer: string, gold: Expr | ParseError, budget: Budget): boolean {
  try {
    const parsed = parseAnswer(answer, budget);
    return parsed.k !== "text" || (!(gold instanceof ParseError) && gold.k === "text");
  } catch (e) {
    if (e instanceof ParseError) return false;
    if (e instanceof BudgetExceeded) return true;
    throw e;
  }
}

function hasSeveralAnswers(e: Expr): boolean {
  if (e.k === "list" || e.k === "set") return e.items.length > 1;
  if (e.k === "bracket") return e.open === "(" && e.close === ")";
  return contains(e, "pm");
}

/** Compares two answers (already extracted). */
export function verifyAnswer(rawGold: string, rawPred: string, options: AnswerOptions = {}): VerifyResult {
  if (options.strictness === "gsm8k-paper") {
    const gold = gsm8kGoldNumber(rawGold);
    const pred = gsm8kGoldNumber(rawPred);
    const outcome = { goldParsed: gold, predExtracted: pred ?? rawPred, steps: 0 };
    if (gold === null) return { verdict: null, reason: "gold-unparsed", ...outcome };
    if (pred === null) return { verdict: false, reason: "no-answer", ...outcome };
    const equal = gsm8kNumbersEqual(gold, pred);
    return { verdict: equal, reason: equal ? "exact" : "different", ...outcome };
  }
  const gold = cleanAnswer(rawGold);
  const pred = cleanAnswer(rawPred);
  if (options.strictness === "hendrycks") {
    const equal = hendrycksEqual(gold, pred);
    return { verdict: equal, reason: equal ? "string" : "different", goldParsed: hendrycksNormalize(gold), predExtracted: pred, steps: 0 };
  }
  return judgeAnswer(gold, pred, options, new Budget({ ...DEFAULT_BUDGET, ...options.budget }));
}

/** The full equivalence of two cleaned answers, under a budget shared with the rest of the check. */
function judgeAnswer(gold: string, rawPred: string, options: AnswerOptions, budget: Budget): VerifyResult {
  const pred = cleanAnswer(rawPred);
  const { parsed: parsedGold, printed, spelling, choice } = goldOf(gold);
  const result = (verdict: boolean | null, reason: VerifyReason, detail?: string): VerifyResult => {
    const r: VerifyResult = { verdict, reason, goldParsed: printed, predExtracted: pred, steps: budget.used };
    if (detail !== undefined) r.detail = detail;
    return r;
  };

  if (spelling === canonicalText(pred)) return result(true, "string");
  if (choice !== null) return choice === choiceLetter(pred, false) ? result(true, "choice") : result(false, "different");
  if (parsedGold instanceof ParseError) return result(null, "gold-unparsed", parsedGold.message);

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

// Gold answers repeat across the samples of a prompt and across epochs:
// parse each once, with what every comparison needs of it.
interface Gold {
  parsed: Expr | ParseError;
  /** The canonical printout of the parse, null when it failed. */
  printed: string | null;
  spelling: string;
  choice: string | null;
}

const GOLD_CACHE_SIZE = 10_000;
const goldCache = new Map<string, Gold>();

function goldOf(gold: string): Gold {
  let cached = goldCache.get(gold);
  if (cached === undefined) {
    let parsed: Expr | ParseError;
    try {
      parsed = parseAnswer(gold, new Budget());
    } catch (e) {
      if (e instanceof ParseError) parsed = e;
      else if (e instanceof BudgetExceeded) parsed = new ParseError(e.message);
      else throw e;
    }
    const printed = parsed instanceof ParseError ? null : formatExpr(parsed);
    cached = { parsed, printed, spelling: canonicalText(gold), choice: choiceLetter(gold, true) };
    if (goldCache.size >= GOLD_CACHE_SIZE) goldCache.clear();
    goldCache.set(gold, cached);
  }
  return cached;
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
 * `\text{(C)}`; a prediction may go on after the letter (`(C) 15`), but
 * not name another option (`(B) or (D)` chooses nothing).
 */
function choiceLetter(answer: string, isGold: boolean): string | null {
  const s = answer.replace(CHOICE_WRAPPERS, "").trim();
  const m = isGold ? /^\(?([A-J])\)?$/.exec(s) : /^\(?([A-J])(?:\)|$|\s*[:.]\s|\s*$)/.exec(s);
  if (m === null) return null;
  const others = s.slice(m[0].length).match(/(?<![A-Za-z\\])[A-J](?![A-Za-z])/g) ?? [];
  return others.every((letter) => letter === m[1]) ? m[1] : null;
}
