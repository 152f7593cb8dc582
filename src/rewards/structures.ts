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

/**
 * An answer that can only be an interval or a union of them: a bracket with a
 * square side or an infinite end, or a union. `(1, 3)` may be a point.
 */
export function isInterval(e: Expr): boolean {
  if (e.k === "union") return intervalPieces(e) !== null;
  return e.k === "bracket" && e.items.length === 2 && (e.open === "[" || e.close === "]" || e.items.some(isInfinite));
}

/**
 * Equal sets of intervals; an infinite endpoint is open whatever bracket was
 * written. Pieces with numeric endpoints are merged first, so that
 * `(0,1] \cup (1,2]` is `(0,2]` and `(-\infty,2) \cup \{2\}` is `(-\infty,2]`.
 */
export function comparePieces(
  gold: readonly Piece[], pred: readonly Piece[], compare: Comparator, valueOf: (e: Expr) => number | null,
): Judgement {
  return compareUnordered(mergePieces(gold, valueOf), mergePieces(pred, valueOf), (g, p) => {
    if (g.loClosed !== p.loClosed && !isInfinite(g.lo)) return DIFFERENT;
    if (g.hiClosed !== p.hiClosed && !isInfinite(g.hi)) return DIFFERENT;
    return compareOrdered([g.lo, g.hi], [p.lo, p.hi], compare);
  });
}

/** Endpoints equal up to rounding of doubles, so that the same value computed two ways meets itself. */
const sameEnd = (a: number, b: number) =>
  a === b || (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)));

/** The union of the pieces as disjoint pieces in order; unchanged when an endpoint has no numeric value. */
function mergePieces(pieces: readonly Piece[], valueOf: (e: Expr) => number | null): readonly Piece[] {
  if (pieces.length < 2) return pieces;
  const valued: Array<{ piece: Piece; lo: number; hi: number }> = [];
  for (const piece of pieces) {
    const lo = valueOf(piece.lo);
    const hi = valueOf(piece.hi);
    if (lo === null || hi === null) return pieces;
    valued.push({ piece, lo, hi });
  }
  valued.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const merged: Array<{ piece: Piece; lo: number; hi: number }> = [];
  for (const next of valued) {
    const last = merged[merged.length - 1];
    const touches = last !== undefined && (sameEnd(next.lo, last.hi) ? last.piece.hiClosed || next.piece.loClosed : next.lo < last.hi);
    if (!touches) {
      merged.push({ ...next });
      continue;
    }
    if (sameEnd(next.lo, last.lo)) last.piece = { ...last.piece, loClosed: last.piece.loClosed || next.piece.loClosed };
    if (sameEnd(next.hi, last.hi)) last.piece = { ...last.piece, hiClosed: last.piece.hiClosed || next.piece.hiClosed };
    else if (next.hi > last.hi) {
      last.piece = { ...last.piece, hi: next.piece.hi, hiClosed: next.piece.hiClosed };
      last.hi = next.hi;
    }
  }
  return merged.map((m) => m.piece);
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
