// The strict checks the A*-PO paper's evaluation used (arXiv 2505.20686),
// offered so that its numbers can be reproduced:
// Hendrycks MATH string normalisation then equality, and GSM8K's first
// `#### <number>` compared exactly.
import { braceGroup } from "./extract.js";
import { Rational } from "./rational.js";

/** Hendrycks' normal form of a MATH answer: cheap, and blind to any real equivalence. */
export function hendrycksNormalize(answer: string): string {
  let s = answer.replace(/\n/g, "").replace(/\\!/g, "").replace(/\\\\/g, "\\");
  s = s.replace(/\\[td]frac/g, "\\frac").replace(/\\left|\\right/g, "");
  s = s.replace(/\^\{\\circ\}|\^\\circ/g, "").replace(/\\\$/g, "");
  const units = s.indexOf("\\text{ ");
  if (units >= 0) s = s.slice(0, units);
  s = s.replace(/\\%/g, "");
  s = s.replace(/ \./g, " 0.").replace(/\{\./g, "{0.");
  if (s === "") return s;
  if (s.startsWith(".")) s = "0" + s;
  const sides = s.split("=");
  if (sides.length === 2 && sides[0].length <= 2) s = sides[1];
  s = braceSingleArguments(s, "\\sqrt", 1).replace(/ /g, "");
  s = braceSingleArguments(s, "\\frac", 2);
  if (s === "0.5") s = "\\frac{1}{2}";
  const slash = /^(\d+)\/(\d+)$/.exec(s);
  if (slash) s = `\\frac{${slash[1]}}{${slash[2]}}`;
  return s;
}

/** `\sqrt3` -> `\sqrt{3}`, `\frac12` -> `\frac{1}{2}`: single-character arguments get braces. */
function braceSingleArguments(s: string, command: string, count: number): string {
  let out = "";
  let i = 0;
  for (let at = s.indexOf(command, i); at >= 0; at = s.indexOf(command, i)) {
    out += s.slice(i, at + command.length);
    i = at + command.length;
    for (let k = 0; k < count && i < s.length; k++) {
      if (s[i] === "{") {
        const inner = braceGroup(s, i);
        if (inner === null) break;
        out += `{${inner}}`;
        i += inner.length + 2;
      } else {
        out += `{${s[i]}}`;
        i++;
      }
    }
  }
  return out + s.slice(i);
}

export function hendrycksEqual(gold: string, pred: string): boolean {
  return hendrycksNormalize(gold) === hendrycksNormalize(pred);
}

/** The number of the first `#### <number>` with `,` and `$` removed, or null. */
export function gsm8kFirstNumber(text: string): string | null {
  const m = /####\s*([-$\d.,]+)/.exec(text);
  if (!m) return null;
  const number = m[1].replace(/[,$]/g, "").replace(/\.$/, "");
  return /^-?(\d+\.?\d*|\.\d+)$/.test(number) ? number : null;
}

function decimal(number: string): Rational {
  const negative = number.startsWith("-");
  const [intPart, fracPart = ""] = number.replace(/^-/, "").split(".");
  const value = Rational.fromDecimal(intPart, fracPart);
  return negative ? value.neg() : value;
}

/** GSM8K's check: the numbers are equal exactly (18 = 18.0, 18 != 18.5). */
export function gsm8kNumbersEqual(gold: string, pred: string): boolean {
  return decimal(gold).equals(decimal(pred));
}

/** The gold number of a GSM8K reference: after `####` when present, commas removed. */
export function gsm8kGoldNumber(reference: string): string | null {
  return reference.includes("####") ? gsm8kFirstNumber(reference) : gsm8kFirstNumber(`####${reference.trim()}`);
}
