// The expression tree that parsed answers become, and its canonical printout.
import type { Rational } from "./rational.js";
import type { Unit } from "./units.js";

/** A comparison operator in a relation such as `x <= 3` (`\le`, `\neq` and the like are read into these). */
export type RelOp = "=" | "<" | "<=" | ">" | ">=" | "!=";

/** The functions an answer may apply; `root` is an n-th root, `log` takes an optional base as its second argument. */
export type FnName =
  | "sqrt" | "root" | "abs" | "floor" | "ceil" | "exp" | "ln" | "log" | "binom" | "max" | "min" | "gcd" | "lcm"
  | "sin" | "cos" | "tan" | "cot" | "sec" | "csc" | "arcsin" | "arccos" | "arctan"
  | "sinh" | "cosh" | "tanh";

/**
 * A parsed answer: a tree of nodes told apart by `k`. The verifier compares
 * the gold answer's tree with the response's; formatExpr prints one.
 */
export type Expr =
  /** An exact number (2\frac{1}{2} is a mixed number only after a literal). */
  | {
      /** Node kind: a number. */
      k: "num";
      /** The exact value. */
      value: Rational;
      /** Written as digits in the answer; false for a number the parser supplies itself. */
      literal: boolean;
      /** Digits after the decimal point of a plain decimal (0.333 has 3); absent otherwise. */
      decimals?: number;
    }
  /** Digits in an explicit base, e.g. 1011_2, compared digit by digit. */
  | {
      /** Node kind: digits in a base. */
      k: "based";
      /** The digits as written (1011 in 1011_2). */
      digits: string;
      /** The base in decimal digits (2 in 1011_2). */
      base: string;
    }
  | {
      /** Node kind: a named constant. */
      k: "const";
      /** π, Euler's e, or infinity. */
      name: "pi" | "e" | "inf";
    }
  | {
      /** Node kind: a variable. */
      k: "sym";
      /** Its name, with any subscript joined by `_` (x_1). */
      name: string;
    }
  | {
      /** Node kind: a sum. */
      k: "add";
      /** The summands; a subtraction is a `neg` term. */
      terms: Expr[];
    }
  | {
      /** Node kind: a product. */
      k: "mul";
      /** The factors, in the order written. */
      factors: Expr[];
    }
  | {
      /** Node kind: negation. */
      k: "neg";
      /** The negated expression. */
      x: Expr;
    }
  | {
      /** Node kind: a quotient. */
      k: "div";
      /** The numerator. */
      num: Expr;
      /** The denominator. */
      den: Expr;
      /** A \frac of two integer literals, so it may be the fraction part of a mixed number. */
      literalFraction: boolean;
    }
  | {
      /** Node kind: a power. */
      k: "pow";
      /** The base. */
      base: Expr;
      /** The exponent. */
      exp: Expr;
    }
  | {
      /** Node kind: a function call. */
      k: "fn";
      /** The function. */
      name: FnName;
      /** Its arguments in order (for `root`, the radicand then the index). */
      args: Expr[];
    }
  | {
      /** Node kind: a factorial. */
      k: "fact";
      /** The expression before the `!`. */
      x: Expr;
    }
  /** A value with a unit of measure (`10 \text{ cm}`). */
  | {
      /** Node kind: a quantity with a unit. */
      k: "quantity";
      /** The magnitude. */
      x: Expr;
      /** The unit, reduced to dimensions and a factor to SI. */
      unit: Unit;
      /** The unit as written, for printing. */
      text: string;
    }
  /** x% : x/100 or x itself, see equivalence.ts. */
  | {
      /** Node kind: a percentage. */
      k: "percent";
      /** The number before the `%`. */
      x: Expr;
    }
  /** a \pm b (a absent for a leading \pm): the two answers a+b and a-b. */
  | {
      /** Node kind: plus-or-minus. */
      k: "pm";
      /** The centre, or null for a leading \pm. */
      a: Expr | null;
      /** The amount added and subtracted. */
      b: Expr;
    }
  /** Words, lower-cased (e.g. \text{Monday}, "even"). */
  | {
      /** Node kind: words. */
      k: "text";
      /** The words, lower-cased. */
      s: string;
    }
  | {
      /** Node kind: a chain of relations (a < b <= c). */
      k: "rel";
      /** The operators between neighbouring sides; one fewer than the sides. */
      ops: RelOp[];
      /** The related expressions, left to right. */
      sides: Expr[];
    }
  /** A bracketed comma list: a tuple (1,2), an interval [1,2), a vector \langle 1,2 \rangle. */
  | {
      /** Node kind: a bracketed list. */
      k: "bracket";
      /** The opening bracket. */
      open: "(" | "[";
      /** The closing bracket. */
      close: ")" | "]";
      /** The entries between them. */
      items: Expr[];
    }
  | {
      /** Node kind: a set in braces. */
      k: "set";
      /** Its elements as written (empty for \emptyset). */
      items: Expr[];
    }
  | {
      /** Node kind: a union of sets or intervals. */
      k: "union";
      /** The united parts. */
      parts: Expr[];
    }
  /** Several answers separated by commas, `and`, `or`. */
  | {
      /** Node kind: several answers. */
      k: "list";
      /** The answers, in the order written. */
      items: Expr[];
    }
  | {
      /** Node kind: a matrix. */
      k: "matrix";
      /** The cells, row by row; every row the same length. */
      rows: Expr[][];
    }
  /** x \in S */
  | {
      /** Node kind: membership (x \in S). */
      k: "in";
      /** The element. */
      x: Expr;
      /** The set or interval it belongs to. */
      set: Expr;
    };

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

/** The names of the variables in the tree (`out`, when given, is added to and returned). */
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
