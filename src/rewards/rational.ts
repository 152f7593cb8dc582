// Exact rational numbers on BigInt, so that answers such as 1/2004! and
// 1/2006! (equal once rounded to doubles) stay distinct.

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function bitLength(n: bigint): number {
  if (n < 0n) n = -n;
  if (n === 0n) return 0;
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + Math.floor(Math.log2(parseInt(hex[0], 16))) + 1;
}

/** The integer k-th root of n >= 0 when it is exact, else null (Newton's method). */
function exactIntegerRoot(n: bigint, k: number): bigint | null {
  if (n < 2n) return n;
  const kb = BigInt(k);
  let x = 1n << BigInt(Math.ceil(bitLength(n) / k) + 1);
  for (;;) {
    const next = ((kb - 1n) * x + n / x ** (kb - 1n)) / kb;
    if (next >= x) break;
    x = next;
  }
  return x ** kb === n ? x : null;
}

/** An exact fraction of two BigInts, always in lowest terms with a positive denominator. */
export class Rational {
  /** Kept normalised: gcd(num, den) = 1 and den > 0. */
  private constructor(
    /** The numerator, carrying the sign. */
    readonly num: bigint,
    /** The denominator, always positive. */
    readonly den: bigint,
  ) {}

  static readonly ZERO = new Rational(0n, 1n);
  static readonly ONE = new Rational(1n, 1n);

  static of(num: bigint, den: bigint = 1n): Rational {
    if (den === 0n) throw new RangeError("rational with a zero denominator");
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    const g = gcd(num, den);
    return g === 1n ? new Rational(num, den) : new Rational(num / g, den / g);
  }

  /**
   * A decimal literal: digits of the integer part, of the fraction, an optional
   * repeating block (0.1\overline{6} = 1/6) and a power-of-ten exponent.
   */
  static fromDecimal(intDigits: string, fracDigits: string, exponent = 0, repeating = ""): Rational {
    const whole = BigInt((intDigits || "0") + fracDigits);
    let value = Rational.of(whole, 10n ** BigInt(fracDigits.length));
    if (repeating) {
      // 0.d1..dk repeating at scale 10^-|frac| is block / (10^k - 1) / 10^|frac|
      const block = BigInt(repeating);
      const den = (10n ** BigInt(repeating.length) - 1n) * 10n ** BigInt(fracDigits.length);
      value = value.add(Rational.of(block, den));
    }
    if (exponent > 0) value = value.mul(Rational.of(10n ** BigInt(exponent)));
    if (exponent < 0) value = value.div(Rational.of(10n ** BigInt(-exponent)));
    return value;
  }

  /** True when the denominator is 1. */
  get isInteger(): boolean {
    return this.den === 1n;
  }

  /** True for 0. */
  get isZero(): boolean {
    return this.num === 0n;
  }

  /** 1, -1 or 0. */
  get sign(): number {
    return this.num > 0n ? 1 : this.num < 0n ? -1 : 0;
  }

  /** Size in bits, the cost measure for the time budget. */
  get bits(): number {
    return bitLength(this.num) + bitLength(this.den);
  }

  /** this + o, exactly. */
  add(o: Rational): Rational {
    return Rational.of(this.num * o.den + o.num * this.den, this.den * o.den);
  }

  /** this - o, exactly. */
  sub(o: Rational): Rational {
    return Rational.of(this.num * o.den - o.num * this.den, this.den * o.den);
  }

  /** this * o, exactly. */
  mul(o: Rational): Rational {
    return Rational.of(this.num * o.num, this.den * o.den);
  }

  /** this / o, exactly; throws a RangeError when o is zero. */
  div(o: Rational): Rational {
    return Rational.of(this.num * o.den, this.den * o.num);
  }

  /** -this. */
  neg(): Rational {
    return new Rational(-this.num, this.den);
  }

  /** |this|. */
  abs(): Rational {
    return this.num < 0n ? this.neg() : this;
  }

  /** this^e for an integer e; the caller bounds e (see evaluate.ts). */
  powInt(e: bigint): Rational {
    if (e >= 0n) return new Rational(this.num ** e, this.den ** e);
    if (this.num === 0n) throw new RangeError("zero to a negative power");
    return Rational.of(this.den ** -e, this.num ** -e);
  }

  /** The exact k-th root (k >= 2) when it is rational, else null. */
  root(k: number): Rational | null {
    if (this.num < 0n) {
      if (k % 2 === 0) return null;
      const r = this.neg().root(k);
      return r && r.neg();
    }
    const n = exactIntegerRoot(this.num, k);
    const d = n === null ? null : exactIntegerRoot(this.den, k);
    return n === null || d === null ? null : new Rational(n, d);
  }

  /** The greatest integer <= this (rounds toward minus infinity). */
  floor(): Rational {
    const q = this.num / this.den;
    return Rational.of(this.num < 0n && q * this.den !== this.num ? q - 1n : q);
  }

  /** Exact equality. */
  equals(o: Rational): boolean {
    return this.num === o.num && this.den === o.den;
  }

  /** 1, -1 or 0 as this is greater than, less than or equal to o; usable as a sort comparator. */
  compare(o: Rational): number {
    const d = this.num * o.den - o.num * this.den;
    return d > 0n ? 1 : d < 0n ? -1 : 0;
  }

  /** The nearest double; exact ratios of huge integers do not overflow to NaN. */
  toNumber(): number {
    const nb = bitLength(this.num);
    const db = bitLength(this.den);
    if (nb <= 1000 && db <= 1000) return Number(this.num) / Number(this.den);
    // Scale both down to ~64 significant bits and carry the exponent separately.
    const shiftN = Math.max(0, nb - 64);
    const shiftD = Math.max(0, db - 64);
    const mantissa = Number(this.num >> BigInt(shiftN)) / Number(this.den >> BigInt(shiftD));
    return mantissa * 2 ** (shiftN - shiftD);
  }

  /** `n` for an integer, else `n/d` in lowest terms. */
  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }
}
