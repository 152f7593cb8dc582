import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { SeededRandom, loadExamples, readSplitFile, shuffled, splitByList, splitBySeed } from "../../src/data/index.js";

// xoshiro128** seeded by splitmix32 (checked against the reference C code), seed 0, Fisher-Yates from the end.
const PINNED = [3, 6, 1, 5, 0, 4, 2, 9, 7, 8];

const items = Array.from({ length: 100 }, (_, i) => i);

test("a seeded shuffle is a permutation, the same for the same seed and different for another", () => {
  const a = shuffled(items, 7);
  assert.deepEqual([...a].sort((x, y) => x - y), items);
  assert.deepEqual(shuffled(items, 7), a);
  assert.notDeepEqual(shuffled(items, 8), a);
  assert.notDeepEqual(a, items);
  assert.deepEqual(items, Array.from({ length: 100 }, (_, i) => i), "the input is not touched");
  // Pinned, so that a change of generator (and of every split made with it) is noticed.
  assert.deepEqual(shuffled([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0), PINNED);
});

test("nextInt is unbiased enough to put each value in each place about equally", () => {
  const random = new SeededRandom(1);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60_000; i++) counts[random.nextInt(6)]++;
  for (const count of counts) assert.ok(Math.abs(count - 10_000) < 400, `count ${count}`);
  assert.throws(() => random.nextInt(0), /n must be an integer/);
  assert.throws(() => new SeededRandom(0.5), /seed must be an integer/);
});

test("splitBySeed: disjoint, complete, sized by fraction or count, deterministic", () => {
  const { train, test: held } = splitBySeed(items, { seed: 3, testFraction: 0.2 });
  assert.equal(held.length, 20);
  assert.equal(train.length, 80);
  assert.deepEqual([...train, ...held].sort((x, y) => x - y), items);
  assert.deepEqual(splitBySeed(items, { seed: 3, testFraction: 0.2 }).test, held);
  assert.equal(splitBySeed(items, { seed: 3, testSize: 7 }).test.length, 7);
  assert.throws(() => splitBySeed(items, { seed: 3, testFraction: 1 }), /testFraction must be between 0 and 1/);
  assert.throws(() => splitBySeed(items, { seed: 3, testSize: 101 }), /testSize must be an integer from 0 to 100/);
});

test("a split file lists test rows by index or by id; entries that match nothing are reported", async () => {
  const { examples } = await loadExamples(join("test", "fixtures", "data", "gsm8k.jsonl"), { task: "gsm8k" });
  const entries = await readSplitFile(join("test", "fixtures", "data", "gsm8k-test-split.txt"));
  assert.deepEqual(entries, ["0", "5", "17"]);
  const byRow = splitByList(examples, entries);
  assert.deepEqual(byRow.test.map((e) => e.source.row), [0, 5, 17]);
  assert.equal(byRow.train.length, 21);
  assert.deepEqual(byRow.unmatched, []);
  const byId = splitByList(examples, [examples[3].id, "gsm8k:3:000000000000", "99"]);
  assert.deepEqual(byId.test.map((e) => e.source.row), [3]);
  assert.deepEqual(byId.unmatched, ["gsm8k:3:000000000000", "99"]);
  await assert.rejects(readSplitFile("no/such/split.txt"), /no\/such\/split\.txt: cannot read/);
});
