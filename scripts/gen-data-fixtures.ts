// Writes the data fixtures under test/fixtures/data: small files in the row
// shapes people download (GSM8K, MATH, MATH500, AIME, TRL, verl), as JSONL and
// Parquet, with problems generated here from templates. Deterministic: running
// it again writes the same files.
//
//   npx tsx scripts/gen-data-fixtures.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parquetWriteBuffer, type ColumnSource, type SchemaElement } from "hyparquet-writer";
import { SeededRandom } from "../src/data/random.js";
import { GSM8K_INSTRUCTION } from "../src/data/tasks/gsm8k.js";
import { MATH_INSTRUCTION } from "../src/data/tasks/math.js";

const OUT = join("test", "fixtures", "data");
const ROWS = 24;
const random = new SeededRandom(2505_20686);

type Row = Record<string, unknown>;

const NAMES: Array<[string, string]> = [["Ana", "she"], ["Ben", "he"], ["Chloe", "she"], ["Dev", "he"], ["Ema", "she"], ["Femi", "he"]];

/** A GSM8K-style problem: calculator annotations `<<a*b=c>>` and a last line `#### n`. */
function gsm8kRow(index: number): { question: string; answer: string; final: number } {
  const [name, pronoun] = NAMES[index % NAMES.length];
  const a = random.intBetween(3, 40);
  const b = random.intBetween(2, 9);
  switch (index % 4) {
    case 0: {
      const ab = a * b;
      const total = a + ab;
      return {
        question: `${name} picked ${a} apples on Monday and ${b} times as many on Tuesday. How many apples did ${pronoun} pick in total?`,
        answer: `On Tuesday ${name} picked ${a}*${b} = <<${a}*${b}=${ab}>>${ab} apples.\nIn total ${pronoun} picked ${a}+${ab} = <<${a}+${ab}=${total}>>${total} apples.\n#### ${total}`,
        final: total,
      };
    }
    case 1: {
      const boxes = a * b;
      const given = random.intBetween(1, boxes - 1);
      const left = boxes - given;
      return {
        question: `A box holds ${a} pencils. A school buys ${b} boxes and gives out ${given} pencils. How many pencils are left?`,
        answer: `The school buys ${a}*${b} = <<${a}*${b}=${boxes}>>${boxes} pencils.\nAfter giving some out, ${boxes}-${given} = <<${boxes}-${given}=${left}>>${left} pencils are left.\n#### ${left}`,
        final: left,
      };
    }
    case 2: {
      // Large totals are written with a thousands separator, as some GSM8K answers are.
      const rate = a * 5;
      const weekly = rate * b;
      const weeks = random.intBetween(4, 12);
      const total = weekly * weeks;
      return {
        question: `${name} earns $${rate} per hour and works ${b} hours a week. How much does ${pronoun} earn in ${weeks} weeks?`,
        answer: `In a week ${pronoun} earns ${rate}*${b} = $<<${rate}*${b}=${weekly}>>${weekly}.\nIn ${weeks} weeks ${pronoun} earns ${weekly}*${weeks} = $<<${weekly}*${weeks}=${total}>>${total}.\n#### ${total.toLocaleString("en-US")}`,
        final: total,
      };
    }
    default: {
      const hours = b;
      const speed = a;
      const distance = speed * hours;
      const later = random.intBetween(2, 9);
      const far = speed * later;
      return {
        question: `A train travels ${distance} miles in ${hours} hours. At the same speed, how far does it travel in ${later} hours?`,
        answer: `The train travels ${distance}/${hours} = <<${distance}/${hours}=${speed}>>${speed} miles per hour.\nIn ${later} hours it travels ${speed}*${later} = <<${speed}*${later}=${far}>>${far} miles.\n#### ${far}`,
        final: far,
      };
    }
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? Math.abs(a) : gcd(b, a % b);
}

function fraction(num: number, den: number): string {
  const g = gcd(num, den);
  return den / g === 1 ? `${num / g}` : `\\frac{${num / g}}{${den / g}}`;
}

/** A MATH-style problem: LaTeX, a worked solution ending in \boxed{} (with nested braces), a level and a subject. */
function mathRow(index: number): { problem: string; solution: string; answer: string; level: string; type: string } {
  const a = random.intBetween(2, 9);
  const b = random.intBetween(2, 9);
  const c = random.intBetween(1, 9);
  const d = random.intBetween(2, 9);
  const level = `Level ${1 + (index % 5)}`;
  switch (index % 4) {
    case 0: {
      const answer = fraction(a * d + c * b, b * d);
      return {
        problem: `Compute $\\dfrac{${a}}{${b}} + \\dfrac{${c}}{${d}}$.`,
        solution: `Over the common denominator $${b * d}$, $\\dfrac{${a}}{${b}} + \\dfrac{${c}}{${d}} = \\dfrac{${a * d} + ${c * b}}{${b * d}} = \\boxed{${answer}}$.`,
        answer,
        level,
        type: "Prealgebra",
      };
    }
    case 1: {
      const x = random.intBetween(-9, 9);
      const rhs = a * x + c;
      return {
        problem: `What is the value of $x$ if $${a}x + ${c} = ${rhs}$?`,
        solution: `Subtracting ${c} from both sides gives $${a}x = ${rhs - c}$, so $x = \\boxed{${x}}$.`,
        answer: `${x}`,
        level,
        type: "Algebra",
      };
    }
    case 2: {
      const m = [2, 3, 5, 6, 7][index % 5];
      return {
        problem: `Simplify $\\sqrt{${a * a * m}}$.`,
        solution: `Since $${a * a * m} = ${a * a}\\cdot ${m}$, we have $\\sqrt{${a * a * m}} = \\boxed{${a}\\sqrt{${m}}}$.`,
        answer: `${a}\\sqrt{${m}}`,
        level,
        type: "Algebra",
      };
    }
    default: {
      const [r1, r2] = [a, a + b];
      return {
        problem: `Find the roots of $x^2 - ${r1 + r2}x + ${r1 * r2} = 0$.`,
        solution: `The quadratic factors as $(x-${r1})(x-${r2}) = 0$, so the roots form the set $\\boxed{\\{${r1}, ${r2}\\}}$.`,
        answer: `\\{${r1}, ${r2}\\}`,
        level,
        type: "Intermediate Algebra",
      };
    }
  }
}

/** An AIME-style problem: an integer answer from 0 to 999. */
function aimeRow(index: number): { id: string; problem: string; answer: number } {
  const base = random.intBetween(2, 19);
  const power = random.intBetween(10, 99);
  let value = 1;
  for (let i = 0; i < power; i++) value = (value * base) % 1000;
  return {
    id: `${2020 + Math.floor(index / 15)}-${index % 2 === 0 ? "I" : "II"}-${1 + (index % 15)}`,
    problem: `Find the remainder when $${base}^{${power}}$ is divided by $1000$.`,
    answer: value,
  };
}

const gsm8k = Array.from({ length: ROWS }, (_, i) => gsm8kRow(i));
const math = Array.from({ length: ROWS }, (_, i) => mathRow(i));

function writeJsonl(name: string, rows: readonly Row[]): void {
  writeFileSync(join(OUT, name), rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
}

function writeParquet(name: string, columns: ColumnSource[], options: { schema?: SchemaElement[]; rowGroupSize?: number; gzip?: boolean } = {}): void {
  const buffer = parquetWriteBuffer({
    columnData: columns,
    schema: options.schema,
    rowGroupSize: options.rowGroupSize,
    ...(options.gzip === true ? { codec: "GZIP" as const, compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)) } } : {}),
  });
  writeFileSync(join(OUT, name), new Uint8Array(buffer));
}

