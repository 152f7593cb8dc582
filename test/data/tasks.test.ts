import { test } from "node:test";
import assert from "node:assert/strict";
import { GSM8K_INSTRUCTION, MATH_INSTRUCTION, gsm8kFinalAnswer, gsm8kTask, mathTask } from "../../src/data/index.js";
import { lastBoxed } from "../../src/rewards/index.js";

test("the instructions are the paper's, word for word, each after one space", () => {
  assert.equal(GSM8K_INSTRUCTION, ' Let\'s think step by step and output the final answer after "####".');
  assert.equal(MATH_INSTRUCTION, " Let's think step by step and output the final answer within \\boxed{}.");
});

test("GSM8K ground truth: the number after ####, commas and $ removed", () => {
  assert.equal(gsm8kFinalAnswer("She has 3+4 = <<3+4=7>>7.\n#### 7"), "7");
  assert.equal(gsm8kFinalAnswer("#### 1,234"), "1234");
  assert.equal(gsm8kFinalAnswer("####$5.50"), "5.50");
  assert.equal(gsm8kFinalAnswer("#### -12\nmore text"), "-12");
  assert.equal(gsm8kFinalAnswer("#### twelve"), null);
  assert.equal(gsm8kFinalAnswer("no marker 12"), null);
  assert.deepEqual(gsm8kTask.groundTruth({ answer: "steps\n#### 72" }), { answer: "72" });
  // verl keeps the extracted number only.
  assert.deepEqual(gsm8kTask.groundTruth({ answer: "72" }), { answer: "72" });
  assert.deepEqual(gsm8kTask.groundTruth({ solution: "x\n#### 3,000" }), { answer: "3000" });
  assert.deepEqual(gsm8kTask.groundTruth({ answer: "about seventy" }), { field: "answer", reason: 'neither a "#### n" line nor a number: "about seventy"' });
  assert.deepEqual(gsm8kTask.groundTruth({}), { field: "answer", reason: "is missing" });
});

test("lastBoxed matches braces, takes the last box, and reads \\fbox and \\boxed 5", () => {
  assert.equal(lastBoxed("so $x = \\boxed{\\frac{1}{2}}$."), "\\frac{1}{2}");
  assert.equal(lastBoxed("\\boxed{1} then \\boxed{\\{2, 3\\}}"), "\\{2, 3\\}");
  assert.equal(lastBoxed("\\fbox{7}"), "7");
  assert.equal(lastBoxed("the answer is $\\boxed 5$"), "5");
  assert.equal(lastBoxed("\\boxed {9}"), "9");
  assert.equal(lastBoxed("\\boxed{\\frac{1}{2}"), null);
  assert.equal(lastBoxed("\\boxedx{1}"), null);
  assert.equal(lastBoxed("no box"), null);
});

test("MATH ground truth: the answer column (unboxed, without $), else the solution's last box", () => {
  assert.deepEqual(mathTask.groundTruth({ answer: "\\frac{1}{2}", solution: "\\boxed{0.5}" }), { answer: "\\frac{1}{2}" });
  assert.deepEqual(mathTask.groundTruth({ answer: "$\\sqrt{3}$" }), { answer: "\\sqrt{3}" });
  assert.deepEqual(mathTask.groundTruth({ answer: "The answer is $\\boxed{4}$" }), { answer: "4" });
  assert.deepEqual(mathTask.groundTruth({ answer: "161" }), { answer: "161" });
  assert.deepEqual(mathTask.groundTruth({ solution: "Thus $\\boxed{x^{2}}$." }), { answer: "x^{2}" });
  assert.deepEqual(mathTask.groundTruth({ solution: "no box" }), { field: "solution", reason: "has no \\boxed{...} with matching braces" });
  assert.deepEqual(mathTask.groundTruth({ answer: " $$ " }), { field: "answer", reason: "is empty" });
});
