import { test } from "node:test";
import assert from "node:assert/strict";
import { PromptOrder } from "../../src/train/order.js";
import type { PromptItem } from "../../src/train/prompts.js";

const prompts: PromptItem[] = Array.from({ length: 10 }, (_, i) => ({
  example: { id: `p${i}`, prompt: `${i}`, answer: "", columns: {}, reward: "x", source: { file: "f", row: i } }, text: `${i}`, ids: [i],
}));
const ids = (batch: PromptItem[]) => batch.map((p) => p.example.id);

test("the prompt order visits every prompt once per epoch, in a seeded shuffle, and resumes at any step", () => {
  const order = new PromptOrder(prompts, 4, 7);
  const steps = Array.from({ length: 5 }, () => ids(order.next()));
  const flat = steps.flat();
  assert.deepEqual([...flat.slice(0, 10)].sort(), prompts.map((p) => p.example.id).sort(), "the first epoch is a permutation");
  assert.deepEqual([...flat.slice(10, 20)].sort(), prompts.map((p) => p.example.id).sort(), "so is the second");
  assert.notDeepEqual(flat.slice(0, 10), flat.slice(10, 20), "each epoch has its own shuffle");
  assert.deepEqual(ids(new PromptOrder(prompts, 4, 7, null, 3).next()), steps[3], "starting at step 3 gives step 3's prompts");
  assert.notDeepEqual(ids(new PromptOrder(prompts, 4, 8).next()), steps[0], "another seed, another order");
  assert.equal(order.epochs, 2);
});

test("a run that leaves prompts out visits the others in the same order, without them", () => {
  const keep = new Set(["p1", "p3", "p4", "p8"]);
  const full = new PromptOrder(prompts, 4, 7);
  const everything = Array.from({ length: 10 }, () => ids(full.next())).flat(); // four epochs
  const filtered = new PromptOrder(prompts, 4, 7, keep);
  const kept = Array.from({ length: 4 }, () => ids(filtered.next())).flat();
  assert.deepEqual(kept, everything.filter((id) => keep.has(id)).slice(0, 16));
  assert.throws(() => new PromptOrder(prompts, 4, 7, new Set(["nothing"])), /no training prompts/);
});
