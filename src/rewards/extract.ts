// Answer extraction: which part of a response is the answer. Strategies are
// tried in the order given; the first that finds something wins. Which of
// several answers a response commits to is decided in commitments.ts.
import { continuesUnitPhrase } from "./units.js";
import { CONSTANT_WORDS, FUNCTIONS, isNumberWord, PERCENT_WORDS, SEPARATOR_WORDS, UNICODE } from "./vocabulary.js";

/** A way to find the answer in a response. */
export type ExtractStrategy =
  /** The last \boxed{...} or \fbox{...} (brace-matched), or `\boxed 5`. */
  | "boxed"
  /** The rest of the line after the last `####`. */
  | "gsm8k"
  /** After the last "answer is" / "answer:" (inline math or up to the end of the sentence). */
  | "answer-is"
  /** The value a closing sentence states: "so the probability is 3/5.", "Thus $y = 2+2+3 = 7$." */
  | "final-statement"
  /** The last number in the text (lenient; what the paper's stage 1 used, not a default). */
  | "last-number"
  /** The whole text, when it is short enough to be an answer (a bare answer, not a derivation). */
  | "whole";

/** Every strategy there is (for checking option values). */
export const EXTRACT_STRATEGIES: readonly ExtractStrategy[] = ["boxed", "gsm8k", "answer-is", "final-statement", "last-number", "whole"];
/** For answers of unknown format (the CLI, conformance cases): box, ####, "answer is", a closing statement, else the whole short text. */
export const AUTO_EXTRACT: readonly ExtractStrategy[] = ["boxed", "gsm8k", "answer-is", "final-statement", "whole"];

const WHOLE_MAX_CHARS = 300;

/** An answer found in a response. */
export interface Extracted {
  /** The answer text, cleaned of math delimiters, markdown bold and a final period. */
  answer: string;
  /** The strategy that found it. */
  strategy: ExtractStrategy;
}

const extractors: Record<ExtractStrategy, (text: string) => string | null> = {
  boxed: lastBoxed,
  gsm8k: afterLastHashes,
  "answer-is": afterAnswerIs,
  "final-statement": finalStatement,
  "last-number": lastNumber,
  whole: (text) => (text.length <= WHOLE_MAX_CHARS ? text : null),
};

/** The answer of the first strategy that finds a non-empty one, or null when none does. */
export function extractAnswer(text: string, strategies: readonly ExtractStrategy[]): Extracted | null {
  for (const strategy of strategies) {
    const raw = extractors[strategy](text);
    if (raw === null) continue;
    const answer = cleanAnswer(raw);
    if (answer !== "") return { answer, strategy };
  }
  return null;
}

/** The content of the last \boxed / \fbox; null when there is none or it is cut off. */
export function lastBoxed(text: string): string | null {
  const boxed = text.lastIndexOf("\\boxed");
  const fbox = text.lastIndexOf("\\fbox");
  const at = Math.max(boxed, fbox);
  if (at < 0) return null;
  let i = at + (at === boxed ? 6 : 5);
  if (text[i] !== "{" && text[i] !== " ") return null;
  while (text[i] === " ") i++;
  if (text[i] !== "{") {
    // `\boxed 5`: one token, up to whitespace or a math delimiter.
    const m = /^[^\s$]+/.exec(text.slice(i));
    return m ? m[0] : null;
  }
  return braceGroup(text, i);
}

/** The text inside the brace group opening at `open`, or null when unbalanced. */
export function braceGroup(text: string, open: number): string | null {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return text.slice(open + 1, i);
  }
  return null;
}

function afterLastHashes(text: string): string | null {
  const at = text.lastIndexOf("####");
  return at < 0 ? null : hashLine(text, at).answer;
}

/**
 * The answer on a `####` line starting at `at`: the rest of the line, or just
 * its number when words follow it (`#### $18 eggs` is 18), since GSM8K's
 * answers are numbers.
 */
export function hashLine(text: string, at: number): { answer: string; end: number } {
  const end = lineEndWithin(text, at);
  const line = text.slice(at + 4, end);
  const numberThenWords = /^\s*(\\?\$?\s*-?[\d,]*\.?\d+)\s+[A-Za-z][A-Za-z .]*$/.exec(line);
  return { answer: numberThenWords ? numberThenWords[1] : line, end };
}

/** "answer is", "answer:", "answer =" (case-insensitive); the answer follows the match. */
export const ANSWER_IS = /\banswer\s*(?:is\s*[:=]?|[:=])\s*/gi;

function afterAnswerIs(text: string): string | null {
  let start = -1;
  for (const m of text.matchAll(ANSWER_IS)) start = m.index + m[0].length;
  return start < 0 ? null : answerAfter(text, start)?.answer ?? null;
}

