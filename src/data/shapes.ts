// Row shapes people already have, and the column mapping that reads them:
// Hugging Face exports of GSM8K (question, answer ending in "#### n"), MATH and
// MATH500 (problem, solution with \boxed{}, answer), AIME/AMC (problem, answer),
// TRL (prompt as text or chat messages, other columns for the rewards) and verl
// (prompt messages, reward_model.ground_truth, data_source, extra_info).
import type { ChatMessage } from "../tokenize/index.js";
import { DataError } from "./errors.js";
import type { Prompt, RowSource } from "./example.js";

/** The row shapes read without a column mapping (see ShapeName). */
export const SHAPE_NAMES = ["gsm8k", "math", "trl", "verl"] as const;
/**
 * A known row shape: "gsm8k" (question, answer ending in `#### n`), "math"
 * (problem, solution, answer; MATH500, AIME and AMC too), "trl" (prompt and
 * answer columns) or "verl" (prompt messages, reward_model.ground_truth).
 */
export type ShapeName = (typeof SHAPE_NAMES)[number];

/**
 * Which column holds what. Dotted names reach into nested objects
 * (`reward_model.ground_truth`); a column whose own name has a dot wins over that.
 */
export interface ColumnMapping {
  /** A bare question or problem: the task adds its instruction to make the prompt. */
  question?: string;
  /** A finished prompt (text or chat messages), used as it is. */
  prompt?: string;
  /** The final answer, or a text holding it (`#### 72`, `\boxed{72}`). */
  answer?: string;
  /** A worked solution; it holds the answer when there is no answer column. */
  solution?: string;
}

/** Per shape, the candidate columns of each field; the first one the first row has is used. */
const SHAPE_COLUMNS: Record<ShapeName, { [K in keyof ColumnMapping]: readonly string[] }> = {
  gsm8k: { question: ["question"], answer: ["answer"], solution: ["answer"] },
  math: { question: ["problem"], answer: ["answer"], solution: ["solution"] },
  // TRL datasets often keep the bare answer in "solution", so it is read as the answer, not as a worked solution.
  trl: { prompt: ["prompt"], answer: ["answer", "ground_truth", "solution"] },
  verl: { prompt: ["prompt"], answer: ["reward_model.ground_truth"] },
};

/** A row's fields after mapping. `columns` are the row's columns other than the prompt's. */
export interface RowFields {
  /** The bare question, when the mapping has a question column. */
  question?: string;
  /** The finished prompt, when the mapping has a prompt column instead. */
  prompt?: Prompt;
  /** The answer column's text, when mapped. */
  answer?: string;
  /** The solution column's text, when mapped. */
  solution?: string;
  /** The row's columns other than the prompt's. */
  columns: Record<string, unknown>;
}

function lookup(values: Record<string, unknown>, column: string): unknown {
  if (column in values) return values[column];
  let value: unknown = values;
  for (const key of column.split(".")) {
    if (value === null || typeof value !== "object" || !(key in value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function hasColumn(values: Record<string, unknown>, column: string): boolean {
  return lookup(values, column) !== undefined;
}

/** The shape a row looks like, from its column names; null when none fits. */
export function detectShape(values: Record<string, unknown>): ShapeName | null {
  if (hasColumn(values, "prompt")) return hasColumn(values, "reward_model") ? "verl" : "trl";
  if (hasColumn(values, "question") && hasColumn(values, "answer")) return "gsm8k";
  if (hasColumn(values, "problem")) return "math";
  return null;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * The concrete mapping for a file: the shape's columns that its first row has,
 * overridden by the columns given. `shape: "auto"` detects the shape.
 */
export function resolveMapping(
  first: { values: Record<string, unknown>; source: RowSource },
  shape: ShapeName | "auto",
  given: ColumnMapping = {},
): {
  /** The shape used; "custom" when none was detected and the given columns alone name the prompt. */
  shape: ShapeName | "custom";
  /** The column of each field. */
  mapping: ColumnMapping;
} {
  const detected = shape === "auto" ? detectShape(first.values) : shape;
  const givenPrompt = given.question !== undefined || given.prompt !== undefined;
  if (detected === null && !givenPrompt) {
    throw new DataError(
      first.source,
      `cannot tell the row shape from its columns (${Object.keys(first.values).join(", ")}); ` +
        `name one (${SHAPE_NAMES.join(", ")}) or map the columns (question or prompt, answer, solution)`,
    );
  }
  const mapping: ColumnMapping = {};
  if (detected !== null) {
    for (const [field, candidates] of Object.entries(SHAPE_COLUMNS[detected]) as Array<[keyof ColumnMapping, readonly string[]]>) {
      const column = candidates.find((name) => hasColumn(first.values, name));
      if (column !== undefined) mapping[field] = column;
    }
  }
  // A given question replaces the shape's prompt and the other way round.
  if (given.question !== undefined) delete mapping.prompt;
  if (given.prompt !== undefined) delete mapping.question;
  for (const [field, column] of Object.entries(given) as Array<[keyof ColumnMapping, string | undefined]>) {
    if (column !== undefined) mapping[field] = column;
  }
  return { shape: detected ?? "custom", mapping };
}

function readText(values: Record<string, unknown>, column: string, source: RowSource, required: boolean): string | undefined {
  const value = lookup(values, column);
  if (value === undefined || value === null) {
    if (required) throw new DataError(source, value === null ? "is null" : "is missing", column);
    return undefined;
  }
  if (typeof value === "string") return value;
  // Numeric answers (AIME's integers) are answers too.
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  throw new DataError(source, `expected text, got ${describeValue(value)}`, column);
}

function readMessages(value: readonly unknown[], column: string, source: RowSource): ChatMessage[] {
  if (value.length === 0) throw new DataError(source, "is an empty conversation", column);
  return value.map((message, index) => {
    const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
    if (typeof role !== "string" || typeof content !== "string") {
      throw new DataError(source, `message ${index} must be {role, content} with text for both, got ${JSON.stringify(message)}`, column);
    }
    return { role, content };
  });
}

function readPrompt(values: Record<string, unknown>, column: string, source: RowSource): Prompt {
  const value = lookup(values, column);
  if (Array.isArray(value)) return readMessages(value, column, source);
  const text = readText(values, column, source, true) as string;
  if (text.trim() === "") throw new DataError(source, "is empty", column);
  return text;
}

/** Reads one row with a resolved mapping. The prompt column is required; answer and solution are the task's to require. */
export function mapRow(values: Record<string, unknown>, source: RowSource, mapping: ColumnMapping): RowFields {
  const promptColumn = mapping.question ?? (mapping.prompt as string);
  const columns = { ...values };
  delete columns[promptColumn];
  const fields: RowFields = { columns };
  if (mapping.question !== undefined) {
    const question = readPrompt(values, mapping.question, source);
    if (typeof question !== "string") throw new DataError(source, "a question must be text, got chat messages (map it as the prompt)", mapping.question);
    fields.question = question;
  } else {
    fields.prompt = readPrompt(values, promptColumn, source);
  }
  if (mapping.answer !== undefined) fields.answer = readText(values, mapping.answer, source, false);
  if (mapping.solution !== undefined) fields.solution = readText(values, mapping.solution, source, false);
  return fields;
}
