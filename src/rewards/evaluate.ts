// Evaluation of scalar expressions: exactly (rationals, when the value is
// rational and the work stays within the budget) and in doubles (at given
// values of the free variables), with an error scale for tolerant comparison.
import { Budget } from "./budget.js";
import type { Expr, FnName } from "./expr.js";
import { Rational } from "./rational.js";

/** How x% reads: as x/100 or as x itself (the verifier tries both, see equivalence.ts). */
export interface EvalMode {
  budget: Budget;
  percentAsFraction: boolean;
}

const MAX_EXACT_EXPONENT = 10_000n;
const MAX_EXACT_BITS = 200_000;
const MAX_EXACT_FACTORIAL = 5_000;
const MAX_ROOT_INDEX = 64;

function integerBig(r: Rational | null): bigint | null {
  return r !== null && r.isInteger ? r.num : null;
}

function charge(budget: Budget, ...values: Rational[]): void {
  let bits = 0;
  for (const v of values) bits += v.bits;
  budget.tick(1 + bits / 64);
}

/** The exact rational value, or null when it is irrational, symbolic, undefined or too costly. */
export function exactValue(e: Expr, mode: EvalMode): Rational | null {
  const { budget } = mode;
  budget.tick();
  switch (e.k) {
    case "num": return e.value;
    case "neg": {
      const x = exactValue(e.x, mode);
      return x && x.neg();
    }
    case "add": {
      let acc = Rational.ZERO;
      for (const t of e.terms) {
        const v = exactValue(t, mode);
        if (v === null) return null;
        charge(budget, acc, v);
        acc = acc.add(v);
      }
      return acc;
    }
    case "mul": {
      let acc = Rational.ONE;
      for (const f of e.factors) {
        const v = exactValue(f, mode);
        if (v === null) return null;
        charge(budget, acc, v);
        acc = acc.mul(v);
      }
      return acc;
    }
    case "div": {
      const n = exactValue(e.num, mode);
      const d = n && exactValue(e.den, mode);
      if (!n || !d || d.isZero) return null;
      charge(budget, n, d);
      return n.div(d);
    }
    case "pow": return exactPower(exactValue(e.base, mode), exactValue(e.exp, mode), budget);
    case "percent": {
      const x = exactValue(e.x, mode);
      return x && (mode.percentAsFraction ? x.div(Rational.of(100n)) : x);
    }
    // A unit inside an expression (`1 \text{ m} + 50 \text{ cm}`) counts in base units.
    case "quantity": {
      const x = exactValue(e.x, mode);
      return x && x.mul(e.unit.factor);
    }
    case "fact": {
      const n = integerBig(exactValue(e.x, mode));
      if (n === null || n < 0n || n > BigInt(MAX_EXACT_FACTORIAL)) return null;
      let acc = 1n;
      for (let k = 2n; k <= n; k++) {
        acc *= k;
        budget.tick(1 + Number(k) / 2000);
      }
      return Rational.of(acc);
    }
    case "fn": return exactFunction(e.name, e.args.map((a) => exactValue(a, mode)), budget);
    default: return null;
  }
}

function exactPower(base: Rational | null, exp: Rational | null, budget: Budget): Rational | null {
  if (base === null || exp === null) return null;
  let b: Rational | null = base;
  if (!exp.isInteger) {
    if (exp.den > BigInt(MAX_ROOT_INDEX)) return null;
    b = base.root(Number(exp.den));
    if (b === null) return null;
  }
  const n = exp.num;
  if ((n < 0n ? -n : n) > MAX_EXACT_EXPONENT || b.bits * Number(n < 0n ? -n : n) > MAX_EXACT_BITS) return null;
  if (b.isZero && n < 0n) return null;
  budget.tick(1 + (b.bits * Math.abs(Number(n))) / 64);
  return b.powInt(n);
}

