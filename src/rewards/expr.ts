// The expression tree that parsed answers become, and its canonical printout.
import type { Rational } from "./rational.js";
import type { Unit } from "./units.js";

export type RelOp = "=" | "<" | "<=" | ">" | ">=" | "!=";

export type FnName =
  | "sqrt" | "root" | "abs" | "floor" | "ceil" | "exp" | "ln" | "log" | "binom" | "max" | "min" | "gcd" | "lcm"
  | "sin" | "cos" | "tan" | "cot" | "sec" | "csc" | "arcsin" | "arccos" | "arctan"
  | "sinh" | "cosh" | "tanh";

export type Expr =
  /**
   * An exact number; `literal` when written as digits (2\frac{1}{2} is a mixed
   * number only after a literal); `decimals`, the digits written after a
   * decimal point (0.333 has 3), for a plain decimal.
   */
  | { k: "num"; value: Rational; literal: boolean; decimals?: number }
  /** Digits in an explicit base, e.g. 1011_2, compared digit by digit. */
  | { k: "based"; digits: string; base: string }
  | { k: "const"; name: "pi" | "e" | "inf" }
  | { k: "sym"; name: string }
  | { k: "add"; terms: Expr[] }
  | { k: "mul"; factors: Expr[] }
  | { k: "neg"; x: Expr }
  /** `literalFraction`: \frac of two integer literals, the fraction part of a mixed number. */
  | { k: "div"; num: Expr; den: Expr; literalFraction: boolean }
  | { k: "pow"; base: Expr; exp: Expr }
  | { k: "fn"; name: FnName; args: Expr[] }
  | { k: "fact"; x: Expr }
  /** A value with a unit of measure (`10 \text{ cm}`); `text` is the unit as written. */
  | { k: "quantity"; x: Expr; unit: Unit; text: string }
  /** x% : x/100 or x itself, see equivalence.ts. */
  | { k: "percent"; x: Expr }
  /** a \pm b (a absent for a leading \pm): the two answers a+b and a-b. */
  | { k: "pm"; a: Expr | null; b: Expr }
  /** Words, lower-cased (e.g. \text{Monday}, "even"). */
  | { k: "text"; s: string }
  | { k: "rel"; ops: RelOp[]; sides: Expr[] }
  /** A bracketed comma list: a tuple (1,2), an interval [1,2), a vector \langle 1,2 \rangle. */
  | { k: "bracket"; open: "(" | "["; close: ")" | "]"; items: Expr[] }
  | { k: "set"; items: Expr[] }
  | { k: "union"; parts: Expr[] }
  /** Several answers separated by commas, `and`, `or`. */
  | { k: "list"; items: Expr[] }
  | { k: "matrix"; rows: Expr[][] }
  /** x \in S */
  | { k: "in"; x: Expr; set: Expr };

/** The direct subexpressions, in order (a matrix's cells row by row). */
export function children(e: Expr): Expr[] {
  switch (e.k) {
    case "add": return e.terms;
    case "mul": return e.factors;
    case "neg": case "fact": case "percent": case "quantity": return [e.x];
    case "div": return [e.num, e.den];
    case "pow": return [e.base, e.exp];
    case "fn": return e.args;
    case "pm": return e.a ? [e.a, e.b] : [e.b];
    case "rel": return e.sides;
    case "bracket": case "set": case "list": return e.items;
    case "union": return e.parts;
    case "matrix": return e.rows.flat();
    case "in": return [e.x, e.set];
    default: return [];
  }
}

/** The same node with new subexpressions, given in the order children() lists them. */
export function withChildren(e: Expr, c: Expr[]): Expr {
  switch (e.k) {
    case "add": return { k: "add", terms: c };
    case "mul": return { k: "mul", factors: c };
    case "neg": case "fact": case "percent": return { k: e.k, x: c[0] };
    case "quantity": return { ...e, x: c[0] };
    case "div": return { ...e, num: c[0], den: c[1] };
    case "pow": return { k: "pow", base: c[0], exp: c[1] };
    case "fn": return { ...e, args: c };
    case "pm": return e.a ? { k: "pm", a: c[0], b: c[1] } : { k: "pm", a: null, b: c[0] };
    case "rel": return { ...e, sides: c };
    case "bracket": return { ...e, items: c };
    case "set": case "list": return { k: e.k, items: c };
    case "union": return { k: "union", parts: c };
    case "matrix": {
      const width = e.rows[0].length;
      return { k: "matrix", rows: e.rows.map((_, r) => c.slice(r * width, (r + 1) * width)) };
    }
    case "in": return { k: "in", x: c[0], set: c[1] };
    default: return e;
  }
}

export function freeSymbols(e: Expr, out: Set<string> = new Set()): Set<string> {
  if (e.k === "sym") out.add(e.name);
  else for (const c of children(e)) freeSymbols(c, out);
  return out;
}

/** True when the tree contains a node of kind k. */
export function contains(e: Expr, k: Expr["k"]): boolean {
  return e.k === k || children(e).some((c) => contains(c, k));
}

const opText: Record<RelOp, string> = { "=": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "!=": "!=" };

/** Plain-text form with full parentheses where precedence needs them (for logs and the CLI). */
export function formatExpr(e: Expr): string {
  switch (e.k) {
    case "num": return e.value.toString();
    case "based": return `${e.digits}_${e.base}`;
    case "const": return e.name === "inf" ? "oo" : e.name;
    case "sym": return e.name;
    case "text": return JSON.stringify(e.s);
    case "add":
      return e.terms.map((t, i) => (i > 0 && t.k === "neg" ? `- ${wrap(t.x, 2)}` : (i > 0 ? "+ " : "") + wrap(t, 1))).join(" ");
    case "mul": return e.factors.map((f) => wrap(f, 2)).join("*");
    case "neg": return `-${wrap(e.x, 2)}`;
    case "div": return `${wrap(e.num, 2)}/${wrap(e.den, 3)}`;
    case "pow": return `${wrap(e.base, 4)}^${wrap(e.exp, 4)}`;
    case "fn": return `${e.name}(${e.args.map(formatExpr).join(", ")})`;
    case "fact": return `${wrap(e.x, 4)}!`;
    case "percent": return `${wrap(e.x, 4)}%`;
    case "quantity": return `${wrap(e.x, 2)} [${e.text}]`;
    case "pm": return `${e.a ? formatExpr(e.a) + " " : ""}+- ${wrap(e.b, 2)}`;
    case "rel": return e.sides.map((s, i) => (i > 0 ? ` ${opText[e.ops[i - 1]]} ` : "") + formatExpr(s)).join("");
    case "bracket": return `${e.open}${e.items.map(formatExpr).join(", ")}${e.close}`;
    case "set": return `{${e.items.map(formatExpr).join(", ")}}`;
    case "union": return e.parts.map(formatExpr).join(" U ");
    case "list": return e.items.map(formatExpr).join("; ");
    case "matrix": return `[${e.rows.map((r) => `[${r.map(formatExpr).join(", ")}]`).join(", ")}]`;
    case "in": return `${formatExpr(e.x)} in ${formatExpr(e.set)}`;
  }
}

function precedence(e: Expr): number {
  switch (e.k) {
    case "add": case "pm": case "rel": case "union": case "list": case "in": return 1;
    case "mul": case "div": case "neg": return 2;
    case "pow": return 3;
    case "num": return e.value.isInteger && e.value.sign >= 0 ? 5 : 2;
    default: return 5;
  }
}

function wrap(e: Expr, minPrecedence: number): string {
  const s = formatExpr(e);
  return precedence(e) >= minPrecedence ? s : `(${s})`;
}
