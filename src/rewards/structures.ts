// Comparison of answers with structure: tuples (ordered), sets and several
// answers (order-free, both ways), intervals and their unions (bracket kinds
// matter), matrices (shape, then cell by cell).
import type { Expr } from "./expr.js";
import { DIFFERENT, matched, type Comparator, type Judgement } from "./judgement.js";

export function compareOrdered(gold: readonly Expr[], pred: readonly Expr[], compare: Comparator): Judgement {
  if (gold.length !== pred.length) return DIFFERENT;
  let open: Judgement | null = null;
  for (let i = 0; i < gold.length; i++) {
    const r = compare(gold[i], pred[i]);
    if (r.verdict === false) return DIFFERENT;
    if (r.verdict === null) open ??= r;
  }
  return open ?? matched("structure");
}

/**
 * Set equality under `equal`: every gold element has an equal predicted one
 * and every predicted element an equal gold one. So a prediction that lists
 * one of two gold answers, or adds a wrong one, does not match.
 */
export function compareUnordered<T>(gold: readonly T[], pred: readonly T[], equal: (g: T, p: T) => Judgement): Judgement {
  const results: Judgement[][] = gold.map(() => new Array<Judgement>(pred.length));
  const at = (i: number, j: number) => (results[i][j] ??= equal(gold[i], pred[j]));
  let open: Judgement | null = null;
  const covered = (count: number, other: number, pair: (a: number, b: number) => Judgement) => {
    for (let a = 0; a < count; a++) {
      let found = false;
      let pending: Judgement | null = null;
      for (let b = 0; b < other && !found; b++) {
        const r = pair(a, b);
        if (r.verdict === true) found = true;
        else if (r.verdict === null) pending ??= r;
      }
      if (!found) {
        if (pending === null) return false;
        open ??= pending;
      }
    }
    return true;
  };
  if (!covered(gold.length, pred.length, at) || !covered(pred.length, gold.length, (j, i) => at(i, j))) return DIFFERENT;
  return open ?? matched("structure");
}

/** One interval: endpoints and whether each is included. */
export interface Piece {
  lo: Expr;
  hi: Expr;
  loClosed: boolean;
  hiClosed: boolean;
}

function isInfinite(e: Expr): boolean {
  return (e.k === "const" && e.name === "inf") || (e.k === "neg" && isInfinite(e.x));
}

/** The intervals of an interval, a union of intervals and finite sets, or null for anything else. */
export function intervalPieces(e: Expr, insideUnion = false): Piece[] | null {
  if (e.k === "bracket" && e.items.length === 2) {
    return [{ lo: e.items[0], hi: e.items[1], loClosed: e.open === "[", hiClosed: e.close === "]" }];
  }
  if (e.k === "set" && insideUnion) return e.items.map((x) => ({ lo: x, hi: x, loClosed: true, hiClosed: true }));
  if (e.k === "union") {
    const pieces: Piece[] = [];
    for (const part of e.parts) {
      const p = intervalPieces(part, true);
      if (p === null) return null;
      pieces.push(...p);
    }
    return pieces;
  }
  return null;
}

/** Equal sets of intervals; an infinite endpoint is open whatever bracket was written. */
export function comparePieces(gold: readonly Piece[], pred: readonly Piece[], compare: Comparator): Judgement {
  return compareUnordered(gold, pred, (g, p) => {
    if (g.loClosed !== p.loClosed && !isInfinite(g.lo)) return DIFFERENT;
    if (g.hiClosed !== p.hiClosed && !isInfinite(g.hi)) return DIFFERENT;
    return compareOrdered([g.lo, g.hi], [p.lo, p.hi], compare);
  });
}

/** Cells of a matrix with one row or one column, which also reads as a tuple. */
function vectorCells(e: Expr): Expr[] | null {
  if (e.k === "matrix" && (e.rows.length === 1 || e.rows[0].length === 1)) return e.rows.flat();
  if (e.k === "bracket" && e.open === "(" && e.close === ")") return e.items;
  return null;
}

export function compareMatrices(gold: Expr, pred: Expr, compare: Comparator): Judgement {
  if (gold.k === "matrix" && pred.k === "matrix") {
    if (gold.rows.length !== pred.rows.length || gold.rows[0].length !== pred.rows[0].length) return DIFFERENT;
    return compareOrdered(gold.rows.flat(), pred.rows.flat(), compare);
  }
  const g = vectorCells(gold);
  const p = vectorCells(pred);
  return g && p ? compareOrdered(g, p, compare) : DIFFERENT;
}