function exactFunction(name: FnName, args: Array<Rational | null>, budget: Budget): Rational | null {
  if (args.some((a) => a === null)) return null;
  const xs = args as Rational[];
  const x = xs[0];
  switch (name) {
    case "sqrt": return x.root(2);
    case "root": {
      const k = integerBig(xs[1]);
      return k !== null && k >= 2n && k <= BigInt(MAX_ROOT_INDEX) ? x.root(Number(k)) : null;
    }
    case "abs": return x.abs();
    case "floor": return x.floor();
    case "ceil": return x.neg().floor().neg();
    case "max": return xs.reduce((a, b) => (a.compare(b) >= 0 ? a : b));
    case "min": return xs.reduce((a, b) => (a.compare(b) <= 0 ? a : b));
    case "binom": {
      const n = integerBig(x);
      const k = integerBig(xs[1]);
      if (n === null || k === null || n < 0n || k > BigInt(MAX_EXACT_FACTORIAL) * 2n) return null;
      if (k < 0n || k > n) return Rational.ZERO;
      let acc = 1n;
      for (let j = 0n; j < k; j++) {
        acc = (acc * (n - j)) / (j + 1n);
        budget.tick();
      }
      return Rational.of(acc);
    }
    case "gcd": case "lcm": {
      const ints = xs.map(integerBig);
      if (ints.some((v) => v === null)) return null;
      let acc = ints[0]!;
      for (const v of ints.slice(1)) acc = name === "gcd" ? gcdBig(acc, v!) : lcmBig(acc, v!);
      return Rational.of(acc < 0n ? -acc : acc);
    }
    case "exp": return x.isZero ? Rational.ONE : null;
    case "ln": return x.equals(Rational.ONE) ? Rational.ZERO : null;
    case "log": return exactLog(x, xs[1] ?? null);
    default: return null;
  }
}

