import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatedKernelSources } from "../../scripts/gen-kernels.js";
import { packageRoot } from "../../src/io/package-root.js";
import { cpu } from "../../src/tensor/cpu.js";
import { kernelNamesOf, kernelSignatures, sharedKernelNames, UnaryOp } from "../../src/tensor/kernels.js";
import { loadAddon, native } from "../../src/tensor/native.js";

/** A kernel called with arguments its type refuses: what a caller in plain JavaScript could do. */
function untyped(kernel: unknown): (...args: unknown[]) => unknown {
  return kernel as (...args: unknown[]) => unknown;
}

test("the committed generated kernel sources are what the kernel table makes (npm run gen:kernels)", () => {
  for (const [path, text] of Object.entries(generatedKernelSources())) {
    assert.equal(readFileSync(join(packageRoot(), path), "utf8"), text, `${path} is out of date: run npm run gen:kernels`);
  }
});

test("the CPU addon was built from the table, and the CPU backend binds every shared kernel to it", () => {
  assert.equal(native.kernelSignatures(), kernelSignatures("cpu"));
  for (const name of kernelNamesOf("cpu")) assert.equal(typeof (native as Record<string, unknown>)[name], "function", name);
  for (const name of sharedKernelNames()) {
    if (name === "memoryStats" || name === "copyIn" || name === "copyOut") continue;
    assert.equal(cpu[name], native[name], name);
  }
});

test("an addon built from another table is refused, naming the first kernel that differs", () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-addon-"));
  try {
    const stale = kernelSignatures("cpu").replace("unary(", "unary(int>=0 extra, ");
    const path = join(dir, "stale.cjs");
    writeFileSync(path, `exports.kernelSignatures = () => ${JSON.stringify(stale)};`);
    assert.throws(() => loadAddon(path, "cpu"), /built from another kernel table \(the table has unary\(UnaryOp.*, the addon unary\(int>=0 extra/);
    const empty = join(dir, "empty.cjs");
    writeFileSync(empty, "module.exports = {};");
    assert.throws(() => loadAddon(empty, "cpu"), /built from another kernel table \(the table has alloc\(.*the addon nothing\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a kernel refuses too few or too many arguments, naming itself and the arguments it takes", () => {
  assert.throws(() => untyped(native.unary)(UnaryOp.Exp, 64, 64), (e: Error) =>
    e instanceof TypeError && e.message === "unary: expected 4 arguments (op, x, out, n), got 3");
  assert.throws(() => untyped(native.free)(), /free: expected 1 argument \(addr\), got 0/);
  assert.throws(() => untyped(native.noop)(1), /noop: expected 0 arguments \(\), got 1/);
});

test("a wrong type, a null address, a fraction, an out-of-range enum or a host array shorter than its count is an error naming the kernel and argument", () => {
  const p = native.alloc(64);
  try {
    assert.throws(() => untyped(native.unary)(UnaryOp.Exp, "64", p, 1), (e: Error) =>
      e instanceof TypeError && e.message === "unary: argument x (#2) must be an address, got string");
    assert.throws(() => native.unary(UnaryOp.Exp, 0, p, 1), (e: Error) =>
      e instanceof RangeError && e.message === "unary: argument x (#2) is a null address");
    assert.throws(() => native.unary(UnaryOp.Exp, p, p, 1.5), /unary: argument n \(#4\) must be an integer >= 0, got 1\.5/);
    assert.throws(() => native.unary(12 as UnaryOp, p, p, 1), (e: Error) =>
      e instanceof RangeError && /^unary: argument op \(#1\) must be a UnaryOp \(0 Neg, 1 Exp, .*8 Abs\), got 12$/.test(e.message));
    assert.throws(() => native.sum(p, 1, 2 as 0 | 1), /sum: argument squares \(#3\) must be 0 or 1, got 2/);
    assert.throws(() => untyped(native.gatherRows)(p, new Float32Array(1), p, 1, 4), (e: Error) =>
      e instanceof TypeError && e.message === "gatherRows: argument indices (#2) must be an Int32Array, got another typed array");
    assert.throws(() => untyped(native.attentionForward)(p, p, p, p, 0, 1, 1, 1, 1, 1, 4, 1, 1, 0, 0), /attentionForward: argument qPos \(#13\) must be an Int32Array or 0, got number/);
    assert.throws(() => untyped(native.copyIn)(p, 0, [1, 2]), /copyIn: argument data \(#3\) must be a typed array or DataView, got object/);
    assert.throws(() => native.gatherRows(p, Int32Array.of(0), p, 2, 4), (e: Error) =>
      e instanceof RangeError && e.message === "gatherRows: argument indices (#2) holds 1 entries, fewer than count = 2");
    assert.throws(() => native.sampleRows(p, 2, 4, 1, new Float64Array(2), new Int32Array(2), new Float32Array(1)),
      /^RangeError: sampleRows: argument logprobs \(#7\) holds 1 entries, fewer than rows = 2$/);
  } finally {
    native.free(p);
  }
});

test("an error a kernel raises itself is prefixed by its name", () => {
  const p = native.alloc(64);
  try {
    assert.throws(() => native.writeRows(p, p, 1, 2, 2, 4, Int32Array.of(1)), /^Error: writeRows: rows past the end of the destination$/);
    assert.throws(() => native.setIsa("sse"), /setIsa: expected avx512, avx2 or portable/);
  } finally {
    native.free(p);
  }
});
