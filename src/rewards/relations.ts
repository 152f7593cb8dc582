// Equations and inequalities compared as relations, never as their right
// side: 3x-y+13=0 and 3x+4y+14=0 differ. Two single relations agree when
// their sides agree (possibly mirrored, x<3 is 3>x) or, when the gold is not
// a solved form, when L-R of one is a constant multiple of L-R of the other
// (positive for inequalities), checked at random points. A solved gold
// (`x = 5`, `y < -2`) needs a solved prediction: restating the question
// (`3y + 6 < 0`) is not answering it.
import { FloatEvaluator, isReliable, PointSampler, POINT_SEED, POINTS_NEEDED, POINTS_TRIED, randomSource, type EvalMode } from "./evaluate.js";
import { freeSymbols, type Expr, type RelOp } from "./expr.js";
import { DIFFERENT, matched, undecided, type CompareContext, type Comparator, type Judgement } from "./judgement.js";
import { compareOrdered, type Piece } from "./structures.js";
import { FLIPPED } from "./vocabulary.js";

type Relation = Extract<Expr, { k: "rel" }>;

/** `x = ...` with a bare variable on the left. */
export function isAssignment(e: Expr): e is Relation {
  return e.k === "rel" && e.ops.length === 1 && e.ops[0] === "=" && e.sides[0].k === "sym";
}

function mirrored(r: Relation): Relation {
  return { k: "rel", ops: [...r.ops].reverse().map((op) => FLIPPED[op]), sides: [...r.sides].reverse() };
}

const sameOps = (a: readonly RelOp[], b: readonly RelOp[]) => a.length === b.length && a.every((op, i) => op === b[i]);

/** A variable alone on one side and no variable on the others: `x = 5`, `1 < x \le 3`. */
function isSolved(r: Relation): boolean {
  const bare = r.sides.filter((s) => s.k === "sym");
  return bare.length === 1 && r.sides.every((s) => s.k === "sym" || freeSymbols(s).size === 0);
}

/** A number written as digits, possibly negated. */
function literalValue(e: Expr): string | null {
  if (e.k === "neg") {
    const v = literalValue(e.x);
    return v === null ? null : `-${v}`;
  }
  return e.k === "num" && e.literal ? e.value.toString() : null;
}

/**
 * A prediction's chain of equalities `y = 2+2+3 = 7` as its ends `y = 7`,
 * whose last side is its value; null when the chain equates different
 * numbers (`5 = 6 = 7` lists answers, it does not compute one). Other
 * relations are returned as they are.
 */
export function chainEnds(r: Relation): Relation | null {
  if (!r.ops.every((op) => op === "=")) return r;
  const literals = new Set(r.sides.map(literalValue).filter((v) => v !== null));
  if (literals.size > 1) return null;
  return r.sides.length === 2 ? r : { k: "rel", ops: ["="], sides: [r.sides[0], r.sides[r.sides.length - 1]] };
}

export function compareRelations(gold: Relation, pred: Relation, ctx: CompareContext, compare: Comparator): Judgement {
  const orientations = [pred, mirrored(pred)].filter((r) => sameOps(gold.ops, r.ops));
  let open: Judgement | null = null;
  for (const r of orientations) {
    const j = compareOrdered(gold.sides, r.sides, compare);
    if (j.verdict === true) return matched("relation");
    if (j.verdict === null) open ??= j;
  }
  if (gold.ops.length === 1 && !isSolved(gold)) {
    for (const r of orientations) {
      const j = proportional(gold, r, ctx);
      if (j.verdict === true) return j;
      if (j.verdict === null) open ??= j;
    }
  }
  return open ?? DIFFERENT;
}

function difference(r: Relation): Expr {
  return { k: "add", terms: [r.sides[0], { k: "neg", x: r.sides[1] }] };
}

