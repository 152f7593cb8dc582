// The built-in rewards. Accuracy rewards count every verdict (fn.counts), map
// a null verdict to `nullReward` (0 by default, as training needs a number),
// and are the ONE checker both A*-PO stages use: stage 1 scores the reference
// model's samples with the same function that scores the policy in stage 2.
import { VerdictCounts } from "./counts.js";
import { extractAnswer, type ExtractStrategy } from "./extract.js";
import { rewardPerItem } from "./reward.js";
import type { RewardFn, RewardValue } from "./types.js";
import { verifyResponse, type AnswerOptions, type VerifyResult } from "./verify.js";

/** Options of the accuracy rewards (mathAccuracy, gsm8kAccuracy). */
export interface AccuracyOptions extends AnswerOptions {
  /** The column holding the reference answer or solution (default: the first of answer, ground_truth, solution, gold). */
  goldColumn?: string;
  /** Where the answer is in a response. */
  extract?: readonly ExtractStrategy[];
  /** Score truncated responses 0 (default true). */
  requireFinished?: boolean;
  /** The reward of a null verdict (default 0; null passes "not applicable" on). */
  nullReward?: number | null;
  /** Where to count verdicts; a fresh counter when absent. */
  counts?: VerdictCounts;
}

/** A reward function that also counts the verifier's verdicts. */
export type CountedRewardFn = RewardFn & {
  /** Every verdict this reward has given, by outcome and reason (take() once per logged step). */
  readonly counts: VerdictCounts;
};

/** Where an accuracy reward looks for the gold answer when no goldColumn is given, first present wins. */
export const DEFAULT_GOLD_COLUMNS = ["answer", "ground_truth", "solution", "gold"] as const;

function goldOf(columns: Readonly<Record<string, unknown>>, index: number, column: string | undefined, reward: string): string {
  const keys = column === undefined ? DEFAULT_GOLD_COLUMNS : [column];
  for (const key of keys) {
    const v = columns[key];
    if (typeof v === "string" || typeof v === "number") return String(v);
    if (v !== undefined && v !== null) throw new Error(`${reward}: row ${index} column "${key}" is a ${typeof v}, expected a string or number`);
  }
  throw new Error(`${reward}: row ${index} has no gold answer (looked for column ${keys.map((k) => `"${k}"`).join(", ")})`);
}

function accuracyReward(reward: string, options: AccuracyOptions, defaults: Pick<AccuracyOptions, "extract" | "strictness">): CountedRewardFn {
  const counts = options.counts ?? new VerdictCounts();
  const nullReward = options.nullReward === undefined ? 0 : options.nullReward;
  const settings = { ...defaults, ...options };
  const fn = rewardPerItem((completion, columns, prompt, index): RewardValue => {
    const gold = goldOf(columns, index, options.goldColumn, reward);
    const promptText = typeof prompt === "string" ? prompt : prompt.map((m) => m.content).join("\n");
    const result: VerifyResult = verifyResponse(gold, completion.text, { ...settings, finished: completion.finished, prompt: promptText });
    counts.record(result);
    return result.verdict === null ? nullReward : result.verdict ? 1 : 0;
  });
  return Object.assign(fn, { counts });
}

/**
 * 1 when the response's answer (default: its last \boxed{}) equals the gold
 * answer, else 0. `strictness: "hendrycks"` reproduces the paper's MATH check.
 */
export function mathAccuracy(options: AccuracyOptions = {}): CountedRewardFn {
  return accuracyReward("mathAccuracy", options, { extract: ["boxed"], strictness: "equivalent" });
}

/**
 * GSM8K accuracy. By default the paper's check: the first `#### <number>` of
 * the response, `,` and `$` removed, equal as a number to the reference's
 * number after `####`. `strictness: "equivalent"` accepts `####`, a box or
 * "the answer is", with the full equivalence.
 */
export function gsm8kAccuracy(options: AccuracyOptions = {}): CountedRewardFn {
  return accuracyReward("gsm8kAccuracy", options, { extract: ["gsm8k", "boxed", "answer-is"], strictness: "gsm8k-paper" });
}

/** 1 when an answer can be extracted (and the response ended, unless told otherwise), else 0. */
export function answerFormat(options: { extract?: readonly ExtractStrategy[]; requireFinished?: boolean } = {}): RewardFn {
  const strategies = options.extract ?? ["boxed"];
  const requireFinished = options.requireFinished ?? true;
  return rewardPerItem((c) => ((requireFinished && !c.finished) || extractAnswer(c.text, strategies) === null ? 0 : 1));
}

/** 1 when the response matches the pattern (e.g. /^<think>[\s\S]*<\/think>/), else 0. */
export function patternFormat(pattern: RegExp): RewardFn {
  const re = new RegExp(pattern.source, pattern.flags.replace("g", "").replace("y", ""));
  return rewardPerItem((c) => (re.test(c.text) ? 1 : 0));
}

/** The accuracy reward for a file task's `reward` name (src/data/tasks: "math", "gsm8k"). */
export const ACCURACY_REWARDS = {
  /** MATH: the last \boxed{} against the gold answer, by full equivalence. */
  math: mathAccuracy,
  /** GSM8K: the paper's `####` number check. */
  gsm8k: gsm8kAccuracy,
} as const;