function gcdBig(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function lcmBig(a: bigint, b: bigint): bigint {
  return a === 0n || b === 0n ? 0n : (a / gcdBig(a, b)) * b;
}

/** log_b x when it is an integer (log_2 8 = 3), else null. */
function exactLog(x: Rational, base: Rational | null): Rational | null {
  if (base === null || base.sign <= 0 || base.equals(Rational.ONE) || x.sign <= 0) return null;
  const guess = Math.round(Math.log(x.toNumber()) / Math.log(base.toNumber()));
  if (!Number.isFinite(guess) || Math.abs(guess) > 4096) return null;
  return base.powInt(BigInt(guess)).equals(x) ? Rational.of(BigInt(guess)) : null;
}

// ---- doubles ----

/**
 * Evaluates in doubles. `scale` after a call bounds the magnitude of the
 * intermediate values the result came from, so a comparison can tell
 * cancellation noise (sin(pi) = 1e-16) from a real difference. `rangeLost` is
 * set when a finite computation overflowed or underflowed, where doubles can
 * no longer tell values apart (then the comparison is undecided).
 */
export class FloatEvaluator {
  scale = 0;
  rangeLost = false;

  constructor(private readonly mode: EvalMode, private readonly env: ReadonlyMap<string, number>) {}

  value(e: Expr): number {
    this.mode.budget.tick();
    switch (e.k) {
      case "num": {
        const v = e.value.toNumber();
        if (!Number.isFinite(v) || (v === 0 && !e.value.isZero)) this.rangeLost = true;
        return this.leaf(v);
      }
      case "const": return this.leaf(e.name === "pi" ? Math.PI : e.name === "e" ? Math.E : Infinity);
      case "sym": {
        const v = this.env.get(e.name);
        return this.leaf(v === undefined ? NaN : v);
      }
      case "neg": return -this.value(e.x);
      case "percent": {
        const v = this.value(e.x);
        if (!this.mode.percentAsFraction) return v;
        this.scale /= 100;
        return v / 100;
      }
      case "quantity": {
        const factor = e.unit.factor.toNumber();
        const v = this.value(e.x);
        this.scale *= factor;
        return v * factor;
      }
      case "add": {
        let total = 0;
        let scale = 0;
        for (const t of e.terms) {
          const v = this.value(t);
          total += v;
          scale = Math.max(scale, this.scale);
        }
        return this.result(total, Math.max(scale, Math.abs(total)));
      }
      case "mul": {
        let total = 1;
        let scale = 1;
        let finiteInputs = true;
        for (const f of e.factors) {
          const v = this.value(f);
          finiteInputs &&= Number.isFinite(v) && v !== 0;
          total *= v;
          scale *= this.scale;
        }
        this.checkRange(total, finiteInputs);
        return this.result(total, scale);
      }
      case "div": {
        const n = this.value(e.num);
        const ns = this.scale;
        const d = this.value(e.den);
        const ds = this.scale;
        if (isNoise(d, ds)) return this.leaf(NaN);
        const v = n / d;
        this.checkRange(v, Number.isFinite(n) && Number.isFinite(d) && n !== 0);
        return this.result(v, ns / Math.abs(d) + (Math.abs(n) * ds) / (d * d));
      }
      case "pow": return this.power(e.base, e.exp);
      case "fact": {
        const x = this.value(e.x);
        const v = gamma(x + 1);
        this.checkRange(v, Number.isFinite(x));
        return this.result(v, Math.abs(v) * (1 + this.scale * Math.log(Math.abs(x) + 2)));
      }
      case "fn": return this.call(e.name, e.args);
      default: return this.leaf(NaN);
    }
  }

  private leaf(v: number): number {
    this.scale = Math.abs(v);
    return v;
  }

  private result(v: number, scale: number): number {
    this.scale = Number.isNaN(scale) ? Math.abs(v) : Math.max(scale, Math.abs(v));
    return v;
  }

  private checkRange(v: number, inputsFiniteNonzero: boolean): void {
    if (inputsFiniteNonzero && (!Number.isFinite(v) || v === 0) && !Number.isNaN(v)) this.rangeLost = true;
  }

  private power(baseExpr: Expr, expExpr: Expr): number {
    const b = this.value(baseExpr);
    const bs = this.scale;
    const x = this.value(expExpr);
    const xs = this.scale;
    if (x < 0 && isNoise(b, bs)) return this.leaf(NaN);
    let v = Math.pow(b, x);
    if (b < 0 && !Number.isInteger(x)) {
      // (-8)^(1/3) = -2: a rational exponent with an odd denominator has a real value.
      const exact = exactValue(expExpr, this.mode);
      if (exact !== null && exact.den % 2n === 1n) v = (exact.num % 2n === 0n ? 1 : -1) * Math.pow(-b, x);
    }
    this.checkRange(v, Number.isFinite(b) && Number.isFinite(x) && b !== 0);
    const av = Math.abs(v);
    const scale = b === 0 ? av : av * (1 + (Math.abs(x) * bs) / Math.abs(b) + Math.abs(Math.log(Math.abs(b))) * xs);
    return this.result(v, scale);
  }

  private call(name: FnName, argExprs: Expr[]): number {
    const args: number[] = [];
    let argScale = 0;
    for (const a of argExprs) {
      args.push(this.value(a));
      argScale = Math.max(argScale, this.scale);
    }
    const x = args[0];
    if (atPole(name, x, argScale)) return this.leaf(NaN);
    const v = applyFunction(name, args);
    this.checkRange(v, args.every(Number.isFinite));
    return this.result(v, Math.abs(derivativeBound(name, x, v)) * argScale);
  }
}

/**
 * A value within rounding noise of zero, given the magnitudes it came from:
 * dividing by it (or taking its logarithm) would turn noise into an
 * arbitrary number, so the result counts as undefined (1/sin(pi) is 1/0,
 * not 8e15).
 */
const NOISE = 1e-13;
function isNoise(v: number, scale: number): boolean {
  return Math.abs(v) <= NOISE * Math.max(scale, Math.abs(v));
}

/** Whether a function is evaluated at (or within noise of) a pole or a log's zero. */
function atPole(name: FnName, x: number, scale: number): boolean {
  switch (name) {
    case "ln": case "log": return isNoise(x, scale);
    case "tan": case "sec": return isNoise(Math.cos(x), scale);
    case "cot": case "csc": return isNoise(Math.sin(x), scale);
    default: return false;
  }
}

function applyFunction(name: FnName, a: number[]): number {
  const x = a[0];
  switch (name) {
    case "sqrt": return Math.sqrt(x);
    case "root": {
      const k = a[1];
      if (x < 0 && Number.isInteger(k) && k % 2 === 1) return -Math.pow(-x, 1 / k);
      return Math.pow(x, 1 / k);
    }
    case "abs": return Math.abs(x);
    case "floor": return Math.floor(x);
    case "ceil": return Math.ceil(x);
    case "exp": return Math.exp(x);
    case "ln": return Math.log(x);
    case "log": return a.length > 1 ? Math.log(x) / Math.log(a[1]) : Math.log(x);
    case "sin": return Math.sin(x);
    case "cos": return Math.cos(x);
    case "tan": return Math.tan(x);
    case "cot": return 1 / Math.tan(x);
    case "sec": return 1 / Math.cos(x);
    case "csc": return 1 / Math.sin(x);
    case "arcsin": return Math.asin(x);
    case "arccos": return Math.acos(x);
    case "arctan": return Math.atan(x);
    case "sinh": return Math.sinh(x);
    case "cosh": return Math.cosh(x);
    case "tanh": return Math.tanh(x);
    case "max": return Math.max(...a);
    case "min": return Math.min(...a);
    case "binom": return gamma(x + 1) / (gamma(a[1] + 1) * gamma(x - a[1] + 1));
    case "gcd": case "lcm": {
      if (!a.every((v) => Number.isInteger(v) && Math.abs(v) < 2 ** 53)) return NaN;
      return Number(a.map(BigInt).reduce((p, q) => (name === "gcd" ? gcdBig(p, q) : lcmBig(p, q))));
    }
  }
}

/** |f'(x)|, enough to propagate an error scale through f (an overestimate is harmless). */
function derivativeBound(name: FnName, x: number, v: number): number {
  switch (name) {
    case "sqrt": case "root": return x === 0 ? 1 : Math.abs(v / x);
    case "exp": case "sinh": case "cosh": return Math.abs(v) + 1;
    case "ln": case "log": return 1 / Math.abs(x);
    case "tan": case "cot": return 1 + v * v;
    case "sec": case "csc": return v * v;
    // At the ends of the domain (arcsin 1) the input is exact in practice.
    case "arcsin": case "arccos": return Math.abs(x) >= 1 ? 1 : 1 / Math.sqrt(1 - x * x);
    case "binom": return (Math.abs(v) + 1) * Math.log(Math.abs(x) + 2);
    default: return 1;
  }
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** The gamma function (Lanczos, g = 7); exact products for small integers. */
export function gamma(z: number): number {
  if (Number.isInteger(z)) {
    if (z <= 0) return NaN;
    if (z <= 171) {
      let p = 1;
      for (let k = 2; k < z; k++) p *= k;
      return p;
    }
    return Infinity;
  }
  if (z < 0.5) return Math.PI / (Math.sin(Math.PI * z) * gamma(1 - z));
  z -= 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let k = 1; k < 9; k++) a += LANCZOS[k] / (z + k);
  return Math.sqrt(2 * Math.PI) * Math.pow(t, z + 0.5) * Math.exp(-t) * a;
}

/**
 * Whether a double result still says something: the magnitudes it came from
 * (its error scale) are at most a million times the value, or than 1 for
 * small values, so that rounding error stays far below any difference that
 * matters. sin(pi) = 1e-16 passes (a zero within noise); sin(e^{e^4}) and
 * sqrt(sin(pi)) do not: their rounding error swamps them.
 */
const MAX_AMPLIFICATION = 1e6;
export function isReliable(value: number, scale: number): boolean {
  return Number.isFinite(scale) && scale / Math.max(1, Math.abs(value)) <= MAX_AMPLIFICATION;
}

export const POINT_SEED = 0x5eed;
/** Random points that must agree before two expressions with variables count as equal. */
export const POINTS_NEEDED = 6;
/** Points tried at most (points where both sides are undefined are skipped). */
export const POINTS_TRIED = 18;

/** A small deterministic generator, so that verdicts are reproducible. */
export function randomSource(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SIGNS_BY_STRATA = 6;

/**
 * Values for the free variables, stratified: in every six consecutive points
 * each variable takes both signs in each of three magnitude bands of
 * [0.2, 12] (log scale), in its own random order, so that piecewise answers
 * such as |x-2| are seen on both sides of small breakpoints and variables'
 * signs vary independently. Never exactly an integer or zero.
 */
export class PointSampler {
  private readonly orders: Map<string, number[]>;
  private k = 0;

  constructor(private readonly symbols: readonly string[], private readonly random: () => number) {
    this.orders = new Map(symbols.map((s) => [s, shuffled(SIGNS_BY_STRATA, random)]));
  }

  next(): Map<string, number> {
    const env = new Map<string, number>();
    for (const s of this.symbols) {
      const cell = this.orders.get(s)![this.k % SIGNS_BY_STRATA];
      const band = Math.floor(cell / 2);
      env.set(s, (cell % 2 === 0 ? 1 : -1) * 0.2 * Math.pow(60, (band + this.random()) / 3));
    }
    this.k++;
    return env;
  }
}

function shuffled(n: number, random: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
