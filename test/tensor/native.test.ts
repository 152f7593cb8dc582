import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { native } from "../../src/tensor/native.js";

test("native alloc/free is counted in live and peak bytes", () => {
  const stats = new Float64Array(3);
  native.memoryStats(stats);
  const before = stats[0];
  const p = native.alloc(4096);
  native.memoryStats(stats);
  assert.equal(stats[0], before + 4096);
  assert.ok(stats[1] >= before + 4096);
  native.free(p);
  native.memoryStats(stats);
  assert.equal(stats[0], before);
});

test("freed blocks are cached by size class and reused; live bytes count only blocks in use", () => {
  const stats = new Float64Array(4);
  native.releaseCache();
  native.memoryStats(stats);
  const [live] = stats;
  const p = native.alloc(10_000);
  native.free(p);
  native.memoryStats(stats);
  assert.equal(stats[0], live);
  assert.ok(stats[3] >= 10_000 && stats[3] <= 10_000 * 1.125, `cached ${stats[3]}`);
  const q = native.alloc(9_990); // the same size class
  assert.equal(q, p);
  native.memoryStats(stats);
  assert.equal(stats[0], live + 9_990);
  assert.equal(stats[3], 0);
  native.free(q);
  native.releaseCache();
  native.memoryStats(stats);
  assert.equal(stats[3], 0);
});

test("blocks of 4 MiB and more (mapped on their own) hold data, are counted and are cached like small ones", () => {
  const stats = new Float64Array(4);
  native.releaseCache();
  native.memoryStats(stats);
  const [live] = stats;
  const bytes = 5 << 20;
  const p = native.alloc(bytes);
  native.memoryStats(stats);
  assert.equal(stats[0], live + bytes);
  assert.equal(p % 64, 0);
  native.copyIn(p, 0, new Float32Array([1, 2]));
  native.copyIn(p, bytes - 8, new Float32Array([3, 4]));
  const out = new Float32Array(2);
  native.copyOut(p, bytes - 8, out);
  assert.deepEqual(Array.from(out), [3, 4]);
  native.free(p);
  native.memoryStats(stats);
  assert.equal(stats[0], live);
  assert.ok(stats[3] >= bytes && stats[3] <= bytes * 1.125, `cached ${stats[3]}`);
  const q = native.alloc(bytes - 1000); // the same size class
  assert.equal(q, p);
  native.copyOut(q, 0, out);
  assert.deepEqual(Array.from(out), [1, 2]);
  native.free(q);
  native.releaseCache();
  native.memoryStats(stats);
  assert.equal(stats[3], 0);
});

test("copyIn/copyOut round-trip through native memory", () => {
  const p = native.alloc(16);
  native.copyIn(p, 0, new Float32Array([1, 2, 3, 4]));
  const out = new Float32Array(2);
  native.copyOut(p, 8, out);
  assert.deepEqual(Array.from(out), [3, 4]);
  native.free(p);
});

test("the thread pool has a thread per core the process may run on, or ASTARPO_THREADS of them", () => {
  const override = Number.parseInt(process.env.ASTARPO_THREADS ?? "", 10);
  assert.equal(native.threads(), override > 0 ? override : availableParallelism());
  const threadsWith = (value: string): string => spawnSync(process.execPath, ["-e", "console.log(require('./build/Release/astarpo.node').threads())"], {
    env: { ...process.env, ASTARPO_THREADS: value }, encoding: "utf8", timeout: 30_000,
  }).stdout.trim();
  assert.equal(threadsWith("3"), "3");
  assert.equal(threadsWith("0"), String(availableParallelism()), "a count that is not positive is ignored");
});
