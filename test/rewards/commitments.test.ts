import { test } from "node:test";
import assert from "node:assert/strict";
import { committedAnswer } from "../../src/rewards/commitments.js";
import { AUTO_EXTRACT, verifyResponse } from "../../src/rewards/index.js";

const commit = (text: string, prompt?: string) => committedAnswer(text, AUTO_EXTRACT, { prompt });

test("boxes side by side are one answer of several values, in order, repeats dropped", () => {
  assert.equal(commit("x = \\boxed{2} or x = \\boxed{3}")?.answer, "2; 3");
  assert.equal(commit("$\\boxed{1}$, $\\boxed{-2}$")?.answer, "1; -2");
  assert.equal(commit("\\boxed{5}\\boxed{5}")?.answer, "5");
  assert.deepEqual(commit("so \\boxed{2}. Later, maybe \\boxed{5}")?.answers, ["2", "5"]);
});

test("a later answer overrides the earlier ones only where the text says so", () => {
  assert.deepEqual(commit("\\boxed{41}. Wait, I made an error: \\boxed{42}")?.answers, ["42"]);
  assert.deepEqual(commit("<think>\\boxed{3}</think> So \\boxed{4}")?.answers, ["4"]);
  assert.deepEqual(commit("\\boxed{3}. Actually, the answer is 5.")?.answers, ["5"]);
  assert.equal(commit("\\boxed{3}. Actually, the answer is 5.")?.strategy, "answer-is");
  assert.deepEqual(commit("\\boxed{3}\n\nAnswer: 5")?.answers, ["3", "5"]);
  assert.deepEqual(commit("\\boxed{3}. The answer is 3.")?.answers, ["3"]);
  assert.deepEqual(commit("The answer is 4 and the answer is 5.")?.answers, ["4", "5"]);
  assert.deepEqual(commit("Answer: The final answer is a.")?.answers, ["a"]);
});

test("prose before the last box leads up to it; answers in a copied prompt or a long quotation are not the response's", () => {
  assert.deepEqual(commit("We know the answer is an integer, so it is \\boxed{5}")?.answers, ["5"]);
  assert.deepEqual(commit("Answer: The final answer is $28$. I hope it is correct.")?.answers, ["28"]);
  const prompt = "Which is larger, 7 or 12? The answer is 12 according to the key.";
  assert.equal(commit(`${prompt}\nI think \\boxed{7}`, prompt)?.answer, "7");
  assert.deepEqual(commit(`${prompt}\nI think \\boxed{7}`, prompt)?.answers, ["7"]);
  assert.deepEqual(commit('So \\boxed{6}. The hint warns: "a careless reader says the answer is 12."')?.answers, ["6"]);
  assert.deepEqual(commit("So \\boxed{6}. A careless reader says the answer is 12.")?.answers, ["6", "12"]);
});

test("a box that never closes is no boxed answer", () => {
  assert.equal(committedAnswer("\\boxed{5} and then \\boxed{6", ["boxed"]), null);
  assert.equal(committedAnswer("\\boxed{\\boxed{5}", ["boxed"]), null);
});

test("a closing statement yields its value; a bare answer is left to the whole text", () => {
  const expected: Array<[string, string | null]> = [
    ["Multiplying out, so the probability is 3/5.", "3/5"],
    ["Thus $y = 2+2+3 = 7$. I hope it is correct.", "y = 2+2+3 = 7"],
    ["Therefore $x \\geq 5$ is the solution.", "x \\geq 5"],
    ["The solutions are $x = -1$ and $x = 5$.", "x = -1; x = 5"],
    ["So the total is 1,250 dollars.", "1,250 dollars"],
    ["Great, so the area is a^2+2ab+b^2.", "a^2+2ab+b^2"],
    ["Comparing them all, the correct choice is (E).", "(E)"],
    ["There are 5 apples left.", null],
    ["What is 3+4?", null],
    ["3/5", null],
  ];
  for (const [text, value] of expected) assert.equal(committedAnswer(text, ["final-statement"])?.answer ?? null, value, text);
});

test("hedging between different answers is not rewarded; the same answer twice is fine", () => {
  const check = (gold: string, response: string) => verifyResponse(gold, response, { extract: AUTO_EXTRACT });
  assert.deepEqual([check("3", "\\boxed{3}\n\nAnswer: 5").verdict, check("3", "\\boxed{3}\n\nAnswer: 5").reason], [false, "hedged"]);
  assert.equal(check("3", "\\boxed{3}\n\nAnswer: 5").detail, "5");
  assert.equal(check("5", "\\boxed{2} or \\boxed{5}").verdict, false);
  assert.equal(check("\\frac12", "\\boxed{\\frac12}. The answer is 0.5.").verdict, true);
  assert.equal(check("5", "\\boxed{5}. I checked, and the answer is correct.").verdict, true);
  assert.equal(check("2, 3", "One root is \\boxed{2}; substituting back, the other is \\boxed{3}.").verdict, true);
  assert.equal(check("(1, 2)", "First p = \\boxed{1}, and then from the second equation q = \\boxed{2}.").verdict, true);
  assert.equal(check("(2, 1)", "First p = \\boxed{1}, and then from the second equation q = \\boxed{2}.").verdict, false);
});

test("mathAccuracy ignores answers inside a copy of the prompt", async () => {
  const { mathAccuracy } = await import("../../src/rewards/index.js");
  const prompt = "Problem: 2+2=? A student wrote \\boxed{4} but was unsure.";
  const reward = mathAccuracy();
  const scores = await reward({
    prompts: [prompt, prompt],
    completions: [
      { text: `${prompt}`, tokenIds: [1], finished: true },
      { text: "It is \\boxed{4}", tokenIds: [1], finished: true },
    ],
    columns: [{ answer: "4" }, { answer: "4" }],
  });
  assert.deepEqual(scores, [0, 1]);
});
