// Equivalence of a parsed gold answer and a parsed prediction. The order of
// the checks encodes the deliberate asymmetries (docs/rewards.md): a gold
// assignment `x = 5` accepts `5`, a gold number accepts a prediction chain
// `a + b = ... = 5`; not the reverse.
import {
  exactValue, FloatEvaluator, isReliable, PointSampler, POINT_SEED, POINTS_NEEDED, POINTS_TRIED, randomSource, type EvalMode,
} from "./evaluate.js";
import { children, contains, freeSymbols, withChildren, type Expr } from "./expr.js";
import { BudgetExceeded } from "./budget.js";
import { DIFFERENT, matched, undecided, type CompareContext, type Comparator, type Judgement } from "./judgement.js";
import { Rational } from "./rational.js";
import { chainEnds, compareRelations, inequalityPieces, isAssignment } from "./relations.js";
import { compareMatrices, compareOrdered, comparePieces, compareUnordered, intervalPieces, isInterval, type Piece } from "./structures.js";

const MAX_PLUS_MINUS_VARIANTS = 16;

export function compareAnswers(gold: Expr, pred: Expr, ctx: CompareContext): Judgement {
  const endpoint = (e: Expr): number | null => endpointValue(e, ctx);
  const pieces = (g: readonly Piece[], p: readonly Piece[]) => comparePieces(g, p, compare, endpoint);
  const compare = (g: Expr, p: Expr): Judgement => {
    ctx.budget.tick();
    if (g.k === "in") g = g.set;
    if (p.k === "in") p = p.set;
    if (g.k === "quantity" || p.k === "quantity") return compareQuantities(g, p, compare);
    g = asAnswerList(g);
    p = asAnswerList(p);

    // A solved inequality in one variable and the interval it describes are the same answer, either way round.
    const goldPieces = inequalityPieces(g);
    const predPieces = goldPieces && intervalPieces(p);
    if (goldPieces && predPieces) return pieces(goldPieces, predPieces);
    if (isInterval(g)) {
      const predInequality = inequalityPieces(p);
      if (predInequality) return pieces(intervalPieces(g)!, predInequality);
    }

    // A gold point (1, 2) accepts the bare list 1, 2 in the same order.
    if (g.k === "bracket" && g.open === "(" && g.close === ")" && p.k === "list") return compareOrdered(g.items, p.items, compare);
    if (g.k === "list" || g.k === "set" || p.k === "list" || p.k === "set") {
      return compareUnordered(answersOf(g), answersOf(p), compare);
    }

    if (g.k === "rel") {
      if (p.k === "rel") {
        const ends = g.ops.length === 1 && g.ops[0] === "=" ? chainEnds(p) : p;
        return ends === null ? DIFFERENT : compareRelations(g, ends, ctx, compare);
      }
      return isAssignment(g) ? compare(g.sides[1], p) : DIFFERENT;
    }
    if (p.k === "rel") {
      const ends = chainEnds(p);
      return ends !== null && ends.ops.length === 1 && ends.ops[0] === "=" ? compare(g, ends.sides[1]) : DIFFERENT;
    }

    if (g.k === "matrix" || p.k === "matrix") return compareMatrices(g, p, compare);
    if (g.k === "bracket" && p.k === "bracket" && g.open === p.open && g.close === p.close) {
      return compareOrdered(g.items, p.items, compare);
    }
    if (g.k === "bracket" || p.k === "bracket" || g.k === "union" || p.k === "union") {
      const gp = intervalPieces(g);
      const pp = intervalPieces(p);
      if (gp && pp) return pieces(gp, pp);
      return g.k === "union" && p.k === "union" ? compareUnordered(g.parts, p.parts, compare) : DIFFERENT;
    }

    if (g.k === "text" || p.k === "text") return g.k === "text" && p.k === "text" && g.s === p.s ? matched("text") : DIFFERENT;
    if (g.k === "based" || p.k === "based") return compareBased(g, p);
    return compareScalars(g, p, ctx);
  };
  return compare(gold, pred);
}

const SCALAR_KINDS = new Set<Expr["k"]>(["num", "const", "sym", "add", "mul", "neg", "div", "pow", "fn", "fact", "percent", "pm"]);

