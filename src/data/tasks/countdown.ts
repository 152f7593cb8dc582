// Countdown: reach a target from given numbers with + - * / and parentheses,
// each number used at most once. "Make 75 from 3 7 25 50." The reference
// solution combines two numbers per line ("50-25 = 25", "25*3 = 75") and ends
// with the whole expression: "#### (50-25)*3". The checker parses and evaluates
// the expression exactly (rationals, never eval) and checks the numbers used.
import { Rational } from "../../rewards/rational.js";
import type { RewardValue } from "../../rewards/types.js";
import type { SeededRandom } from "../random.js";
import { checkIntegerKnob, markedAnswer, type BuiltinTask, type Problem } from "./builtin.js";

/** The knobs of the countdown task. */
export interface CountdownConfig extends Record<string, number | string> {
  /** How many numbers are given. */
  count: number;
  /** Numbers are drawn from 1 to maxNumber. */
  maxNumber: number;
  /** Targets lie in 1..maxTarget. */
  maxTarget: number;
}

type Operator = "+" | "-" | "*" | "/";
const OPERATORS: readonly Operator[] = ["+", "-", "*", "/"];
const PRECEDENCE: Record<Operator, number> = { "+": 1, "-": 1, "*": 2, "/": 2 };
const ATOM = 3;

/** A sub-expression while generating: its value, its text and the precedence of its outermost operator. */
interface Term {
  value: number;
  text: string;
  precedence: number;
}

function combine(left: Term, operator: Operator, right: Term): Term | null {
  let value: number;
  if (operator === "+") value = left.value + right.value;
  else if (operator === "*") value = left.value * right.value;
  else if (operator === "-") value = left.value - right.value;
  else value = right.value > 1 && left.value % right.value === 0 ? left.value / right.value : 0;
  // Keep every intermediate a positive integer, as the game is played.
  if (value <= 0) return null;
  const precedence = PRECEDENCE[operator];
  const wrapLeft = left.precedence < precedence;
  const wrapRight = right.precedence < precedence || (right.precedence === precedence && (operator === "-" || operator === "/"));
  const text = `${wrapLeft ? `(${left.text})` : left.text}${operator}${wrapRight ? `(${right.text})` : right.text}`;
  return { value, text, precedence };
}

/** The operators in a random order, the first that keeps the result a positive integer (addition always does). */
function someCombination(left: Term, right: Term, random: SeededRandom): { operator: Operator; term: Term } {
  for (const operator of random.shuffle([...OPERATORS])) {
    const term = combine(left, operator, right);
    if (term !== null) return { operator, term };
  }
  throw new Error("countdown: addition of positive numbers cannot fail");
}

const ATTEMPTS = 10_000;

function generate(random: SeededRandom, config: Readonly<CountdownConfig>): Problem {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const numbers = Array.from({ length: config.count }, () => random.intBetween(1, config.maxNumber));
    // Combine a random subset of two or more numbers, two at a time.
    const pool = random.shuffle(numbers.map((value): Term => ({ value, text: `${value}`, precedence: ATOM })));
    pool.length = random.intBetween(2, config.count);
    const lines: string[] = [];
    while (pool.length > 1) {
      const left = pool.splice(random.nextInt(pool.length), 1)[0];
      const right = pool.splice(random.nextInt(pool.length), 1)[0];
      const { operator, term } = someCombination(left, right, random);
      lines.push(`${left.value}${operator}${right.value} = ${term.value}`);
      pool.push(term);
    }
    const target = pool[0];
    if (target.value > config.maxTarget || numbers.includes(target.value)) continue;
    return {
      prompt: `Make ${target.value} from ${numbers.join(" ")}.`,
      answer: target.text,
      solution: [...lines, `#### ${target.text}`].join("\n"),
      columns: { numbers, target: target.value },
    };
  }
  throw new Error(`countdown: no target within 1..${config.maxTarget} found in ${ATTEMPTS} draws; raise maxTarget or maxNumber`);
}

class DivisionByZero extends Error {}

function applyRational(left: Rational, operator: Operator, right: Rational): Rational {
  switch (operator) {
    case "+":
      return left.add(right);
    case "-":
      return left.sub(right);
    case "*":
      return left.mul(right);
    case "/":
      if (right.num === 0n) throw new DivisionByZero();
      return left.div(right);
  }
}

