// The comparison helper every numeric test leans on: it must fail on NaN and
// infinities that the expected values do not have, wherever they sit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "./reference.js";

const close = (actual: number[], expected: number[], rtol = 1e-5, atol = 1e-6): void => assertClose(actual, expected, rtol, atol, "case");

test("assertClose fails on a NaN anywhere, even after a large difference", () => {
  assert.throws(() => close([100, NaN, 2], [1, 1, 2]), /element 1 is NaN, expected 1/);
  assert.throws(() => close([1, NaN, 2], [1, 1, 2]), /element 1 is NaN, expected 1/);
  assert.throws(() => close([NaN, 1], [1, 1]), /element 0 is NaN/);
  assert.throws(() => close([1, 1], [1, NaN]), /element 1 is 1, expected NaN/);
});

test("assertClose fails on an infinity the expected values do not have", () => {
  assert.throws(() => close([1, Infinity, 2], [1, 1, 2]), /element 1 is Infinity/);
  assert.throws(() => close([1, -Infinity], [1, Infinity]), /element 1 is -Infinity, expected Infinity/);
  assert.throws(() => close([1, 1e300], [1, Infinity]), /element 1/);
  assert.throws(() => close([NaN], [Infinity]), /element 0 is NaN/);
});

test("assertClose accepts the same NaN or infinity where expected, and values within tolerance", () => {
  close([NaN, -Infinity, Infinity, 0], [NaN, -Infinity, Infinity, -0]);
  close([1 + 5e-6, 2], [1, 2]);
  assertClose([3], [3], 0, 0, "exact with no tolerance");
  assert.throws(() => close([1 + 5e-5, 2], [1, 2]), /element 0/);
  assert.throws(() => assertClose([1e-300], [0], 0, 0, "zero tolerance"), /element 0/);
  assert.throws(() => close([1, 2], [1, 2, 3]), /length 2 vs 3/);
});