/**
 * A scalar with \pm is the list of the answers it stands for (too many
 * variants: undecidable, by the budget); a union of finite sets is one set.
 */
function asAnswerList(e: Expr): Expr {
  if (e.k === "union" && e.parts.every((part) => part.k === "set")) {
    return { k: "set", items: e.parts.flatMap((part) => (part.k === "set" ? part.items : [])) };
  }
  if (!SCALAR_KINDS.has(e.k) || !contains(e, "pm")) return e;
  const variants = expandPlusMinus(e);
  if (variants === null) throw new BudgetExceeded("too many \\pm combinations");
  return { k: "list", items: variants };
}

/** The answers of a list or set, with `x = ` dropped from each (`x = 1, x = 2`) and \pm expanded; one answer otherwise. */
function answersOf(e: Expr): Expr[] {
  const items = e.k === "list" || e.k === "set" ? e.items : [e];
  return items.flatMap((x) => {
    const answer = asAnswerList(isAssignment(x) ? x.sides[1] : x);
    return answer.k === "list" ? answer.items : [answer];
  });
}

/**
 * A value with a unit against one with or without a unit: units of another
 * dimension differ (5 m is not 5 kg), others convert exactly (1 m is 100 cm);
 * a unit on one side only is not judged (gold 10 accepts 10 cm).
 */
function compareQuantities(g: Expr, p: Expr, compare: Comparator): Judgement {
  if (g.k === "quantity" && p.k === "quantity") {
    if (g.unit.dims !== p.unit.dims) return DIFFERENT;
    if (g.unit.factor.equals(p.unit.factor)) return compare(g.x, p.x);
    const inBaseUnits = (q: typeof g): Expr => ({ k: "mul", factors: [q.x, { k: "num", value: q.unit.factor, literal: false }] });
    return compare(inBaseUnits(g), inBaseUnits(p));
  }
  return compare(g.k === "quantity" ? g.x : g, p.k === "quantity" ? p.x : p);
}

/** An interval endpoint's value (±Infinity included), or null when it has variables or no reliable value. */
function endpointValue(e: Expr, ctx: CompareContext): number | null {
  if (freeSymbols(e).size > 0) return null;
  const evaluator = new FloatEvaluator({ budget: ctx.budget, percentAsFraction: false }, new Map());
  const v = evaluator.value(e);
  if (Number.isNaN(v) || evaluator.rangeLost) return null;
  return Number.isFinite(v) && !isReliable(v, evaluator.scale) ? null : v;
}

/** 1011_2 matches 1011_2 (and the digits 1011 when the gold names the base); bases must agree. */
function compareBased(g: Expr, p: Expr): Judgement {
  if (g.k !== "based") return DIFFERENT;
  if (p.k === "based") return g.base === p.base && g.digits === p.digits ? matched("string") : DIFFERENT;
  if (p.k === "num" && p.literal && p.value.isInteger && p.value.toString() === g.digits.replace(/^0+(?=.)/, "")) return matched("string");
  return DIFFERENT;
}

/** The answers a \pm expression stands for: 1 \pm \sqrt{2} is 1+\sqrt{2} and 1-\sqrt{2}. */
function expandPlusMinus(e: Expr): Expr[] | null {
  if (!contains(e, "pm")) return [e];
  if (e.k === "pm") {
    const bs = expandPlusMinus(e.b);
    const as = e.a ? expandPlusMinus(e.a) : [null];
    if (!bs || !as) return null;
    const out: Expr[] = [];
    for (const a of as) for (const b of bs) {
      const minus: Expr = { k: "neg", x: b };
      out.push(a ? { k: "add", terms: [a, b] } : b, a ? { k: "add", terms: [a, minus] } : minus);
    }
    return out.length > MAX_PLUS_MINUS_VARIANTS ? null : out;
  }
  let variants: Expr[][] = [[]];
  for (const c of children(e)) {
    const cv = expandPlusMinus(c);
    if (!cv) return null;
    variants = variants.flatMap((prefix) => cv.map((v) => [...prefix, v]));
    if (variants.length > MAX_PLUS_MINUS_VARIANTS) return null;
  }
  return variants.map((cs) => withChildren(e, cs));
}