/** L1-R1 = c (L2-R2) at random points, c constant and nonzero (positive for an inequality). */
function proportional(gold: Relation, pred: Relation, ctx: CompareContext): Judgement {
  const dg = difference(gold);
  const dp = difference(pred);
  const symbols = freeSymbols(dg, freeSymbols(dp));
  if (symbols.size === 0) return DIFFERENT;
  const mode: EvalMode = { budget: ctx.budget, percentAsFraction: false };
  const points = new PointSampler([...symbols].sort(), randomSource(POINT_SEED));
  let ratio = NaN;
  let agreed = 0;
  let lost = false;
  for (let k = 0; k < POINTS_TRIED && agreed < POINTS_NEEDED; k++) {
    const env = points.next();
    const eg = new FloatEvaluator(mode, env);
    const a = eg.value(dg);
    const ep = new FloatEvaluator(mode, env);
    const b = ep.value(dp);
    if (eg.rangeLost || ep.rangeLost) {
      lost = true;
      continue;
    }
    if (!isReliable(a, eg.scale) || !isReliable(b, ep.scale)) continue;
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) return DIFFERENT;
      continue;
    }
    const aZero = Math.abs(a) <= ctx.relTol * eg.scale;
    const bZero = Math.abs(b) <= ctx.relTol * ep.scale;
    if (aZero || bZero) {
      if (aZero !== bZero) return DIFFERENT;
      continue;
    }
    const r = b / a;
    const tolerance = 1e3 * ctx.relTol * (eg.scale / Math.abs(a) + ep.scale / Math.abs(b)) * Math.abs(r);
    if (agreed === 0) ratio = r;
    else if (Math.abs(r - ratio) > tolerance) return DIFFERENT;
    agreed++;
  }
  if (agreed < POINTS_NEEDED) return undecided(lost ? "out-of-range" : "undefined");
  if (gold.ops[0] !== "=" && gold.ops[0] !== "!=" && ratio <= 0) return DIFFERENT;
  return matched("relation");
}

const INFINITY: Expr = { k: "const", name: "inf" };
const MINUS_INFINITY: Expr = { k: "neg", x: INFINITY };
const isLess = (op: RelOp) => op === "<" || op === "<=";
const isGreater = (op: RelOp) => op === ">" || op === ">=";

/**
 * The intervals a gold inequality in one variable describes (`x > 3`,
 * `1 < x \le 2`, `x < -1 or x > 1`), so that it accepts an interval
 * prediction; null when it is not such an inequality.
 */
export function inequalityPieces(e: Expr): Piece[] | null {
  const relations = e.k === "rel" ? [e] : e.k === "list" && e.items.every((x) => x.k === "rel") ? (e.items as Relation[]) : null;
  if (relations === null) return null;
  let variable: string | null = null;
  const pieces: Piece[] = [];
  if (relations.length === 1 && relations[0].ops.length === 1 && relations[0].ops[0] === "!=") {
    // x != 3 is everything but 3.
    const [a, b] = relations[0].sides;
    const c = a.k === "sym" ? b : a;
    if ((a.k === "sym") === (b.k === "sym") || freeSymbols(c).size > 0) return null;
    return [
      { lo: MINUS_INFINITY, hi: c, loClosed: false, hiClosed: false },
      { lo: c, hi: INFINITY, loClosed: false, hiClosed: false },
    ];
  }
  for (const rel of relations) {
    if (rel.ops.some((op) => op === "=" || op === "!=")) return null;
    const r = rel.sides[rel.sides.length - 1].k === "sym" && rel.sides.length === 2 ? mirrored(rel) : rel;
    const position = r.sides.findIndex((s) => s.k === "sym");
    const x = r.sides[position];
    if (x === undefined || x.k !== "sym" || (variable !== null && variable !== x.name)) return null;
    variable = x.name;
    if (r.sides.some((s, i) => i !== position && freeSymbols(s).size > 0)) return null;
    const piece = pieceOf(r, position);
    if (piece === null) return null;
    pieces.push(piece);
  }
  return pieces;
}

function pieceOf(r: Relation, position: number): Piece | null {
  const [op1, op2] = r.ops;
  if (r.sides.length === 2 && position === 0) {
    const c = r.sides[1];
    if (isLess(op1)) return { lo: MINUS_INFINITY, hi: c, loClosed: false, hiClosed: op1 === "<=" };
    return { lo: c, hi: INFINITY, loClosed: op1 === ">=", hiClosed: false };
  }
  if (r.sides.length === 3 && position === 1) {
    const [a, , b] = r.sides;
    if (isLess(op1) && isLess(op2)) return { lo: a, hi: b, loClosed: op1 === "<=", hiClosed: op2 === "<=" };
    if (isGreater(op1) && isGreater(op2)) return { lo: b, hi: a, loClosed: op2 === ">=", hiClosed: op1 === ">=" };
  }
  return null;
}
