// Answer extraction: which part of a response is the answer. Strategies are
// tried in the order given; the first that finds something wins.

export type ExtractStrategy =
  /** The last \boxed{...} or \fbox{...} (brace-matched), or `\boxed 5`. */
  | "boxed"
  /** The rest of the line after the last `####`. */
  | "gsm8k"
  /** After the last "answer is" / "answer:" (inline math or up to the end of the sentence). */
  | "answer-is"
  /** The last number in the text (lenient; what the paper's stage 1 used, not a default). */
  | "last-number"
  /** The whole text, when it is short enough to be an answer (a bare answer, not a derivation). */
  | "whole";

export const EXTRACT_STRATEGIES: readonly ExtractStrategy[] = ["boxed", "gsm8k", "answer-is", "last-number", "whole"];
/** For answers of unknown format (the CLI, conformance cases): box, ####, "answer is", else the whole short text. */
export const AUTO_EXTRACT: readonly ExtractStrategy[] = ["boxed", "gsm8k", "answer-is", "whole"];

const WHOLE_MAX_CHARS = 300;

export interface Extracted {
  answer: string;
  strategy: ExtractStrategy;
}

const extractors: Record<ExtractStrategy, (text: string) => string | null> = {
  boxed: lastBoxed,
  gsm8k: afterLastHashes,
  "answer-is": afterAnswerIs,
  "last-number": lastNumber,
  whole: (text) => (text.length <= WHOLE_MAX_CHARS ? text : null),
};

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
  if (at < 0) return null;
  const end = text.indexOf("\n", at);
  return text.slice(at + 4, end < 0 ? text.length : end);
}

const ANSWER_IS = /\banswer\s*(?:is\s*[:=]?|[:=])\s*/gi;

function afterAnswerIs(text: string): string | null {
  let start = -1;
  for (const m of text.matchAll(ANSWER_IS)) start = m.index + m[0].length;
  if (start < 0) return null;
  const lineEnd = text.indexOf("\n", start);
  const rest = text.slice(start, lineEnd < 0 ? text.length : lineEnd).trim();
  const boxed = lastBoxed(rest);
  if (boxed !== null) return boxed;
  const math = /^(\$\$?|\\\(|\\\[)/.exec(rest);
  if (math) {
    const close = { $: "$", $$: "$$", "\\(": "\\)", "\\[": "\\]" }[math[1]]!;
    const end = rest.indexOf(close, math[1].length);
    return end < 0 ? null : rest.slice(math[1].length, end);
  }
  // Up to the end of the sentence: a period followed by a space or the end (not a decimal point).
  const sentence = /\.(\s|$)/.exec(rest);
  return sentence ? rest.slice(0, sentence.index) : rest;
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
