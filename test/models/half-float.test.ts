import { test } from "node:test";
import assert from "node:assert/strict";
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from "../../src/models/half-float.js";

const ALL_HALVES = Uint16Array.from({ length: 65536 }, (_, i) => i);

test("every bfloat16 survives the trip through float32; NaNs become the canonical quiet NaN", () => {
  const back = float32ToBfloat16(bfloat16ToFloat32(ALL_HALVES));
  for (let h = 0; h < 65536; h++) {
    const isNan = (h & 0x7f80) === 0x7f80 && (h & 0x007f) !== 0;
    assert.equal(back[h], isNan ? 0x7fc0 : h, `bf16 ${h.toString(16)}`);
  }
});

test("every binary16 survives the trip through float32, subnormals included; NaNs become quiet with their sign", () => {
  const asFloat = float16ToFloat32(ALL_HALVES);
  const back = float32ToFloat16(asFloat);
  for (let h = 0; h < 65536; h++) {
    const isNan = (h & 0x7c00) === 0x7c00 && (h & 0x03ff) !== 0;
    assert.equal(back[h], isNan ? (h & 0x8000) | 0x7e00 : h, `f16 ${h.toString(16)}`);
  }
  assert.equal(asFloat[0x0001], 2 ** -24);
  assert.equal(asFloat[0x03ff], 1023 * 2 ** -24);
  assert.equal(asFloat[0x7bff], 65504);
  assert.ok(Object.is(asFloat[0x8000], -0));
});

interface HalfFormat {
  name: string;
  /** Significand bits, the implicit one included. */
  precision: number;
  /** Exponent of the smallest normal value. */
  minExponent: number;
  maxFinite: number;
  encode(values: Float32Array): Uint16Array;
  decode(halves: Uint16Array): Float32Array;
}

const BF16: HalfFormat = {
  name: "bf16", precision: 8, minExponent: -126, maxFinite: 3.3895313892515355e38, encode: float32ToBfloat16, decode: bfloat16ToFloat32,
};
const F16: HalfFormat = {
  name: "f16", precision: 11, minExponent: -14, maxFinite: 65504, encode: float32ToFloat16, decode: float16ToFloat32,
};

/**
 * The value a float32 rounds to, computed in float64 arithmetic rather than on
 * bits: |x| in units of the format's spacing at x's exponent (exact, a power of
 * two), rounded half to even, and infinity past the largest finite value.
 */
function nearestEven(x: number, bits: number, format: HalfFormat): number {
  const exponent = Math.max(((bits >>> 23) & 0xff) - 127, format.minExponent);
  const spacing = 2 ** (exponent - (format.precision - 1));
  const units = Math.abs(x) / spacing;
  const floor = Math.floor(units), rest = units - floor;
  const rounded = (rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor) * spacing;
  const magnitude = rounded > format.maxFinite ? Infinity : rounded;
  return bits >>> 31 ? -magnitude : magnitude;
}

test("float32 -> bfloat16 and binary16 round to nearest, ties to even, on random and tie values", () => {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const bits = new Uint32Array(20000);
  for (let i = 0; i < bits.length; i++) {
    // Exponents around the binary16 range (its subnormals and overflow), with
    // mantissas that often sit exactly on a tie of either format; and values
    // around bfloat16's largest finite one.
    const top = random() < 0.1, kind = random();
    const exponent = top ? 254 : 127 - 30 + Math.floor(random() * 50);
    const mantissa = top ? 0x7f0000 | Math.floor(random() * 0x10000)
      : kind < 0.3 ? (Math.floor(random() * 1024) << 13) | 0x1000
      : kind < 0.5 ? (Math.floor(random() * 128) << 16) | 0x8000
      : Math.floor(random() * 2 ** 23);
    bits[i] = (((random() < 0.5 ? 1 : 0) << 31) | (exponent << 23) | mantissa) >>> 0;
  }
  const values = new Float32Array(bits.buffer);
  for (const format of [BF16, F16]) {
    const got = format.decode(format.encode(values));
    let ties = 0, infinities = 0;
    for (let i = 0; i < values.length; i++) {
      const want = nearestEven(values[i], bits[i], format);
      assert.ok(Object.is(got[i], want), `${format.name}: ${values[i]} -> ${got[i]}, expected ${want}`);
      const spacing = 2 ** (Math.max(((bits[i] >>> 23) & 0xff) - 127, format.minExponent) - (format.precision - 1));
      if ((Math.abs(values[i]) / spacing) % 1 === 0.5) ties++;
      if (!Number.isFinite(want)) infinities++;
    }
    // The sample really holds ties and overflows of this format for the check above to judge.
    assert.ok(ties > 1000 && infinities > 100, `${format.name}: ${ties} ties, ${infinities} overflows`);
  }
});

test("binary16 overflow, underflow and specials", () => {
  const values = Float32Array.of(65519, 65520, -65520, 2 ** -25, 3 * 2 ** -26, 2 ** -26, Infinity, -Infinity, NaN, -0);
  assert.deepEqual(Array.from(float32ToFloat16(values)), [0x7bff, 0x7c00, 0xfc00, 0x0000, 0x0001, 0x0000, 0x7c00, 0xfc00, 0x7e00, 0x8000]);
  assert.deepEqual(Array.from(float32ToBfloat16(Float32Array.of(1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4028234663852886e38, -0, Infinity))), [
    0x3f80, 0x3f82, 0x7f80, 0x8000, 0x7f80,
  ]);
});

test("conversion targets must match the source length", () => {
  assert.throws(() => float32ToBfloat16(new Float32Array(3), new Uint16Array(2)), /3 values into 2 slots/);
});