const text = (name: string): SchemaElement => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" });

mkdirSync(OUT, { recursive: true });

// Hugging Face exports: GSM8K (question, answer), MATH (problem, level, type, solution), MATH500, AIME.
writeJsonl("gsm8k.jsonl", gsm8k.map(({ question, answer }) => ({ question, answer })));
writeParquet("gsm8k.parquet", [
  { name: "question", data: gsm8k.map((row) => row.question), type: "STRING" },
  { name: "answer", data: gsm8k.map((row) => row.answer), type: "STRING" },
], { rowGroupSize: 10 });
writeJsonl("math.jsonl", math.map(({ problem, level, type, solution }) => ({ problem, level, type, solution })));
// GZIP-compressed, as some writers produce, to exercise the decompressors.
writeParquet("math.parquet", [
  { name: "problem", data: math.map((row) => row.problem), type: "STRING" },
  { name: "level", data: math.map((row) => row.level), type: "STRING" },
  { name: "type", data: math.map((row) => row.type), type: "STRING" },
  { name: "solution", data: math.map((row) => row.solution), type: "STRING" },
], { gzip: true });
writeJsonl("math500.jsonl", math.map(({ problem, solution, answer, type, level }, i) => ({
  problem,
  solution,
  answer,
  subject: type,
  level: Number(level.slice(-1)),
  unique_id: `test/${type.toLowerCase().replace(/ /g, "_")}/${100 + i}.json`,
})));
writeJsonl("aime.jsonl", Array.from({ length: ROWS }, (_, i) => aimeRow(i)));

