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
  "biggl", "biggr", "Biggl", "Biggr", "displaystyle", "textstyle", "scriptstyle", "limits", "$", "middle",
]);

/** Wrappers whose argument is words, not math. */
export const TEXT_COMMANDS = new Set(["text", "textrm", "textnormal", "mbox", "textbf", "textit", "textsf", "texttt", "mathrm", "operatorname", "hbox"]);

/** Wrappers that only change the font of math. */
export const FONT_COMMANDS = new Set(["mathbf", "boldsymbol", "mathit", "mathsf", "mathcal", "bm", "boxed", "fbox", "mathnormal"]);

export const FRACTIONS = new Set(["frac", "dfrac", "tfrac", "cfrac"]);
export const BINOMIALS = new Set(["binom", "dbinom", "tbinom"]);
export const MATRIX_ENVIRONMENTS = new Set(["pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "matrix", "smallmatrix", "array"]);

/**
 * Units dropped after a number (`10 cm`, `5 \text{ dollars}`); single letters
 * are not here because `5m` is more often a product than five metres.
 */
export const UNITS = new Set([
  "cm", "mm", "km", "kg", "mg", "ml", "ft", "yd", "mi", "lb", "lbs", "oz", "hr", "hrs", "mph", "kmh",
  "inch", "inches", "foot", "feet", "yard", "yards", "mile", "miles", "meter", "meters", "metre", "metres",
  "centimeter", "centimeters", "millimeter", "millimeters", "kilometer", "kilometers", "gram", "grams",
  "kilogram", "kilograms", "pound", "pounds", "ounce", "ounces", "liter", "liters", "litre", "litres",
  "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month", "months",
  "year", "years", "dollar", "dollars", "cent", "cents", "euro", "euros", "unit", "units", "square", "sq", "cubic",
  "degree", "degrees", "radian", "radians", "percent", "people", "students", "times", "ways", "points", "items",
]);

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
  ["\u00bd", "(1/2)"], ["\u00bc", "(1/4)"], ["\u00be", "(3/4)"], ["\u2153", "(1/3)"], ["\u2154", "(2/3)"],
  ["\u03b1", "\\alpha "], ["\u03b2", "\\beta "], ["\u03b8", "\\theta "], ["\u03bb", "\\lambda "], ["\u03bc", "\\mu "],
  ["\u2009", " "], ["\u00a0", " "], ["\u202f", " "], ["\u27e8", "\\langle "], ["\u27e9", "\\rangle "],
]);
