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

/** Checks that `h` is the nearest value to `x` among all finite 16-bit values of its sign, ties to the even one. */
function assertNearestEven(x: number, h: number, decode: (bits: number) => number, maxFinite: number, label: string): void {
  const got = decode(h);
  if (Math.abs(x) >= maxFinite * 2) {
    assert.equal(Math.abs(got), Infinity, label);
    return;
  }
  for (const neighbour of [h - 1, h + 1]) {
    const other = decode(neighbour & 0xffff);
    if (!Number.isFinite(other) || Math.sign(other) * Math.sign(got) < 0) continue;
    const mine = Math.abs(x - got);
    const theirs = Math.abs(x - other);
    assert.ok(mine <= theirs || !Number.isFinite(got), `${label}: ${x} -> ${got}, but ${other} is nearer`);
    if (mine === theirs) assert.equal(h & 1, 0, `${label}: tie ${x} must round to the even neighbour`);
  }
}

test("float32 -> bfloat16 and binary16 round to nearest, ties to even, on random and tie values", () => {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const bits = new Uint32Array(20000);
  for (let i = 0; i < bits.length; i++) {
    // Exponents around the binary16 range, with a mantissa that often lands exactly on a tie.
    const exponent = 127 - 30 + Math.floor(random() * 50);
    const mantissa = random() < 0.3 ? (Math.floor(random() * 1024) << 13) | 0x1000 : Math.floor(random() * 2 ** 23);
    bits[i] = ((random() < 0.5 ? 1 : 0) << 31) | (exponent << 23) | mantissa;
  }
  const values = new Float32Array(bits.buffer);
  const bf16 = float32ToBfloat16(values);
  const f16 = float32ToFloat16(values);
  const one = new Uint16Array(1);
  const decodeBf16 = (h: number) => bfloat16ToFloat32(Uint16Array.of(h))[0];
  const decodeF16 = (h: number) => float16ToFloat32((one[0] = h, one))[0];
  for (let i = 0; i < values.length; i++) {
    assertNearestEven(values[i], bf16[i], decodeBf16, 3.3895313892515355e38, "bf16");
    assertNearestEven(values[i], f16[i], decodeF16, 65504, "f16");
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