// TRL: a prompt as text or as chat messages, the answer in `solution`, other columns for rewards.
writeJsonl("trl-text.jsonl", math.map(({ problem, answer, type }) => ({ prompt: problem + MATH_INSTRUCTION, solution: answer, subject: type })));
writeJsonl("trl-chat.jsonl", math.map(({ problem, answer }, i) => ({
  prompt: [
    ...(i % 3 === 0 ? [{ role: "system", content: "You are a careful mathematician." }] : []),
    { role: "user", content: problem },
  ],
  solution: `$${answer}$`,
})));

// verl: chat prompts with the instruction already in them, reward_model.ground_truth, data_source, extra_info.
const verlGsm8k = gsm8k.map(({ question, answer, final }, index) => ({
  data_source: "openai/gsm8k",
  prompt: [{ content: question + GSM8K_INSTRUCTION, role: "user" }],
  ability: "math",
  reward_model: { ground_truth: `${final}`, style: "rule" },
  extra_info: { answer, index: BigInt(index), question, split: "train" },
}));
writeParquet("verl-gsm8k.parquet", [
  { name: "data_source", data: verlGsm8k.map((row) => row.data_source) },
  { name: "prompt", data: verlGsm8k.map((row) => row.prompt) },
  { name: "ability", data: verlGsm8k.map((row) => row.ability) },
  { name: "reward_model", data: verlGsm8k.map((row) => row.reward_model) },
  { name: "extra_info", data: verlGsm8k.map((row) => row.extra_info) },
], {
  // The nested columns as pandas/pyarrow write them: list<struct<content, role>> and structs.
  schema: [
    { name: "schema", num_children: 5 },
    text("data_source"),
    { name: "prompt", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
    text("content"),
    text("role"),
    text("ability"),
    { name: "reward_model", repetition_type: "OPTIONAL", num_children: 2 },
    text("ground_truth"),
    text("style"),
    { name: "extra_info", repetition_type: "OPTIONAL", num_children: 4 },
    text("answer"),
    { name: "index", type: "INT64", repetition_type: "OPTIONAL" },
    text("question"),
    text("split"),
  ],
  rowGroupSize: 8,
});
writeJsonl("verl-math.jsonl", math.map(({ problem, answer }, index) => ({
  data_source: "DigitalLearningGmbH/MATH-lighteval",
  prompt: [{ role: "user", content: problem + MATH_INSTRUCTION }],
  ability: "math",
  reward_model: { style: "rule", ground_truth: answer },
  extra_info: { split: "test", index },
})));

// Malformed rows, one of each kind, between good ones; line 3 is blank.
const good = (i: number): string => JSON.stringify({ question: gsm8k[i].question, answer: gsm8k[i].answer });
writeFileSync(join(OUT, "gsm8k-bad.jsonl"), [
  good(0),
  '{"question": "How many legs do 3 cats have?", "answer": "3*4 = 12\\n#### 12"',
  "",
  good(1),
  JSON.stringify({ question: "How many days are in 2 weeks?" }),
  JSON.stringify({ question: "What is half of 10?", answer: "Half of ten is five." }),
  "[1, 2, 3]",
  JSON.stringify({ question: null, answer: "#### 4" }),
  JSON.stringify({ question: { text: "nested" }, answer: "#### 4" }),
  good(2),
].join("\n") + "\n");

// A split file: the rows held out for testing, by index.
writeFileSync(join(OUT, "gsm8k-test-split.txt"), ["# GSM8K fixture rows held out for evaluation", "0", "5", "17", ""].join("\n"));
console.log(`wrote fixtures to ${OUT}`);
