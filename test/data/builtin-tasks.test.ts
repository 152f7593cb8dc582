import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BUILTIN_REWARDS,
  arithmeticTask,
  builtinExamples,
  checkArithmetic,
  checkCountdown,
  configure,
  countdownTask,
  evaluateExpression,
  type AnyBuiltinTask,
  type Example,
} from "../../src/data/index.js";
import type { Completion } from "../../src/rewards/types.js";

function take(stream: Iterable<Example>, count: number): Example[] {
  const out: Example[] = [];
  for (const example of stream) {
    out.push(example);
    if (out.length === count) break;
  }
  return out;
}

const completion = (text: string, finished = true): Completion => ({ text, tokenIds: [], finished });

test("arithmetic: products first, then left to right, one reduction per line, answer after ####", () => {
  const [example] = take(builtinExamples(arithmeticTask, { seed: 0, config: { steps: 3 } }), 1);
  assert.equal(example.prompt, "64-71*80-65 = ?");
  assert.equal(example.solution, "= 64-5680-65\n= -5616-65\n= -5681\n#### -5681");
  assert.equal(example.answer, String(64 - 71 * 80 - 65));
  assert.equal(example.reward, "arithmetic");
});

test("built-in streams are deterministic by seed, and every reference solution checks as right", () => {
  const tasks: AnyBuiltinTask[] = [arithmeticTask, countdownTask];
  for (const task of tasks) {
    const a = take(builtinExamples(task, { seed: 5 }), 200);
    assert.deepEqual(take(builtinExamples(task, { seed: 5 }), 200), a);
    assert.notDeepEqual(take(builtinExamples(task, { seed: 6 }), 200).map((e) => e.prompt), a.map((e) => e.prompt));
    for (const example of a) assert.equal(task.check(example.solution ?? "", example.columns), 1, `${example.prompt}\n${example.solution}`);
    assert.ok(a.every((e) => /^[0-9a-zA-Z +\-*/=?.]+$/.test(e.prompt as string)), "prompts keep to a small alphabet");
  }
});

test("arithmetic values follow the precedence rules on random problems", () => {
  for (const example of take(builtinExamples(arithmeticTask, { seed: 2, config: { digits: 3, steps: 5 } }), 100)) {
    const expression = (example.prompt as string).replace(" = ?", "");
    // Integer-only + - * with standard precedence: JavaScript's own evaluation agrees for values this small.
    assert.equal(example.answer, String(Function(`return ${expression}`)()));
    assert.equal(expression.split(/[-+*]/).length, 6);
    assert.ok(expression.split(/[-+*]/).every((operand) => Number(operand) >= 1 && Number(operand) <= 999));
  }
});

test("train and test prompts never overlap; unique streams end when the prompts run out", () => {
  const config = { digits: 1, steps: 1, operators: "+" };
  const train = [...builtinExamples(arithmeticTask, { config, unique: true, seed: 1 })];
  const held = [...builtinExamples(arithmeticTask, { config, unique: true, seed: 1, split: "test" })];
  // 9 * 9 = 81 possible prompts, split between the two.
  assert.equal(train.length + held.length, 81);
  assert.ok(held.length > 0 && held.length < 20, `test split holds ${held.length}`);
  const trainPrompts = new Set(train.map((e) => e.prompt));
  assert.ok(held.every((e) => !trainPrompts.has(e.prompt)));
});

test("arithmetic checker: 1 right, 0 wrong, null without an integer after ####", () => {
  const columns = { answer: "-5681" };
  assert.equal(checkArithmetic("= 64-5680-65\n#### -5681", columns), 1);
  assert.equal(checkArithmetic("#### -5681\n#### 3", columns), 1);
  assert.equal(checkArithmetic("####   -05681  ", columns), 1);
  assert.equal(checkArithmetic("#### 5681", columns), 0);
  assert.equal(checkArithmetic("#### five", columns), null);
  assert.equal(checkArithmetic("-5681", columns), null);
  assert.throws(() => checkArithmetic("#### 1", {}), /column "answer" must be an integer as text/);
});

