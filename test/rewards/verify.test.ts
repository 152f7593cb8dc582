import { test } from "node:test";
import assert from "node:assert/strict";
import { verifyAnswer, verifyResponse } from "../../src/rewards/index.js";
import { main } from "../../src/cli/main.js";

test("verdicts carry a reason, the parsed gold, the extracted answer and the work spent", () => {
  const { steps, ...verdict } = verifyResponse("\\frac{1}{2}", "so \\boxed{0.5}");
  assert.deepEqual(verdict, { verdict: true, reason: "exact", goldParsed: "1/2", predExtracted: "0.5" });
  assert.ok(Number.isInteger(steps) && steps > 0 && steps < 1000, `steps ${steps}`);
  const unparsed = verifyAnswer("2", "\\frac{1}{");
  assert.equal(unparsed.verdict, null);
  assert.equal(unparsed.reason, "pred-unparsed");
  assert.match(unparsed.detail ?? "", /expected/);
  assert.equal(verifyAnswer("\\frac{", "2").reason, "gold-unparsed");
  assert.equal(verifyResponse("2", "\\boxed{2}", { finished: false }).reason, "unfinished");
  assert.equal(verifyResponse("2", "\\boxed{2}", { finished: false, requireFinished: false }).verdict, true);
});

test("an exhausted budget gives a null verdict with its reason, never a guess", () => {
  const tiny = verifyAnswer("x^{20}+x^{19}+x^{18}", "x^{18}(x^2+x+1)", { budget: { maxSteps: 30 } });
  assert.equal(tiny.verdict, null);
  assert.equal(tiny.reason, "budget");
  assert.equal(verifyAnswer("x^{20}+x^{19}+x^{18}", "x^{18}(x^2+x+1)").verdict, true);
  const rivals = verifyResponse("5", "\\boxed{5}. Wait, no. \\boxed{5}\nThe answer is " + "1+".repeat(600) + "1.", { budget: { maxSteps: 40 } });
  assert.deepEqual([rivals.verdict, rivals.reason], [null, "hedged"], "a rival left unjudged by the budget leaves the verdict open");
  const slow = verifyAnswer("1", "3000! - 3000! + 1", { budget: { maxMs: 0 } });
  assert.equal(slow.verdict, null);
  assert.equal(slow.reason, "budget");
  assert.equal(verifyAnswer("1", "3000! - 3000! + 1").verdict, true);
});

test("the relative tolerance is an option", () => {
  assert.equal(verifyAnswer("\\pi", "3.14159").verdict, false);
  assert.equal(verifyAnswer("\\pi", "3.14159", { relTol: 1e-5 }).verdict, true);
});

test("verdicts are deterministic and the gold cache does not change them", () => {
  const first = verifyAnswer("\\frac{x^2-1}{x-1}", "x+1");
  for (let i = 0; i < 3; i++) assert.deepEqual(verifyAnswer("\\frac{x^2-1}{x-1}", "x+1"), first);
});

async function cli(args: string[]): Promise<string> {
  const write = process.stdout.write;
  let out = "";
  // The test runner's own reporter writes binary frames to stdout meanwhile: keep only text.
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
    typeof chunk === "string" ? ((out += chunk), true) : (write as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest)) as typeof process.stdout.write;
  try {
    await main(["node", "astarpo", "verify", ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test("astarpo verify --gold --pred prints true, false or null", async () => {
  assert.equal(await cli(["--gold", "\\dfrac{\\pi}{2}", "--pred", "The answer is pi/2."]), "true\n");
  assert.equal(await cli(["--gold", "1331 and 1728", "--pred", "\\boxed{1728}"]), "false\n");
  assert.equal(await cli(["--gold", "5", "--pred", "\\boxed{\\frac{1}{}}"]), "null\n");
  assert.equal(await cli(["--gold", "5", "--pred", "\\boxed{\\frac{}"]), "false\n", "a box never closed is no answer");
  assert.equal(await cli(["--gold", "#### 18", "--pred", "#### 18.0", "--strictness", "gsm8k-paper"]), "true\n");
  const explained = JSON.parse(await cli(["--gold", "x=1", "--pred", "1", "--explain"]));
  assert.deepEqual(explained, { verdict: true, reason: "exact", gold_parsed: "x = 1", pred_extracted: "1" });
  await assert.rejects(() => cli(["--gold", "1"]), /give --gold and --pred/);
  await assert.rejects(() => cli(["--gold", "1", "--pred", "1", "--strictness", "loose"]), /--strictness loose/);
});

test("astarpo verify --cases reads any JSONL and names the bad row", async () => {
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "verify-"));
  const file = join(dir, "cases.jsonl");
  writeFileSync(file, '{"gold": 5, "pred": "\\\\boxed{5}", "source": "x"}\n\n{"gold": "1/2", "pred": "0.6", "expected": false}\n');
  const lines = (await cli(["--cases", file])).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  assert.equal(lines[0].verdict, true);
  assert.equal(lines[1].verdict, false);
  assert.deepEqual(lines[2].summary, {
    rows: 2, true: 1, false: 1, null: 0,
    expected: { rows: 1, accuracy: 1, false_positives: 0, false_negatives: 0, precision: 1, recall: 1 },
  });
  writeFileSync(file, [
    '{"gold": "9", "pred": "\\\\boxed{9}\\nQ: is it 7 or 9? The answer is 7.", "prompt": "Q: is it 7 or 9? The answer is 7.", "expected": true, "group": "a"}',
    '{"gold": "9", "pred": "\\\\boxed{9}", "expected": true, "group": "b"}',
    '{"gold": "9", "pred": "\\\\boxed{8}", "expected": true, "group": "b"}',
  ].join("\n"));
  const grouped = (await cli(["--cases", file])).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(grouped[0].verdict, true, "the answer in the copied prompt is not the response's");
  assert.deepEqual(grouped[3].summary.groups, {
    a: { rows: 1, accuracy: 1, false_positives: 0, false_negatives: 0, precision: 1, recall: 1 },
    b: { rows: 2, accuracy: 0.5, false_positives: 0, false_negatives: 1, precision: 1, recall: 0.5 },
  });
  writeFileSync(file, '{"gold": "1", "pred": "1", "prompt": 3}\n');
  await assert.rejects(() => cli(["--cases", file]), /cases.jsonl:1: "prompt" must be a string/);
  writeFileSync(file, '{"gold": "1", "pred": "1"}\n{"gold": "1"}\n');
  await assert.rejects(() => cli(["--cases", file]), /cases.jsonl:2: missing key "pred"/);
  writeFileSync(file, "{not json}\n");
  await assert.rejects(() => cli(["--cases", file]), /cases.jsonl:1: not valid JSON/);
  writeFileSync(file, '{"gold": "1", "pred": "1", "expected": "yes"}\n');
  await assert.rejects(() => cli(["--cases", file]), /"expected" must be true, false or null/);
});
