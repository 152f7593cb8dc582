// Which answer a response commits to. A response may state several final
// answers: boxes, `####` lines, "the answer is ..." sentences. Boxes side by
// side (`x = \boxed{2}` or `x = \boxed{3}`) are one answer of several values.
// A later statement overrides the earlier ones only when the text says so in
// between ("wait", "actually", "correction", "final answer", `</think>`);
// otherwise the others stand beside the chosen one as rivals, and a response
// that commits to different answers is hedging (verify.ts). Statements inside
// quoted text or a copy of the prompt are not the response's own.
import type { Budget } from "./budget.js";
import { ANSWER_IS, answerAfter, braceGroup, cleanAnswer, extractAnswer, hashLine, type ExtractStrategy } from "./extract.js";

/** The strategies whose statements a response can make several of. */
type Kind = Extract<ExtractStrategy, "boxed" | "gsm8k" | "answer-is">;

interface Statement {
  kind: Kind;
  start: number;
  end: number;
  answer: string;
}

export interface Commitment {
  /** The chosen answer, as the extraction strategies find it. */
  answer: string;
  strategy: ExtractStrategy;
  /** Every distinct answer the response stands by, in text order, the chosen one included. */
  answers: string[];
  /** The strategy that found each of `answers` (a box is a deliberate commitment; prose may be loose talk). */
  kinds: ExtractStrategy[];
}

/** Words that say a later answer replaces an earlier one. */
const OVERRIDE =
  /<\/think>|\b(?:wait|actually|correct(?:ion|ed|ing|ly)?|mistakes?|errors?|wrong|instead|oops|re-?(?:check|examin|consider|evaluat|calculat|comput|think|do)\w*|revis\w*|on second thought|final (?:answer|result)|in (?:conclusion|summary)|to (?:conclude|summari[sz]e))\b/i;

/** Text between two boxes that makes them one answer: spacing, delimiters, commas, and/or, a variable being assigned. */
const BOX_JOINER = /^(?:\s|\$|\\[()[\]]|[,;&]|\\[,;:! ]|\\q?quad|\\text\{\s*(?:and|or|,)?\s*\}|\b(?:and|or)\b|[A-Za-z](?:_\{?\w+\}?)?\s*=)*$/;

/** A quotation long enough to be a quoted question rather than a quoted answer. */
const LONG_QUOTE = /"[^"\n]{24,}"|\u201c[^\u201d\n]{24,}\u201d/g;
/** A line of the response found verbatim in the prompt is a copy of it (shorter lines are too common to tell). */
const MIN_COPIED_LINE = 12;

export interface CommitOptions {
  /** The prompt, whose copies in the response are not the response's answer. */
  prompt?: string;
  budget?: Budget;
}

/** The last box of a text, with the boxes side by side with it (a reference solution's answer); null when there is none. */
export function lastBoxGroup(text: string): string | null {
  return groupBoxes(text, boxes(text) ?? []).pop()?.answer ?? null;
}

/**
 * The answer the response commits to under the extraction strategies, with
 * every other distinct answer it stands by; null when there is none. A
 * response that ends inside a box it never closes has no answer at all.
 */
export function committedAnswer(text: string, strategies: readonly ExtractStrategy[], options: CommitOptions = {}): Commitment | null {
  options.budget?.tick(1 + text.length / 256 + (options.prompt?.length ?? 0) / 256);
  const own = maskQuoted(text, options.prompt);
  const standing = standingStatements(own);
  if (standing === null) return null;
  for (const strategy of strategies) {
    if (strategy !== "boxed" && strategy !== "gsm8k" && strategy !== "answer-is") {
      const found = extractAnswer(own, [strategy]);
      if (found !== null) return { answer: found.answer, strategy, answers: [found.answer], kinds: [strategy] };
      continue;
    }
    const chosen = standing.filter((s) => s.kind === strategy).pop();
    if (chosen === undefined) continue;
    if (standing.length === 1) return { answer: chosen.answer, strategy, answers: [chosen.answer], kinds: [chosen.kind] };
    const distinct = new Map<string, Kind>();
    for (const s of standing) if (!distinct.has(s.answer)) distinct.set(s.answer, s.kind);
    return { answer: chosen.answer, strategy, answers: [...distinct.keys()], kinds: [...distinct.values()] };
  }
  return null;
}

/**
 * The statements that stand: those after the last one the text marks as a
 * correction. Prose "answer is" statements before the last box are not read
 * (they lead up to it or talk about it). Empty answers are dropped. Null when
 * the text ends inside an unclosed box.
 */
function standingStatements(text: string): Statement[] | null {
  const boxed = boxes(text);
  if (boxed === null) return null;
  const afterBoxes = boxed.length === 0 ? 0 : boxed[boxed.length - 1].end;
  const all = [...groupBoxes(text, boxed), ...hashLines(text), ...answerIsStatements(text, afterBoxes)].filter((s) => s.answer !== "");
  if (all.length < 2) return all;
  all.sort((a, b) => a.start - b.start);
  let from = 0;
  for (let k = 1; k < all.length; k++) {
    if (OVERRIDE.test(text.slice(all[k - 1].end, all[k].start))) from = k;
  }
  return all.slice(from);
}

