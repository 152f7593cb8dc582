import { test } from "node:test";
import assert from "node:assert/strict";
import {
  answerFormat, combineRewards, gsm8kAccuracy, mathAccuracy, patternFormat, rewardPerItem, scoreBatch, VerdictCounts,
  type RewardBatch,
} from "../../src/rewards/index.js";

function batch(texts: string[], columns: Array<Record<string, unknown>>, finished: boolean[] = texts.map(() => true)): RewardBatch {
  return {
    prompts: texts.map(() => "Q"),
    completions: texts.map((text, i) => ({ text, tokenIds: [1, 2, 3], finished: finished[i] })),
    columns,
  };
}

test("rewardPerItem passes completion, columns, prompt and index, and stays synchronous", async () => {
  const seen: unknown[] = [];
  const fn = rewardPerItem((c, columns, prompt, index) => {
    seen.push([c.text, columns.k, prompt, index]);
    return c.tokenIds.length + index;
  });
  const out = fn(batch(["a", "b"], [{ k: 1 }, { k: 2 }]));
  assert.ok(Array.isArray(out));
  assert.deepEqual(out, [3, 4]);
  assert.deepEqual(seen, [["a", 1, "Q", 0], ["b", 2, "Q", 1]]);
  const asyncFn = rewardPerItem(async (c) => (c.text === "a" ? 1 : null));
  assert.deepEqual(await asyncFn(batch(["a", "b"], [{}, {}])), [1, null]);
  assert.throws(() => fn({ prompts: ["Q"], completions: [], columns: [] }), /1 prompts/);
});

test("async item rewards run at most `concurrency` at a time, in order of their items", async () => {
  let running = 0, most = 0;
  const fn = rewardPerItem(async (c, _columns, _prompt, index) => {
    running++;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 5 * (index % 3)));
    running--;
    return c.text.length;
  }, { concurrency: 3 });
  const texts = Array.from({ length: 10 }, (_, i) => "x".repeat(i));
  assert.deepEqual(await fn(batch(texts, texts.map(() => ({})))), texts.map((t) => t.length));
  assert.equal(most, 3);
  assert.throws(() => rewardPerItem(() => 1, { concurrency: 0 }), /concurrency must be a positive integer/);
});

test("a throwing or rejecting item names itself by index and prompt id; the others are told to stop", async () => {
  const withIds = (texts: string[]): RewardBatch => ({ ...batch(texts, texts.map(() => ({}))), ids: texts.map((_, i) => `data:${i}:abc`) });
  const sync = rewardPerItem((c) => { if (c.text === "bad") throw new Error("no parse"); return 1; }, { name: "schema" });
  assert.throws(() => sync(withIds(["ok", "bad"])), /^RewardError: schema: completion 1 \(prompt data:1:abc\) threw: no parse$/);
  const aborted: number[] = [];
  const rejecting = rewardPerItem(async (c, _columns, _prompt, index, signal) => {
    if (c.text === "bad") throw new Error("judge said 500");
    await new Promise((resolve) => { signal.addEventListener("abort", resolve); setTimeout(resolve, 2000); });
    if (signal.aborted) aborted.push(index);
    return 1;
  });
  await assert.rejects(async () => rejecting(withIds(["slow", "slow", "bad", "slow"])), /^RewardError: reward: completion 2 \(prompt data:2:abc\) failed: judge said 500$/);
  assert.deepEqual(aborted.sort(), [0, 1, 3], "items in flight were aborted and awaited before the error");
  await assert.rejects(async () => scoreBatch(() => [1, Infinity], withIds(["a", "b"]), "r"), /r: value Infinity at completion 1 \(prompt data:1:abc\)/);
});

test("an async item past timeoutMs fails its batch, or scores null with onTimeout null; its signal is aborted", async () => {
  let sawAbort = false;
  const slow = (c: { text: string }, signal: AbortSignal) => new Promise<number>((resolve) => {
    if (c.text === "fast") return resolve(1);
    signal.addEventListener("abort", () => { sawAbort = true; resolve(7); });
  });
  const strict = rewardPerItem(async (c, _cols, _p, _i, signal) => slow(c, signal), { timeoutMs: 20 });
  await assert.rejects(async () => strict(batch(["fast", "hang"], [{}, {}])), /reward: completion 1 took longer than 20 ms \(timeoutMs\)/);
  assert.ok(sawAbort);
  const lenient = rewardPerItem(async (c, _cols, _p, _i, signal) => slow(c, signal), { timeoutMs: 20, onTimeout: "null" });
  assert.deepEqual(await lenient(batch(["fast", "hang", "fast"], [{}, {}, {}])), [1, null, 1]);
});

