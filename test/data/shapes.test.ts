import { test } from "node:test";
import assert from "node:assert/strict";
import { DataError, detectShape, mapRow, resolveMapping } from "../../src/data/index.js";

const source = { file: "rows.jsonl", row: 3, line: 4 };

test("shapes are detected from the columns people's exports have", () => {
  assert.equal(detectShape({ question: "q", answer: "a #### 1" }), "gsm8k");
  assert.equal(detectShape({ problem: "p", solution: "\\boxed{1}", level: "Level 1", type: "Algebra" }), "math");
  assert.equal(detectShape({ problem: "p", answer: 5, id: "2024-I-1" }), "math");
  assert.equal(detectShape({ prompt: "p", solution: "1" }), "trl");
  assert.equal(detectShape({ prompt: [{ role: "user", content: "p" }], reward_model: { ground_truth: "1" }, data_source: "x" }), "verl");
  assert.equal(detectShape({ text: "t" }), null);
});

test("the mapping uses the shape's columns the first row has; given columns override them", () => {
  const math500 = { problem: "p", solution: "s", answer: "a" };
  assert.deepEqual(resolveMapping({ values: math500, source }, "auto").mapping, { question: "problem", answer: "answer", solution: "solution" });
  const math = { problem: "p", solution: "s" };
  assert.deepEqual(resolveMapping({ values: math, source }, "auto").mapping, { question: "problem", solution: "solution" });
  const custom = { input: "q", target: "7", note: "n" };
  const resolved = resolveMapping({ values: custom, source }, "auto", { question: "input", answer: "target" });
  assert.deepEqual(resolved, { shape: "custom", mapping: { question: "input", answer: "target" } });
  // A given prompt column replaces the shape's question column.
  const overridden = resolveMapping({ values: { question: "q", answer: "#### 1", chat: [] }, source }, "auto", { prompt: "chat" });
  assert.deepEqual(overridden.mapping, { prompt: "chat", answer: "answer", solution: "answer" });
  assert.throws(
    () => resolveMapping({ values: custom, source }, "auto"),
    (error: Error) => error instanceof DataError && /rows\.jsonl:4: cannot tell the row shape from its columns \(input, target, note\)/.test(error.message),
  );
});

test("dotted columns reach nested values; a column named with a dot wins", () => {
  const values = { prompt: "p", reward_model: { ground_truth: 12 }, "meta.answer": "x" };
  assert.equal(mapRow(values, source, { prompt: "prompt", answer: "reward_model.ground_truth" }).answer, "12");
  assert.equal(mapRow({ ...values, meta: { answer: "y" } }, source, { prompt: "prompt", answer: "meta.answer" }).answer, "x");
});

test("the prompt column is left out of the columns passed on; the rest stay", () => {
  const fields = mapRow({ question: "q", answer: "#### 3", extra: [1] }, source, { question: "question", answer: "answer" });
  assert.deepEqual(fields, { question: "q", answer: "#### 3", columns: { answer: "#### 3", extra: [1] } });
});

test("bad values get errors naming the file, line and column", () => {
  const mapping = { prompt: "prompt", answer: "answer" };
  const expect = (values: Record<string, unknown>, message: RegExp): void => {
    assert.throws(() => mapRow(values, source, mapping), (error: Error) => error instanceof DataError && message.test(error.message));
  };
  expect({ answer: "1" }, /^rows\.jsonl:4, column "prompt": is missing$/);
  expect({ prompt: null }, /column "prompt": is null/);
  expect({ prompt: "  " }, /column "prompt": is empty/);
  expect({ prompt: {} }, /column "prompt": expected text, got an object/);
  expect({ prompt: [] }, /column "prompt": is an empty conversation/);
  expect({ prompt: [{ role: "user" }] }, /column "prompt": message 0 must be \{role, content\}/);
  expect({ prompt: "p", answer: [1] }, /column "answer": expected text, got a list/);
  assert.throws(
    () => mapRow({ q: [{ role: "user", content: "x" }] }, source, { question: "q" }),
    /column "q": a question must be text, got chat messages/,
  );
});