/**
 * Every \boxed / \fbox, outermost only, brace-matched; null when one is never
 * closed. Outermost boxes are disjoint, so matching each forward from its own
 * brace reads the text once.
 */
function boxes(text: string): Statement[] | null {
  const starts: Array<{ at: number; open: number }> = [];
  for (const name of ["\\boxed", "\\fbox"]) {
    for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
      let open = at + name.length;
      if (text[open] !== "{" && text[open] !== " ") continue;
      while (text[open] === " ") open++;
      starts.push({ at, open });
    }
  }
  if (starts.length > 1) starts.sort((a, b) => a.at - b.at);
  const out: Statement[] = [];
  for (const { at, open } of starts) {
    if (out.length > 0 && at < out[out.length - 1].end) continue;
    if (text[open] !== "{") {
      // `\boxed 5`: one token, up to whitespace or a math delimiter.
      const token = /^[^\s$]+/.exec(text.slice(open, open + 100));
      if (token) out.push({ kind: "boxed", start: at, end: open + token[0].length, answer: cleanAnswer(token[0]) });
      continue;
    }
    const inner = braceGroup(text, open);
    // An unclosed box runs to the end of the text: the response never finished its boxed answer.
    if (inner === null) return null;
    out.push({ kind: "boxed", start: at, end: open + inner.length + 2, answer: cleanAnswer(inner) });
  }
  return out;
}

/** Boxes joined only by spacing, commas, and/or or `x =` are one answer of several values (in order, repeats dropped). */
function groupBoxes(text: string, all: Statement[]): Statement[] {
  if (all.length < 2) return all;
  const groups: Array<{ box: Statement; values: Set<string> }> = [];
  for (const box of all) {
    const last = groups[groups.length - 1];
    if (last !== undefined && BOX_JOINER.test(text.slice(last.box.end, box.start))) {
      last.values.add(box.answer);
      last.box.end = box.end;
    } else groups.push({ box: { ...box }, values: new Set([box.answer]) });
  }
  return groups.map(({ box, values }) => ({ ...box, answer: [...values].join("; ") }));
}

function hashLines(text: string): Statement[] {
  const out: Statement[] = [];
  for (let at = text.indexOf("####"); at >= 0; at = text.indexOf("####", at + 4)) {
    const { answer, end } = hashLine(text, at);
    out.push({ kind: "gsm8k", start: at, end, answer: cleanAnswer(answer) });
  }
  return out;
}

/** Words that lead from one "answer is" into the next ("4 and the", "The final"): not part of an answer. */
const LEAD_IN = /(?:\s*\b(?:and|or|so|thus|hence|then|but|the|a|my|our|final|correct|true|real)\b|\s*[,;:.])+\s*$/i;

/**
 * "The answer is ..." statements. One that holds a box is that box's
 * statement, not another. One ends where the next "answer is" begins, less
 * the words that lead into it: "Answer: The final answer is 5" is one
 * statement, "the answer is 4 and the answer is 5" two.
 */
function answerIsStatements(text: string, from: number): Statement[] {
  const pattern = new RegExp(ANSWER_IS);
  pattern.lastIndex = from;
  const matches = [...text.matchAll(pattern)];
  const out: Statement[] = [];
  matches.forEach((m, k) => {
    const start = m.index + m[0].length;
    const next = matches[k + 1]?.index;
    const found = answerAfter(text, start, next);
    if (found === null) return;
    const answer = found.end === next ? found.answer.replace(LEAD_IN, "") : found.answer;
    if (found.boxed || answer.trim() === "") return;
    out.push({ kind: "answer-is", start: m.index, end: found.end, answer: cleanAnswer(answer) });
  });
  return out;
}

/**
 * The response with what is not its own answer blanked out (same length, so
 * positions hold): thinking that never reached `</think>`, long quotations,
 * and lines (or the whole prompt) copied from the prompt.
 */
function maskQuoted(text: string, prompt: string | undefined): string {
  const blank = (m: string) => m.replace(/[^\n]/g, " ");
  const thinking = text.includes("<think>") ? text.lastIndexOf("<think>") : -1;
  let out = thinking >= 0 && text.indexOf("</think>", thinking) < 0 ? text.slice(0, thinking) + blank(text.slice(thinking)) : text;
  if (out.includes('"') || out.includes("\u201c")) out = out.replace(LONG_QUOTE, blank);
  const copied = prompt?.trim() ?? "";
  if (copied.length < MIN_COPIED_LINE) return out;
  if (out.includes(copied)) out = out.split(copied).join(blank(copied));
  return out.replace(/[^\n]+/g, (line) => (line.trim().length >= MIN_COPIED_LINE && copied.includes(line.trim()) ? blank(line) : line));
}
