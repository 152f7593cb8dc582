import { test } from "node:test";
import assert from "node:assert/strict";
import { Rational } from "../../src/rewards/rational.js";

const q = (n: number, d = 1) => Rational.of(BigInt(n), BigInt(d));

test("rationals stay normalised and compute exactly", () => {
  assert.equal(q(2, 4).toString(), "1/2");
  assert.equal(q(3, -6).toString(), "-1/2");
  assert.equal(q(1, 3).add(q(1, 6)).toString(), "1/2");
  assert.equal(q(1, 3).sub(q(1, 2)).toString(), "-1/6");
  assert.equal(q(2, 3).mul(q(9, 4)).toString(), "3/2");
  assert.equal(q(2, 3).div(q(4, 9)).toString(), "3/2");
  assert.equal(q(2, 3).powInt(-2n).toString(), "9/4");
  assert.throws(() => q(1, 0), RangeError);
  assert.equal(q(-7, 2).floor().toString(), "-4");
  assert.equal(q(7, 2).floor().toString(), "3");
  assert.ok(q(1, 3).compare(q(1, 2)) < 0);
});

test("decimal literals, repeating blocks and exponents are exact", () => {
  assert.equal(Rational.fromDecimal("0", "1").add(Rational.fromDecimal("0", "2")).toString(), "3/10");
  assert.equal(Rational.fromDecimal("0", "", 0, "3").toString(), "1/3");
  assert.equal(Rational.fromDecimal("0", "1", 0, "6").toString(), "1/6");
  assert.equal(Rational.fromDecimal("1", "5", -3).toString(), "3/2000");
  assert.equal(Rational.fromDecimal("6", "02", 23).toString(), "602000000000000000000000");
});

test("exact roots exist only for perfect powers", () => {
  assert.equal(q(9, 4).root(2)?.toString(), "3/2");
  assert.equal(q(-27).root(3)?.toString(), "-3");
  assert.equal(q(2).root(2), null);
  assert.equal(q(-4).root(2), null);
  assert.equal(Rational.of(10n ** 40n).root(4)?.toString(), (10n ** 10n).toString());
});

test("huge ratios convert to doubles without NaN", () => {
  let f = 1n;
  for (let k = 2n; k <= 400n; k++) f *= k;
  const r = Rational.of(f + 1n, f);
  assert.ok(Math.abs(r.toNumber() - 1) < 1e-15);
  assert.equal(Rational.of(1n, f).toNumber(), 0);
  assert.equal(Rational.of(f).toNumber(), Infinity);
  assert.ok(Math.abs(Rational.of(3n * 2n ** 2000n, 2n ** 2000n).toNumber() - 3) < 1e-15);
});