const MATH_CLOSE: Record<string, string> = { $: "$", $$: "$$", "\\(": "\\)", "\\[": "\\]" };

/** Where a reason after the answer begins: "5, since ...", "7 (because ...)". */
const REASON = /,?\s+(?:since|because|as|which|given that)\b|\s*\((?:since|because|as)\b/;

/**
 * The answer stated from `start` (just after "answer is"), on that line or,
 * when the line ends there, the next: a box, inline math, or the rest of the
 * sentence (a decimal point does not end it) up to a reason given for it;
 * from a sentence of prose, the value it states ("The volume is 120").
 * Nothing at or after `limit` is read. `end` is where it ends in the text;
 * `boxed`, whether the answer came from a box. `$5` that never closes is
 * five dollars, not math.
 */
export function answerAfter(text: string, from: number, limit = text.length): { answer: string; end: number; boxed: boolean } | null {
  const nextLine = /^[ \t]*\n\s*/.exec(text.slice(from, Math.min(limit, from + 200)));
  const start = nextLine ? from + nextLine[0].length : from;
  const end = Math.min(lineEndWithin(text, start), limit);
  const rest = text.slice(start, end);
  const boxed = lastBoxed(rest);
  if (boxed !== null) return { answer: boxed, end, boxed: true };
  const lead = rest.length - rest.trimStart().length;
  const math = /^(\$\$?|\\\(|\\\[)/.exec(rest.slice(lead));
  if (math) {
    const close = rest.indexOf(MATH_CLOSE[math[1]], lead + math[1].length);
    if (close >= 0) return { answer: rest.slice(lead + math[1].length, close), end: start + close + math[1].length, boxed: false };
    if (!/^\$\s*\d/.test(rest.slice(lead))) return null;
  }
  const stop = [/\.(\s|$)/.exec(rest), REASON.exec(rest)].reduce((a, m) => (m !== null && m.index < a ? m.index : a), rest.length);
  const sentence = rest.slice(0, stop);
  return { answer: statedValue(sentence) ?? sentence, end: start + stop, boxed: false };
}

/** No answer is longer than this: a statement's line is read no further, so that many statements cost linear time. */
const MAX_STATEMENT_CHARS = 2000;

function lineEndWithin(text: string, start: number): number {
  const lineEnd = text.slice(start, start + MAX_STATEMENT_CHARS).indexOf("\n");
  return lineEnd < 0 ? Math.min(text.length, start + MAX_STATEMENT_CHARS) : start + lineEnd;
}

// ---- the closing statement ----

const FINAL_TAIL_CHARS = 800;
const FINAL_SENTENCES = 3;
/** At most this much prose may follow the inline math a sentence ends on ("$x \ge 5$ is the solution."). */
const TRAILING_PROSE_CHARS = 40;

/**
 * The value one of the last few sentences states: its closing inline math,
 * or the run of math that ends it after some prose ("so the probability is
 * 3/5.", "Thus y = 2+2+3 = 7.", "the correct choice is (E)."). Only a value
 * with a digit or a LaTeX command, or an option letter, counts, so that "I
 * hope it is correct." is skipped, and so is a question; a sentence that is
 * all math is a bare answer, left to the `whole` strategy.
 */
function finalStatement(text: string): string | null {
  const sentences = splitSentences(text.slice(-FINAL_TAIL_CHARS));
  for (let k = sentences.length - 1; k >= Math.max(0, sentences.length - FINAL_SENTENCES); k--) {
    // A question ("What is 3+4?") states nothing.
    const value = sentences[k].endsWith("?") ? null : statedValue(sentences[k]);
    if (value !== null && (/[\d\\]/.test(value) || /^\**\([A-J]\)\**$/.test(value))) return value;
  }
  return null;
}

/** Sentences, split at a period or `?` followed by a space and at line breaks, never inside inline math (`5!` is a factorial). */
function splitSentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inMath = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") {
      if (text[i + 1] === "(" || text[i + 1] === "[") inMath = true;
      else if (text[i + 1] === ")" || text[i + 1] === "]") inMath = false;
      i++;
    } else if (c === "$") {
      inMath = !inMath;
    } else if (c === "\n" || (!inMath && (c === "." || c === "?") && /\s/.test(text[i + 1] ?? " "))) {
      out.push(text.slice(start, i + (c === "\n" ? 0 : 1)));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((x) => x.trim()).filter((x) => x !== "");
}

const INLINE_MATH = /\$\$([^$]+)\$\$|\$([^$]+)\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;
const TOKEN = /\\[A-Za-z]+|\\.|[A-Za-z]+|\d+(?:[.,]\d+)*|\S/g;

/** Inline math segments joined only by commas, and/or (`$x = -1$ and $x = 5$`) state one answer of several values. */
const MATH_JOINER = /^\s*(?:,|;|,?\s*(?:and|or))?\s*$/;

function statedValue(text: string): string | null {
  const sentence = text.slice(-FINAL_TAIL_CHARS);
  // Math that opens with `$` and never closes states nothing (`$5` is an amount, not math).
  const dollars = [...sentence.matchAll(/(?<!\\)\$/g)];
  if (dollars.length % 2 === 1 && !/^\$\s*\d/.test(sentence.slice(dollars[dollars.length - 1].index))) return null;
  const maths = [...sentence.matchAll(INLINE_MATH)];
  const last = maths.pop();
  if (last !== undefined) {
    const after = sentence.slice(last.index + last[0].length);
    if (after.length <= TRAILING_PROSE_CHARS && !/\d/.test(after)) {
      const values = [last];
      for (let prev = maths.pop(); prev !== undefined; prev = maths.pop()) {
        if (!MATH_JOINER.test(sentence.slice(prev.index + prev[0].length, values[0].index))) break;
        values.unshift(prev);
      }
      return values.map((m) => (m[1] ?? m[2] ?? m[3] ?? m[4]).trim()).join("; ");
    }
  }
  // The longest run of math-like tokens at the end: numbers, operators, single letters, functions, units.
  const body = sentence.replace(/[.?]+$/, "");
  const tokens = [...body.matchAll(TOKEN)];
  let from = tokens.length;
  while (from > 0 && isMathToken(body, tokens[from - 1])) from--;
  if (from === 0) return null;
  while (from < tokens.length && /^(?:and|or|[,;:=])$/.test(tokens[from][0])) from++;
  if (from >= tokens.length) return null;
  return sentence.slice(tokens[from].index, tokens[tokens.length - 1].index + tokens[tokens.length - 1][0].length);
}

/** Math: numbers, operators, commands, one letter, a function, constant, unit or number word, or letters written against math (`2ab`). */
function isMathToken(text: string, match: RegExpExecArray): boolean {
  const token = match[0];
  if (/^[A-Za-z]+$/.test(token)) {
    const w = token.toLowerCase();
    const before = text[match.index - 1] ?? " ";
    const after = text[match.index + token.length] ?? " ";
    const againstMath = token.length <= 4 && (/[^\sA-Za-z]/.test(before) || /[^\sA-Za-z.,;:]/.test(after));
    return token.length === 1 || againstMath || FUNCTIONS.has(w) || CONSTANT_WORDS.has(w) || SEPARATOR_WORDS.has(w) ||
      PERCENT_WORDS.has(w) || isNumberWord(w) || continuesUnitPhrase(token);
  }
  return token.startsWith("\\") || /^\d/.test(token) || /^[-+*/^=<>()[\]{}|!%$.,_']$/.test(token) || UNICODE.has(token);
}

function lastNumber(text: string): string | null {
  const all = text.match(/-?\d[\d,]*(?:\.\d+)?/g);
  return all ? all[all.length - 1].replace(/,/g, "") : null;
}

const WRAPPERS: Array<[string, string]> = [["$$", "$$"], ["$", "$"], ["\\(", "\\)"], ["\\[", "\\]"]];

/** Strips what surrounds an answer: math delimiters, markdown bold, a final period, an outer \boxed. */
export function cleanAnswer(raw: string): string {
  let s = raw.trim();
  for (let changed = true; changed && s !== ""; ) {
    changed = false;
    for (const [open, close] of WRAPPERS) {
      if (s.length >= open.length + close.length && s.startsWith(open) && s.endsWith(close)) {
        s = s.slice(open.length, s.length - close.length).trim();
        changed = true;
      }
    }
    // Markdown bold around or half around the answer (`**73**`, `**Answer:** 73`); never a power at either end.
    if (/^(\*\*|__)|(\*\*|__)$/.test(s)) {
      s = s.replace(/^(\*\*|__)|(\*\*|__)$/g, "").trim();
      changed = true;
    }
    if (/[.,;:]$/.test(s)) {
      s = s.slice(0, -1).trim();
      changed = true;
    }
    if (/^\\(boxed|fbox)\s*\{/.test(s)) {
      const inner = braceGroup(s, s.indexOf("{"));
      if (inner !== null && s.indexOf("{") + inner.length + 2 === s.length) {
        s = inner.trim();
        changed = true;
      }
    }
  }
  return s;
}