test("countdown checker: exact value, each number at most once, a parse failure is null", () => {
  const columns = { numbers: [3, 7, 25, 50], target: 75 };
  assert.equal(checkCountdown("50-25 = 25\n25*3 = 75\n#### (50-25)*3", columns), 1);
  assert.equal(checkCountdown("#### 25 * 3", columns), 1);
  assert.equal(checkCountdown("#### 50+25 = 75", columns), 1);
  assert.equal(checkCountdown("#### 50/(7-3)*(3+3)", columns), 0, "3 is given once");
  assert.equal(checkCountdown("#### 75", columns), 0, "75 is not given");
  assert.equal(checkCountdown("#### 50+7*3", columns), 0, "71, not 75");
  assert.equal(checkCountdown("#### 3/(7-7)", { numbers: [3, 7, 7], target: 1 }), 0, "division by zero");
  assert.equal(checkCountdown("#### 7/3*3", { numbers: [3, 3, 7], target: 7 }), 1, "exact rationals, not floats");
  assert.equal(checkCountdown("#### (50-25", columns), null);
  assert.equal(checkCountdown("#### -3+78", columns), null);
  assert.equal(checkCountdown("#### 2**5", columns), null);
  assert.equal(checkCountdown("#### " + "(".repeat(5000) + "3" + ")".repeat(5000), columns), null);
  assert.equal(checkCountdown("no answer", columns), null);
  assert.throws(() => checkCountdown("#### 3", { numbers: "3 7" }), /columns "numbers" \(integers\) and "target"/);
});

test("expressions evaluate exactly, with precedence and left associativity", () => {
  const value = (text: string): string => {
    const result = evaluateExpression(text);
    return result === null ? "null" : `${result.value.num}/${result.value.den}`;
  };
  assert.equal(value("8-3-2"), "3/1");
  assert.equal(value("8/4/2"), "1/1");
  assert.equal(value("1/3+1/6"), "1/2");
  assert.equal(value("2*(3+4)"), "14/1");
  assert.equal(value("2*(3+4"), "null");
  assert.equal(value("()"), "null");
  assert.deepEqual(evaluateExpression("(50-25)*3")?.numbers, [50n, 25n, 3n]);
});

test("built-in rewards: per-response scores, and a response cut at the length limit scores 0", async () => {
  const reward = BUILTIN_REWARDS.arithmetic;
  const scores = await reward({
    prompts: ["1+1 = ?", "2*3 = ?", "2*3 = ?", "5-9 = ?"],
    completions: [completion("= 2\n#### 2"), completion("#### 5"), completion("#### 6", false), completion("I do not know")],
    columns: [{ answer: "2" }, { answer: "6" }, { answer: "6" }, { answer: "-4" }],
  });
  assert.deepEqual(scores, [1, 0, 0, null]);
  const countdown = await BUILTIN_REWARDS.countdown({
    prompts: ["Make 6 from 2 3 5."],
    completions: [completion("#### 2*3")],
    columns: [{ numbers: [2, 3, 5], target: 6 }],
  });
  assert.deepEqual(countdown, [1]);
});

test("knobs: defaults, overrides from text, and errors that name the knob", () => {
  assert.deepEqual(configure(arithmeticTask), { digits: 2, steps: 2, operators: "+-*" });
  assert.deepEqual(configure(arithmeticTask, { digits: "3", operators: "+" }), { digits: 3, steps: 2, operators: "+" });
  assert.throws(() => configure(arithmeticTask, { digits: 0 }), /arithmetic: "digits" must be an integer from 1 to 9, got 0/);
  assert.throws(() => configure(arithmeticTask, { operators: "+/" }), /"operators" must be a non-empty subset of "\+-\*"/);
  assert.throws(() => configure(arithmeticTask, { depth: 2 }), /unknown knob "depth" \(knobs: digits, steps, operators\)/);
  assert.throws(() => configure(countdownTask, { count: "many" }), /countdown: "count" must be an integer from 2 to 6, got "many"/);
  const [example] = take(builtinExamples(countdownTask, { seed: 3, config: { count: 5, maxNumber: 9, maxTarget: 30 } }), 1);
  const { numbers, target } = example.columns as { numbers: number[]; target: number };
  assert.equal(numbers.length, 5);
  assert.ok(numbers.every((n) => n >= 1 && n <= 9));
  assert.ok(target >= 1 && target <= 30 && !numbers.includes(target));
  assert.equal(example.prompt, `Make ${target} from ${numbers.join(" ")}.`);
});
