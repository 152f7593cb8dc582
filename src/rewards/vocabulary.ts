// The names the parser knows: LaTeX commands, plain-text function names,
// relation symbols, units, and the unicode characters answers use.
import type { FnName, RelOp } from "./expr.js";

/** Functions by LaTeX command or plain-text name (\sin, sin, \operatorname{lcm}). */
export const FUNCTIONS: ReadonlyMap<string, FnName> = new Map<string, FnName>([
  ["sin", "sin"], ["cos", "cos"], ["tan", "tan"], ["cot", "cot"], ["sec", "sec"], ["csc", "csc"],
  ["arcsin", "arcsin"], ["arccos", "arccos"], ["arctan", "arctan"], ["asin", "arcsin"], ["acos", "arccos"], ["atan", "arctan"],
  ["sinh", "sinh"], ["cosh", "cosh"], ["tanh", "tanh"],
  ["exp", "exp"], ["ln", "ln"], ["log", "log"], ["lg", "log"], ["sqrt", "sqrt"], ["abs", "abs"],
  ["max", "max"], ["min", "min"], ["gcd", "gcd"], ["lcm", "lcm"], ["floor", "floor"], ["ceil", "ceil"],
]);

/** \sin^{-1} x is arcsin x. */
export const INVERSE: Partial<Record<FnName, FnName>> = { sin: "arcsin", cos: "arccos", tan: "arctan" };

/** \lg is the base-10 logarithm; the default base of \log and log is e. */
export const LOG_BASE_10 = new Set(["lg"]);

export const GREEK = new Set([
  "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota", "kappa",
  "lambda", "mu", "nu", "xi", "rho", "varrho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
  "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
]);

export const RELATIONS: ReadonlyMap<string, RelOp> = new Map<string, RelOp>([
  ["=", "="], ["==", "="], ["<", "<"], [">", ">"], ["<=", "<="], [">=", ">="], ["!=", "!="],
  ["\\le", "<="], ["\\leq", "<="], ["\\leqslant", "<="], ["\\ge", ">="], ["\\geq", ">="], ["\\geqslant", ">="],
  ["\\lt", "<"], ["\\gt", ">"], ["\\ne", "!="], ["\\neq", "!="],
]);

export const FLIPPED: Record<RelOp, RelOp> = { "=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<=" };

/** Commands that only change spacing or size: skipped like whitespace. */
export const SPACING = new Set([
  ",", ";", ":", "!", " ", "quad", "qquad", "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
  "biggl", "biggr", "Biggl", "Biggr", "displaystyle", "textstyle", "scriptstyle", "limits", "middle",
]);

/** Wrappers whose argument is words, not math. */
export const TEXT_COMMANDS = new Set(["text", "textrm", "textnormal", "mbox", "textbf", "textit", "textsf", "texttt", "mathrm", "operatorname", "hbox"]);

/** Wrappers that only change the font of math. */
export const FONT_COMMANDS = new Set(["mathbf", "boldsymbol", "mathit", "mathsf", "mathcal", "bm", "boxed", "fbox", "mathnormal"]);

