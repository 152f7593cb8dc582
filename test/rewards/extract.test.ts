import { test } from "node:test";
import assert from "node:assert/strict";
import { cleanAnswer, extractAnswer, goldAnswer, lastBoxed, gsm8kFirstNumber, hendrycksNormalize } from "../../src/rewards/index.js";

test("the last box, brace-matched, in both spellings", () => {
  assert.equal(lastBoxed("a \\boxed{1} b \\boxed{\\frac{1}{2}} c"), "\\frac{1}{2}");
  assert.equal(lastBoxed("\\fbox{7} then \\boxed{8}"), "8");
  assert.equal(lastBoxed("\\boxed{8} then \\fbox{7}"), "7");
  assert.equal(lastBoxed("$\\boxed 5$"), "5");
  assert.equal(lastBoxed("\\boxed{\\{1,2\\}}"), "\\{1,2\\}");
  assert.equal(lastBoxed("\\boxed{\\frac{1}{2}"), null);
  assert.equal(lastBoxed("no box"), null);
});

test("strategies are tried in order", () => {
  const text = "The answer is 4.\n#### 5\nso \\boxed{6}";
  assert.deepEqual(extractAnswer(text, ["boxed", "gsm8k"]), { answer: "6", strategy: "boxed" });
  assert.deepEqual(extractAnswer(text, ["gsm8k", "boxed"]), { answer: "5", strategy: "gsm8k" });
  assert.deepEqual(extractAnswer(text, ["answer-is"]), { answer: "4", strategy: "answer-is" });
  assert.deepEqual(extractAnswer("it costs 1,250 dollars, not 12", ["last-number"]), { answer: "12", strategy: "last-number" });
  assert.equal(extractAnswer("x".repeat(400), ["whole"]), null);
  assert.equal(extractAnswer("The answer is 3.5.", ["answer-is"])?.answer, "3.5");
  assert.equal(extractAnswer("So the answer is $x^2$ for all x.", ["answer-is"])?.answer, "x^2");
  assert.equal(extractAnswer("The answer is $5.", ["answer-is"])?.answer, "$5", "a dollar sign that never closes is currency");
  assert.equal(extractAnswer("The answer is $x + 1", ["answer-is"]), null, "unclosed math that is not an amount is no answer");
  assert.equal(extractAnswer("#### $1,250 dollars", ["gsm8k"])?.answer, "$1,250", "words after the #### number");
  assert.equal(extractAnswer("#### 18 or 19", ["gsm8k"])?.answer, "18 or 19");
  assert.equal(extractAnswer("Hence the area is $12\\pi$.", ["final-statement"])?.answer, "12\\pi");
});

test("cleaning strips delimiters, bold and a final period", () => {
  assert.equal(cleanAnswer("  $\\frac12$. "), "\\frac12");
  assert.equal(cleanAnswer("**73**"), "73");
  assert.equal(cleanAnswer("** 73"), "73");
  assert.equal(cleanAnswer("\\(x+1\\)"), "x+1");
  assert.equal(cleanAnswer("\\boxed{5}"), "5");
  assert.equal(cleanAnswer("5!"), "5!");
});

test("gold answers come out of solutions", () => {
  assert.equal(goldAnswer("so the area is $\\boxed{12\\pi}$."), "12\\pi");
  assert.equal(goldAnswer("Natalia sold 48/2 = 24 clips.\n#### 72"), "72");
  assert.equal(goldAnswer(" 3/4 "), "3/4");
});

test("the paper's GSM8K number and MATH normal form", () => {
  assert.equal(gsm8kFirstNumber("#### $1,000.\nmore #### 7"), "1000");
  assert.equal(gsm8kFirstNumber("#### -3.5"), "-3.5");
  assert.equal(gsm8kFirstNumber("#### twelve"), null);
  assert.equal(hendrycksNormalize("\\dfrac12"), "\\frac{1}{2}");
  assert.equal(hendrycksNormalize("\\sqrt3"), "\\sqrt{3}");
  assert.equal(hendrycksNormalize("10\\text{ cm}"), "10");
  assert.equal(hendrycksNormalize("k = 5"), "5");
  assert.equal(hendrycksNormalize("0.5"), "\\frac{1}{2}");
  assert.equal(hendrycksNormalize("3/4"), "\\frac{3}{4}");
  assert.equal(hendrycksNormalize("\\left( 1, 2 \\right)"), "(1,2)");
  assert.equal(hendrycksNormalize(".25"), "0.25");
});
