// Equivalence of a parsed gold answer and a parsed prediction. The order of
// the checks encodes the deliberate asymmetries (docs/rewards.md): a gold
// inequality accepts an interval, a gold assignment `x = 5` accepts `5`, a
// gold number accepts a prediction chain `a + b = ... = 5`; not the reverse.
import {
  exactValue, FloatEvaluator, isReliable, PointSampler, POINT_SEED, POINTS_NEEDED, POINTS_TRIED, randomSource, type EvalMode,
} from "./evaluate.js";
import { children, contains, freeSymbols, withChildren, type Expr } from "./expr.js";
import { BudgetExceeded } from "./budget.js";
import { DIFFERENT, matched, undecided, type CompareContext, type Judgement } from "./judgement.js";
import { compareRelations, inequalityPieces, isAssignment } from "./relations.js";
import { compareMatrices, compareOrdered, comparePieces, compareUnordered, intervalPieces } from "./structures.js";

const MAX_PLUS_MINUS_VARIANTS = 16;

export function compareAnswers(gold: Expr, pred: Expr, ctx: CompareContext): Judgement {
  const compare = (g: Expr, p: Expr): Judgement => {
    ctx.budget.tick();
    if (g.k === "in") g = g.set;
    if (p.k === "in") p = p.set;
    g = asAnswerList(g);
    p = asAnswerList(p);

    const goldPieces = inequalityPieces(g);
    const predPieces = goldPieces && intervalPieces(p);
    if (goldPieces && predPieces) return comparePieces(goldPieces, predPieces, compare);

    // A gold point (1, 2) accepts the bare list 1, 2 in the same order.
    if (g.k === "bracket" && g.open === "(" && g.close === ")" && p.k === "list") return compareOrdered(g.items, p.items, compare);
    if (g.k === "list" || g.k === "set" || p.k === "list" || p.k === "set") {
      return compareUnordered(answersOf(g), answersOf(p), compare);
    }

    if (g.k === "rel") {
      if (p.k === "rel") return compareRelations(g, p, ctx, compare);
      return isAssignment(g) ? compare(g.sides[1], p) : DIFFERENT;
    }
    if (p.k === "rel") return p.ops.every((op) => op === "=") ? compare(g, p.sides[p.sides.length - 1]) : DIFFERENT;

    if (g.k === "matrix" || p.k === "matrix") return compareMatrices(g, p, compare);
    if (g.k === "bracket" && p.k === "bracket" && g.open === p.open && g.close === p.close) {
      return compareOrdered(g.items, p.items, compare);
    }
    if (g.k === "bracket" || p.k === "bracket" || g.k === "union" || p.k === "union") {
      const gp = intervalPieces(g);
      const pp = intervalPieces(p);
      if (gp && pp) return comparePieces(gp, pp, compare);
      return g.k === "union" && p.k === "union" ? compareUnordered(g.parts, p.parts, compare) : DIFFERENT;
    }

    if (g.k === "text" || p.k === "text") return g.k === "text" && p.k === "text" && g.s === p.s ? matched("text") : DIFFERENT;
    if (g.k === "based" || p.k === "based") return compareBased(g, p);
    return compareScalars(g, p, ctx);
  };
  return compare(gold, pred);
}

const SCALAR_KINDS = new Set<Expr["k"]>(["num", "const", "sym", "add", "mul", "neg", "div", "pow", "fn", "fact", "percent", "pm"]);

/** A scalar with \pm is the list of the answers it stands for (too many variants: undecidable, by the budget). */
function asAnswerList(e: Expr): Expr {
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
    if (a && b) return a.equals(b) ? matched("exact") : DIFFERENT;
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
