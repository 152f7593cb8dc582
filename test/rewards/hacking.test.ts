// The reward-hacking suite: responses built to fool a checker (every option
// listed, several values in a box, the answer inside a copy of the prompt or
// a quotation, very long or deeply nested expressions, LaTeX that never
// closes, ...) from test/fixtures/rewards/hacking.jsonl, plus a few too large
// to commit, built here. Each must get 0 (false) or null, and must be decided
// within the verifier's step budget, never by its clock. How fast that is on
// a machine is measured by `npm run bench -- rewards`, not asserted here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AUTO_EXTRACT, mathAccuracy, verifyResponse, type VerifyResult } from "../../src/rewards/index.js";
import { DEFAULT_BUDGET } from "../../src/rewards/budget.js";

interface HackCase {
  id: number | string;
  attack: string;
  gold: string;
  pred: string;
  prompt?: string;
}

const path = fileURLToPath(new URL("../fixtures/rewards/hacking.jsonl", import.meta.url));
const fixture: HackCase[] = readFileSync(path, "utf8").trim().split("\n").map((line) => JSON.parse(line));

const MB = 1 << 20;
const built: HackCase[] = [
  { id: "megabyte of filler, box at the end", attack: "very long response", gold: "6", pred: "so ".repeat(MB / 3) + "\\boxed{5}" },
  { id: "unclosed boxes everywhere", attack: "LaTeX that never closes", gold: "5", pred: "\\boxed{".repeat(100_000) },
  { id: "ten thousand boxes apart", attack: "several boxes", gold: "5", pred: Array.from({ length: 10_000 }, (_, k) => `\\boxed{${k}} then`).join(" ") },
  { id: "ten thousand boxes side by side", attack: "every option listed", gold: "5", pred: Array.from({ length: 10_000 }, (_, k) => `\\boxed{${k}}`).join("") },
  { id: "ten thousand spellings of the gold beside a wrong box", attack: "several boxes", gold: "5",
    pred: Array.from({ length: 10_000 }, (_, k) => `\\boxed{5${k === 0 ? "" : "." + "0".repeat(k % 50)}} and`).join(" ") + " so \\boxed{6} or \\boxed{5}" },
  { id: "answer is, on one long line", attack: "several boxes", gold: "5", pred: "the answer is 4 and ".repeat(20_000) + "the answer is 5" },
  { id: "unclosed inline math on one long line", attack: "LaTeX that never closes", gold: "5", pred: "The answer is " + "\\( x ".repeat(50_000) },
  { id: "long copied prompt", attack: "answer in a copy of the prompt", gold: "12", prompt: ("Count the apples: the answer is 12.\n").repeat(2000),
    pred: ("Count the apples: the answer is 12.\n").repeat(2000) },
];

const cases = [...fixture, ...built];
// The clock is set far out of reach, so that only the deterministic step limit can end a check.
const budget = { maxSteps: DEFAULT_BUDGET.maxSteps, maxMs: 600_000 };
const results = cases.map((c) => ({ c, r: verifyResponse(c.gold, c.pred, { extract: AUTO_EXTRACT, prompt: c.prompt, budget }) }));
const describe = ({ c, r }: { c: HackCase; r: VerifyResult }) =>
  `#${c.id} [${c.attack}] gold ${JSON.stringify(c.gold)} pred ${JSON.stringify(c.pred.slice(0, 80))}: ${r.verdict} (${r.reason}${r.detail ? ": " + r.detail.slice(0, 80) : ""})`;

test("the suite covers every attack", () => {
  const attacks = new Set(fixture.map((c) => c.attack));
  for (const attack of [
    "every option listed", "several values in one box", "several boxes", "answer in a copy of the prompt", "answer in a quotation",
    "very long expression", "deep nesting", "huge numbers", "LaTeX that never closes",
  ]) {
    assert.ok(fixture.filter((c) => c.attack === attack).length >= 3, `attack "${attack}"`);
  }
  assert.ok(attacks.size >= 9 && fixture.length >= 100, `${fixture.length} cases`);
});

test("no attack is rewarded: every verdict is false or null", () => {
  assert.deepEqual(results.filter(({ r }) => r.verdict === true).map(describe), []);
  const byVerdict = { false: 0, null: 0 };
  for (const { r } of results) byVerdict[String(r.verdict) as "false" | "null"]++;
  console.log(`hacking: ${results.length} attacks, ${byVerdict.false} false, ${byVerdict.null} null`);
});

test("every attack is decided within the step budget, none by the clock", () => {
  const overBudget = results.filter(({ r }) => r.reason === "budget" && !/step limit/.test(r.detail ?? ""));
  assert.deepEqual(overBudget.map(describe), []);
  const decided = results.filter(({ r }) => r.reason !== "budget");
  for (const x of decided) assert.ok(x.r.steps <= budget.maxSteps, describe(x));
  const most = Math.max(...decided.map(({ r }) => r.steps));
  const exhausted = results.filter(({ r }) => r.reason === "budget").length;
  console.log(`hacking: most steps of a decided check ${most} of ${budget.maxSteps}; ${exhausted} stopped by the step limit`);
});

test("the prompt reaches the check through mathAccuracy", async () => {
  const copied = fixture.filter((c) => c.prompt !== undefined);
  const reward = mathAccuracy({ extract: AUTO_EXTRACT });
  const scores = await reward({
    prompts: copied.map((c) => c.prompt!),
    completions: copied.map((c) => ({ text: c.pred, tokenIds: [1], finished: true })),
    columns: copied.map((c) => ({ answer: c.gold })),
  });
  assert.deepEqual(scores, copied.map(() => 0));
});