test("combineRewards sums weighted values and skips nulls; all null stays null", async () => {
  const a = rewardPerItem((c) => (c.text === "none" ? null : 1));
  const b = rewardPerItem((c) => (c.text === "x" ? 0.5 : null));
  const combined = combineRewards([{ fn: a, weight: 2 }, { fn: b, weight: -1, name: "b" }]);
  assert.deepEqual(await combined(batch(["x", "y", "none"], [{}, {}, {}])), [1.5, 2, null]);
  assert.throws(() => combineRewards([]), /no reward/);
  assert.throws(() => combineRewards([{ fn: a, weight: NaN, name: "acc" }]), /weight of acc/);
  const broken = combineRewards([{ fn: () => [1], weight: 1, name: "short" }]);
  await assert.rejects(async () => broken(batch(["x", "y"], [{}, {}])), /short: returned 1 values for 2 completions/);
  await assert.rejects(async () => scoreBatch(() => [NaN], batch(["x"], [{}]), "nan"), /nan: value NaN at completion 0/);
});

test("mathAccuracy scores boxed answers, counts verdicts and maps null to nullReward", async () => {
  const counts = new VerdictCounts();
  const reward = mathAccuracy({ counts });
  assert.equal(reward.counts, counts);
  const texts = ["so \\boxed{\\dfrac12}", "so \\boxed{3}", "so \\boxed{\\frac{1}{}}", "no box at all", "cut \\boxed{0.5}"];
  const rows = texts.map(() => ({ answer: "\\frac{1}{2}" }));
  assert.deepEqual(await reward(batch(texts, rows, [true, true, true, true, false])), [1, 0, 0, 0, 0]);
  const s = counts.take();
  assert.deepEqual([s.total, s.correct, s.wrong, s.undecided], [5, 1, 3, 1]);
  assert.deepEqual(s.byReason, { exact: 1, different: 1, "pred-unparsed": 1, "no-answer": 1, unfinished: 1 });
  assert.equal(counts.snapshot().total, 0);

  const passNull = mathAccuracy({ nullReward: null });
  assert.deepEqual(await passNull(batch(["\\boxed{\\frac{1}{}}"], [{ answer: "1" }])), [null]);
  const fromSolution = mathAccuracy({ goldColumn: "solution" });
  assert.deepEqual(await fromSolution(batch(["\\boxed{12}"], [{ solution: "We get $\\boxed{12}$." }])), [1]);
  assert.throws(() => mathAccuracy()(batch(["\\boxed{1}"], [{ question: "?" }])), /row 0 has no gold answer/);
  assert.throws(() => mathAccuracy()(batch(["\\boxed{1}"], [{ answer: [1] }])), /row 0 column "answer" is a object/);
});

test("mathAccuracy's hendrycks strictness is the paper's string check", async () => {
  const strict = mathAccuracy({ strictness: "hendrycks" });
  const full = mathAccuracy();
  const b = batch(["\\boxed{\\dfrac12}", "\\boxed{0.75}", "\\boxed{pi/2}"], [{ answer: "\\frac{1}{2}" }, { answer: "\\frac34" }, { answer: "\\frac{\\pi}{2}" }]);
  assert.deepEqual(await strict(b), [1, 0, 0]);
  assert.deepEqual(await full(b), [1, 1, 1]);
});

test("gsm8kAccuracy is the paper's check by default: the first #### number, exactly", async () => {
  const reward = gsm8kAccuracy();
  const gold = { answer: "He pays 2 * 9 = 18.\n#### 18" };
  const texts = ["#### 18", "#### $18.00", "#### 17 then #### 18", "The answer is 18.", "#### 18"];
  assert.deepEqual(await reward(batch(texts, texts.map(() => gold), [true, true, true, true, false])), [1, 1, 0, 0, 0]);
  const lenient = gsm8kAccuracy({ strictness: "equivalent" });
  assert.deepEqual(await lenient(batch(["The answer is 18.", "\\boxed{18}"], [gold, gold])), [1, 1]);
});

test("format rewards", async () => {
  const boxed = answerFormat();
  assert.deepEqual(await boxed(batch(["\\boxed{1}", "1", "\\boxed{2}"], [{}, {}, {}], [true, true, false])), [1, 0, 0]);
  const think = patternFormat(/^<think>[\s\S]*<\/think>/g);
  assert.deepEqual(await think(batch(["<think>a</think> b", "<think>a</think> c", "b"], [{}, {}, {}])), [1, 1, 0]);
});

test("file tasks' reward names map to the accuracy rewards", async () => {
  const { ACCURACY_REWARDS } = await import("../../src/rewards/index.js");
  assert.deepEqual(await ACCURACY_REWARDS.math()(batch(["\\boxed{\\frac{2}{4}}"], [{ answer: "\\frac12" }])), [1]);
  assert.deepEqual(await ACCURACY_REWARDS.gsm8k()(batch(["#### 7"], [{ answer: "7" }])), [1]);
});
