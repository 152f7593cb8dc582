import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect, listTasks } from "../../src/cli/data.js";
import { loadExamples } from "../../src/data/index.js";
import { createCharTokenizer } from "../../src/tokenize/index.js";

const FIXTURES = join("test", "fixtures", "data");

test("data inspect shows counts, the shape, a rendered prompt and the extracted answer", async () => {
  const text = await inspect(join(FIXTURES, "gsm8k.parquet"), { task: "gsm8k", show: 1 });
  assert.match(text, /shape {5}gsm8k: question <- "question", answer <- "answer"/);
  assert.match(text, /rows {6}24 read, 24 examples, 0 skipped/);
  const lengths = (await loadExamples(join(FIXTURES, "gsm8k.parquet"), { task: "gsm8k" })).examples.map((e) => (e.prompt as string).length);
  const mean = (lengths.reduce((a, b) => a + b, 0) / lengths.length).toFixed(1);
  assert.match(text, new RegExp(`prompts {3}characters: min ${Math.min(...lengths)}, mean ${mean}, max ${Math.max(...lengths)} \\(no --tokenizer given\\)`));
  assert.match(text, /--- prompt ---\nAna picked 40 apples .* output the final answer after "####"\.\n--- answer ---\n360$/s);
  assert.equal(text.match(/^example /gm)?.length, 1);
});

test("data inspect lists skipped rows with file, line and column", async () => {
  await assert.rejects(inspect(join(FIXTURES, "gsm8k-bad.jsonl"), { task: "gsm8k" }), /:2: not valid JSON.*\n\(--on-bad-row skip/s);
  const text = await inspect(join(FIXTURES, "gsm8k-bad.jsonl"), { task: "gsm8k", onBadRow: "skip", show: 0 });
  assert.match(text, /rows {6}9 read, 3 examples, 6 skipped/);
  assert.match(text, /skipped {3}.*gsm8k-bad\.jsonl:5, column "answer": is missing/);
  assert.match(text, /skipped {3}\.\.\. and 1 more/);
});

test("with --tokenizer, prompts are counted in tokens, rendered by the chat template and filtered by length", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-tokenizer-"));
  try {
    await createCharTokenizer().save(dir);
    const text = await inspect(join(FIXTURES, "trl-chat.jsonl"), { task: "math", chat: true, tokenizer: dir, maxPromptTokens: 80, show: 1 });
    assert.match(text, /rows {6}24 read, 16 examples, 0 skipped, 8 over 80 tokens/);
    assert.match(text, /--- prompt ---\n<\|im_start\|>user\nWhat is the value of \$x\$ if \$6x \+ 2 = 2\$\?<\|im_end\|>\n<\|im_start\|>assistant\n/);
    assert.match(text, /prompts {3}tokens: min \d+, mean [\d.]+, max (\d+)\n/);
    assert.ok(Number(/max (\d+)\n/.exec(text)![1]) <= 80, "no prompt over the limit is counted");
    await assert.rejects(inspect(join(FIXTURES, "gsm8k.jsonl"), { task: "gsm8k", maxPromptTokens: 10 }), /--max-prompt-tokens needs --tokenizer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("data inspect on a built-in task shows its config, examples and that the reference solutions check", async () => {
  const text = await inspect(undefined, { task: "countdown", knob: ["count=4"], count: 50, show: 1 });
  assert.match(text, /config {4}count=4 maxNumber=20 maxTarget=100/);
  assert.match(text, /check {5}the reference solutions score 1 on 50 of 50/);
  assert.match(text, /--- reference solution ---\n(.+ = \d+\n)+#### .+$/);
  await assert.rejects(inspect("x.jsonl", { task: "arithmetic" }), /built in and reads no file/);
  await assert.rejects(inspect(undefined, { task: "gsm8k" }), /reads a data file/);
  await assert.rejects(inspect(undefined, { task: "arithmetic", knob: ["digits"] }), /--knob digits: expected NAME=VALUE/);
});

test("data tasks lists every task with its reward or knobs", () => {
  const text = listTasks();
  for (const name of ["gsm8k", "math", "arithmetic", "countdown"]) assert.match(text, new RegExp(`^  ${name} `, "m"));
  assert.match(text, /digits=2: operands are drawn/);
});