/** Deeper parentheses than any answer needs; the bound keeps the recursion off the stack limit. */
const MAX_NESTING = 64;

/**
 * Parses an expression of non-negative integers, + - * /, and parentheses, and
 * evaluates it exactly; null when it does not parse. Division by zero throws
 * DivisionByZero (the expression parsed, and is wrong).
 */
export function evaluateExpression(text: string): {
  /** The exact value. */
  value: Rational;
  /** The numbers the expression uses, in order, for checking against those given. */
  numbers: bigint[];
} | null {
  const tokens = text.match(/\d+|[-+*/()]|\S/g) ?? [];
  const numbers: bigint[] = [];
  let at = 0;
  let depth = 0;
  const peek = (): string | undefined => tokens[at];
  function factor(): Rational | null {
    const token = tokens[at++];
    if (token === undefined) return null;
    if (/^\d+$/.test(token)) {
      numbers.push(BigInt(token));
      return Rational.of(BigInt(token));
    }
    if (token !== "(" || ++depth > MAX_NESTING) return null;
    const inner = sum();
    depth--;
    return inner !== null && tokens[at++] === ")" ? inner : null;
  }
  function chain(operand: () => Rational | null, operators: string): Rational | null {
    let value = operand();
    while (value !== null && peek() !== undefined && operators.includes(peek() as string)) {
      const operator = tokens[at++] as Operator;
      const right = operand();
      value = right === null ? null : applyRational(value, operator, right);
    }
    return value;
  }
  const product = (): Rational | null => chain(factor, "*/");
  const sum = (): Rational | null => chain(product, "+-");
  const value = sum();
  return value !== null && at === tokens.length ? { value, numbers } : null;
}

function readNumbers(columns: Readonly<Record<string, unknown>>): { numbers: number[]; target: number } {
  const { numbers, target } = columns;
  if (!Array.isArray(numbers) || !numbers.every((n) => Number.isInteger(n)) || !Number.isInteger(target)) {
    throw new Error(`countdown reward: columns "numbers" (integers) and "target" (an integer) are required, got ${JSON.stringify({ numbers, target })}`);
  }
  return { numbers: numbers as number[], target: target as number };
}

/**
 * 1 when the expression after `####` (up to an optional "= ...") equals the
 * target and uses each given number at most once, 0 when it does not (or
 * divides by zero), null when there is no expression that parses.
 */
export function checkCountdown(response: string, columns: Readonly<Record<string, unknown>>): RewardValue {
  const { numbers, target } = readNumbers(columns);
  const marked = markedAnswer(response);
  if (marked === null) return null;
  let result: ReturnType<typeof evaluateExpression>;
  try {
    result = evaluateExpression(marked.split("=")[0]);
  } catch (error) {
    if (error instanceof DivisionByZero) return 0;
    throw error;
  }
  if (result === null) return null;
  const available = numbers.map(BigInt);
  for (const used of result.numbers) {
    const index = available.indexOf(used);
    if (index < 0) return 0;
    available.splice(index, 1);
  }
  return result.value.den === 1n && result.value.num === BigInt(target) ? 1 : 0;
}

/** Countdown: reach a target from given numbers with + - * / (defaults: 3 numbers up to 20, targets up to 100). */
export const countdownTask: BuiltinTask<CountdownConfig> = {
  name: "countdown",
  description: 'reach a target from given numbers with + - * / ("Make 75 from 3 7 25 50."), each number at most once',
  defaults: { count: 3, maxNumber: 20, maxTarget: 100 },
  knobs: {
    count: "how many numbers are given (2-6)",
    maxNumber: "numbers are drawn from 1 to maxNumber (2-1000)",
    maxTarget: "targets lie in 1..maxTarget (1-100000)",
  },
  validate(config) {
    checkIntegerKnob("countdown", "count", config.count, 2, 6);
    checkIntegerKnob("countdown", "maxNumber", config.maxNumber, 2, 1000);
    checkIntegerKnob("countdown", "maxTarget", config.maxTarget, 1, 100_000);
  },
  generate,
  check: checkCountdown,
};
