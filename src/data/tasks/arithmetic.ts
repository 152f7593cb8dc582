// Multi-step integer arithmetic: "23*17+9 = ?". The worked solution reduces
// one operation per line, products first, then sums and differences from the
// left ("= 391+9", "= 400"), and ends with "#### 400".
import type { RewardValue } from "../../rewards/types.js";
import type { SeededRandom } from "../random.js";
import { checkIntegerKnob, markedAnswer, type BuiltinTask, type Problem } from "./builtin.js";

/** The knobs of the arithmetic task. */
export interface ArithmeticConfig extends Record<string, number | string> {
  /** Operands are drawn from 1 to 10^digits - 1. */
  digits: number;
  /** Operations per problem (one more operand than steps). */
  steps: number;
  /** The operators to draw from, a subset of "+-*". */
  operators: string;
}

type Operator = "+" | "-" | "*";

function apply(left: bigint, operator: Operator, right: bigint): bigint {
  return operator === "+" ? left + right : operator === "-" ? left - right : left * right;
}

function render(values: readonly bigint[], operators: readonly Operator[]): string {
  return values.map((value, i) => (i === 0 ? `${value}` : `${operators[i - 1]}${value}`)).join("");
}

/**
 * The expression after each reduction: the first product while there is one,
 * else the first sum or difference. Only the leftmost value can turn negative,
 * so every line reads as an ordinary expression.
 */
export function reductionSteps(values: readonly bigint[], operators: readonly Operator[]): string[] {
  const vals = [...values];
  const ops = [...operators];
  const lines: string[] = [];
  while (ops.length > 0) {
    const product = ops.indexOf("*");
    const at = product >= 0 ? product : 0;
    vals.splice(at, 2, apply(vals[at], ops[at], vals[at + 1]));
    ops.splice(at, 1);
    lines.push(render(vals, ops));
  }
  return lines;
}

function generate(random: SeededRandom, config: Readonly<ArithmeticConfig>): Problem {
  const high = 10 ** config.digits - 1;
  const values = Array.from({ length: config.steps + 1 }, () => BigInt(random.intBetween(1, high)));
  const operators = Array.from({ length: config.steps }, () => random.pick([...config.operators]) as Operator);
  const lines = reductionSteps(values, operators);
  const answer = lines[lines.length - 1];
  return {
    prompt: `${render(values, operators)} = ?`,
    answer,
    solution: [...lines.map((line) => `= ${line}`), `#### ${answer}`].join("\n"),
    columns: { answer },
  };
}

const INTEGER = /^-?\d+$/;

/** 1 when the `####` answer equals the `answer` column as an integer, 0 when not, null when there is no integer after `####`. */
export function checkArithmetic(response: string, columns: Readonly<Record<string, unknown>>): RewardValue {
  const expected = columns.answer;
  if (typeof expected !== "string" || !INTEGER.test(expected)) {
    throw new Error(`arithmetic reward: column "answer" must be an integer as text, got ${JSON.stringify(expected)}`);
  }
  const given = markedAnswer(response);
  if (given === null || !INTEGER.test(given)) return null;
  return BigInt(given) === BigInt(expected) ? 1 : 0;
}

/** Multi-step integer arithmetic, worked one operation per line (defaults: 2 digits, 2 steps, + - *). */
export const arithmeticTask: BuiltinTask<ArithmeticConfig> = {
  name: "arithmetic",
  description: 'multi-step integer arithmetic ("23*17+9 = ?"), worked one operation per line, answer after "####"',
  defaults: { digits: 2, steps: 2, operators: "+-*" },
  knobs: {
    digits: "operands are drawn from 1 to 10^digits - 1 (1-9)",
    steps: "operations per problem (1-8)",
    operators: 'operators to draw from, a subset of "+-*"',
  },
  validate(config) {
    checkIntegerKnob("arithmetic", "digits", config.digits, 1, 9);
    checkIntegerKnob("arithmetic", "steps", config.steps, 1, 8);
    const operators = config.operators;
    if (typeof operators !== "string" || operators === "" || ![...operators].every((op) => "+-*".includes(op))) {
      throw new Error(`arithmetic: "operators" must be a non-empty subset of "+-*", got ${JSON.stringify(operators)}`);
    }
  },
  generate,
  check: checkArithmetic,
};