/**
 * Numbers and expressions: exact rationals when both sides have one; else
 * doubles with a relative tolerance; with variables, agreement at random
 * points. A percent reads as x and as x/100 (gold 25 accepts 25\%, gold 0.25
 * accepts 25\%).
 */
function compareScalars(g: Expr, p: Expr, ctx: CompareContext): Judgement {
  const modes = contains(g, "percent") || contains(p, "percent") ? [false, true] : [false];
  let open: Judgement | null = null;
  for (const percentAsFraction of modes) {
    const r = compareScalarsIn({ budget: ctx.budget, percentAsFraction }, g, p, ctx.relTol);
    if (r.verdict === true) return r;
    if (r.verdict === null) open ??= r;
  }
  return open ?? DIFFERENT;
}

function compareScalarsIn(mode: EvalMode, g: Expr, p: Expr, relTol: number): Judgement {
  const symbols = freeSymbols(g, freeSymbols(p));
  if (symbols.size === 0) {
    const a = exactValue(g, mode);
    const b = a && exactValue(p, mode);
    if (a && b) {
      if (a.equals(b)) return matched("exact");
      return isExpansionOf(g, a, b, relTol) || isExpansionOf(p, b, a, relTol) ? matched("numeric") : DIFFERENT;
    }
    const r = compareAtPoint(new Map(), g, p, mode, relTol);
    return r === "equal" ? matched("numeric") : r === "different" ? DIFFERENT : undecided(r);
  }
  const points = new PointSampler([...symbols].sort(), randomSource(POINT_SEED));
  let agreed = 0;
  let lost = false;
  for (let k = 0; k < POINTS_TRIED && agreed < POINTS_NEEDED; k++) {
    const r = compareAtPoint(points.next(), g, p, mode, relTol);
    if (r === "different") return DIFFERENT;
    if (r === "equal") agreed++;
    if (r === "out-of-range") lost = true;
  }
  return agreed >= POINTS_NEEDED ? matched("symbolic") : undecided(lost ? "out-of-range" : "undefined");
}

function compareAtPoint(
  env: ReadonlyMap<string, number>, g: Expr, p: Expr, mode: EvalMode, relTol: number,
): "equal" | "different" | "undefined" | "out-of-range" {
  const eg = new FloatEvaluator(mode, env);
  const a = eg.value(g);
  const ep = new FloatEvaluator(mode, env);
  const b = ep.value(p);
  if (eg.rangeLost || ep.rangeLost) return "out-of-range";
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? "undefined" : "different";
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b ? "equal" : "different";
  const scale = Math.max(eg.scale, ep.scale);
  if (!isReliable(Math.max(Math.abs(a), Math.abs(b)), scale)) return "undefined";
  return Math.abs(a - b) <= relTol * scale ? "equal" : "different";
}

/**
 * Whether `decimal` (a plain decimal literal) is the expansion of `fraction`,
 * a rational whose decimal expansion never ends, written out to the relative
 * tolerance that irrational values are compared with (0.142857142857 for
 * 1/7 at the default 1e-12), cut or rounded at its last digit. A fraction
 * with a finite expansion must be written exactly.
 */
function isExpansionOf(decimal: Expr, written: Rational, fraction: Rational, relTol: number): boolean {
  const digits = decimal.k === "neg" ? decimalsOf(decimal.x) : decimalsOf(decimal);
  if (digits === null || fraction.isZero || terminates(fraction)) return false;
  const error = written.sub(fraction).abs();
  if (error.compare(Rational.of(1n, 10n ** BigInt(digits))) >= 0) return false;
  const [mantissa, exponent] = relTol.toExponential().split("e");
  const [whole, fractional = ""] = mantissa.split(".");
  return error.compare(fraction.abs().mul(Rational.fromDecimal(whole, fractional, Number(exponent)))) <= 0;
}

const decimalsOf = (e: Expr): number | null => (e.k === "num" && e.decimals !== undefined ? e.decimals : null);

function terminates(q: Rational): boolean {
  let d = q.den;
  while (d % 2n === 0n) d /= 2n;
  while (d % 5n === 0n) d /= 5n;
  return d === 1n;
}
