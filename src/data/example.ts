// The normalised example every later stage uses, whatever file or generator
// it came from: a prompt, the ground truth its reward checks against, the row's
// other columns, and where it came from.
import { createHash } from "node:crypto";
import type { ChatMessage } from "../tokenize/index.js";

/** Where a row came from: a file and its 0-based row index (and 1-based line, for line-based files). */
export interface RowSource {
  /** The file as given (or the name given to rows made in code). */
  file: string;
  /** 0-based row index; blank lines of JSON Lines are not rows. */
  row: number;
  /** 1-based line number, for line-based files. */
  line?: number;
}

/** A prompt: plain text, or chat messages. */
export type Prompt = string | readonly ChatMessage[];

/** One prompt with its ground truth, however it was read (a built-in task, a data file, rows made in code). */
export interface Example {
  /**
   * Stable across runs and machines: `<dataset>:<row>:<hash>`, the hash being the
   * first 12 hex digits of the SHA-256 of the rendered prompt. Stage 1's cache is
   * keyed by it, so a changed prompt (or template) never reuses stale samples.
   */
  id: string;
  /** Plain text, or chat messages for the model's chat template to render. */
  prompt: Prompt;
  /** The ground truth the reward compares with (e.g. "72", "\\frac{1}{2}"); empty when the task needs none (custom). */
  answer: string;
  /** A worked reference solution, when the data has one (supervised warm-up uses it). */
  solution?: string;
  /** The row's other columns, passed on to reward functions. */
  columns: Readonly<Record<string, unknown>>;
  /** The reward that checks this example's answers, by name (resolved by the trainer), e.g. "gsm8k"; null when the run gives its own. */
  reward: string | null;
  /** Where the example was read from, for error messages. */
  source: RowSource;
}

/** `file:line` for line-based files, `file row N` otherwise. */
export function describeSource(source: RowSource): string {
  return source.line !== undefined ? `${source.file}:${source.line}` : `${source.file} row ${source.row}`;
}

/** The first 12 hex digits of the SHA-256 of a text. */
export function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/** An example's id: `<dataset>:<row>:<hash of the rendered prompt>` (Example.id). */
export function exampleId(dataset: string, row: number, renderedPrompt: string): string {
  return `${dataset}:${row}:${shortHash(renderedPrompt)}`;
}

/**
 * Turns a prompt into the text the model reads. Chat prompts go through
 * `renderChat` (the tokenizer's chat template with the generation prompt); without
 * one, a conversation of a single user turn reads as its content, since that is
 * how plain-text training (the paper's setting) sees it.
 */
export function renderPrompt(prompt: Prompt, renderChat?: (messages: readonly ChatMessage[]) => string): string {
  if (typeof prompt === "string") return prompt;
  if (renderChat !== undefined) return renderChat(prompt);
  if (prompt.length === 1 && prompt[0].role === "user") return prompt[0].content;
  throw new Error(
    `a chat prompt of ${prompt.length} messages (${prompt.map((m) => m.role).join(", ")}) needs a chat template to render it; pass a tokenizer with one`,
  );
}

/** The columns a reward function receives for an example: the row's own, with the ground truth (when there is one) under `answer`. */
export function rewardColumns(example: Example): Record<string, unknown> {
  return example.answer === "" ? { ...example.columns } : { ...example.columns, answer: example.answer };
}