export const FRACTIONS = new Set(["frac", "dfrac", "tfrac", "cfrac"]);
export const BINOMIALS = new Set(["binom", "dbinom", "tbinom"]);
export const MATRIX_ENVIRONMENTS = new Set(["pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "matrix", "smallmatrix", "array"]);

/** Words after a value that make it a percentage (`28 percent` is `28\%`). */
export const PERCENT_WORDS = new Set(["percent", "pct", "percentage"]);

/** Words that separate several answers. */
export const SEPARATOR_WORDS = new Set(["and", "or"]);

/** Plain-text names of constants. */
export const CONSTANT_WORDS: ReadonlyMap<string, "pi" | "inf"> = new Map([
  ["pi", "pi"], ["inf", "inf"], ["infty", "inf"], ["infinity", "inf"], ["oo", "inf"],
]);

/** Unicode math characters, rewritten to the ASCII/LaTeX the parser reads. */
export const UNICODE: ReadonlyMap<string, string> = new Map([
  ["\u2212", "-"], ["\u2013", "-"], ["\u00d7", "\\times "], ["\u00b7", "\\cdot "], ["\u22c5", "\\cdot "], ["\u2219", "\\cdot "],
  ["\u00f7", "\\div "], ["\u03c0", "\\pi "], ["\u221e", "\\infty "], ["\u221a", "\\sqrt "], ["\u2264", "\\le "],
  ["\u2265", "\\ge "], ["\u2260", "\\ne "], ["\u00b1", "\\pm "], ["\u2213", "\\mp "], ["\u222a", "\\cup "],
  ["\u2208", "\\in "], ["\u00b0", "^\\circ "], ["\u00b2", "^2"], ["\u00b3", "^3"], ["\u00b9", "^1"], ["\u2205", "\\emptyset "],
  // Vulgar fractions as \frac of literals, so that 3½ is the mixed number 7/2.
  ["\u00bd", "\\frac{1}{2}"], ["\u00bc", "\\frac{1}{4}"], ["\u00be", "\\frac{3}{4}"], ["\u2153", "\\frac{1}{3}"], ["\u2154", "\\frac{2}{3}"],
  // Currencies other than the dollar (\$, a unit) are not judged.
  ["\u20ac", " "], ["\u00a3", " "], ["\u00a5", " "],
  ["\u03b1", "\\alpha "], ["\u03b2", "\\beta "], ["\u03b8", "\\theta "], ["\u03bb", "\\lambda "], ["\u03bc", "\\mu "],
  ["\u2009", " "], ["\u00a0", " "], ["\u202f", " "], ["\u27e8", "\\langle "], ["\u27e9", "\\rangle "],
]);

/** Numbers in words, for the small numbers people write out (`twelve`, `two thirds`, `one hundred twenty`). */
const UNITS_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
  "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
const TENS_WORDS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const DENOMINATOR_WORDS = new Map([
  ["half", 2], ["halves", 2], ["third", 3], ["thirds", 3], ["quarter", 4], ["quarters", 4], ["fourth", 4], ["fourths", 4],
  ["fifth", 5], ["fifths", 5], ["sixth", 6], ["sixths", 6], ["seventh", 7], ["sevenths", 7], ["eighth", 8], ["eighths", 8],
  ["ninth", 9], ["ninths", 9], ["tenth", 10], ["tenths", 10],
]);

export const isNumberWord = (word: string): boolean =>
  UNITS_WORDS.includes(word) || (word !== "" && TENS_WORDS.includes(word)) || word === "negative";

/**
 * The value of the number words that start `words` (lower-cased, one word
 * each): perhaps `negative`, a cardinal below 1000 (`twenty five`, `two
 * hundred`), then perhaps a denominator (`two thirds`). Returns [numerator,
 * denominator, words used], or null when the words do not start with a number.
 */
export function numberWordsValue(words: readonly string[]): [number, number, number] | null {
  const negative = words[0] === "negative";
  let used = negative ? 1 : 0;
  const below100 = (): number | null => {
    const w = words[used];
    const unit = UNITS_WORDS.indexOf(w);
    if (unit >= 0) {
      used++;
      return unit;
    }
    const tens = TENS_WORDS.indexOf(w);
    if (tens < 2) return null;
    used++;
    const next = UNITS_WORDS.indexOf(words[used]);
    if (next >= 1 && next <= 9) {
      used++;
      return tens * 10 + next;
    }
    return tens * 10;
  };
  let value = below100();
  if (value === null) return null;
  if (words[used] === "hundred" && value >= 1 && value <= 9) {
    used++;
    const rest = below100();
    value = value * 100 + (rest ?? 0);
  }
  const sign = negative ? -1 : 1;
  const denominator = DENOMINATOR_WORDS.get(words[used] ?? "");
  if (denominator !== undefined && value >= 1) return [sign * value, denominator, used + 1];
  return [sign * value, 1, used];
}
