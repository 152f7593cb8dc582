// From a data file (or rows made in code) to examples: read rows, map their
// columns, build the task's prompt, extract the ground truth, drop prompts over
// the token limit, and count everything that did not become an example.
import { basename } from "node:path";
import type { ChatMessage } from "../tokenize/index.js";
import { DataError, SkippedRows, type OnBadRow } from "./errors.js";
import { exampleId, renderPrompt, type Example, type Prompt, type RowSource } from "./example.js";
import { readRows, sourceName, type DataSource } from "./readers/index.js";
import { mapRow, resolveMapping, type ColumnMapping, type RowFields, type ShapeName } from "./shapes.js";
import { fileTask } from "./tasks/index.js";
import type { FileTask } from "./tasks/task.js";

/** How a prompt reaches the model: as text, or through its chat template (LoadOptions.promptFormat). */
export type PromptFormat = "plain" | "chat";

/** How loadExamples reads a data file, or rows made in code, into examples. */
export interface LoadOptions {
  /** A task name ("gsm8k", "math") or adapter. */
  task: string | FileTask;
  /** The dataset's name in example ids (and, for rows made in code, in errors); default the file name without its extensions, or "rows". */
  name?: string;
  /** The row shape; default "auto" (detected from the first row's columns). */
  shape?: ShapeName | "auto";
  /** Columns that override the shape's. */
  columns?: ColumnMapping;
  /**
   * "plain" (default, the paper's setting): a bare question becomes
   * question + the task's instruction, as text. "chat": the prompt becomes a user
   * message, for the model's chat template. Chat prompts in the data stay chat
   * prompts under "chat"; under "plain" a single user message reads as its text.
   */
  promptFormat?: PromptFormat;
  /** Renders chat prompts (the tokenizer's chat template with the generation prompt). */
  renderChat?: (messages: readonly ChatMessage[]) => string;
  /** Tokens in a rendered prompt; required with maxPromptTokens. */
  countTokens?: (text: string) => number;
  /** Drop prompts longer than this many tokens (the paper: 256), and count them. */
  maxPromptTokens?: number;
  /** A malformed row stops the load (default) or is skipped and counted. */
  onBadRow?: OnBadRow;
  /** Read at most this many rows. */
  limit?: number;
}

/** What loading read: counts of rows, examples, skipped and long ones, and the shape and mapping used. */
export interface LoadReport {
  /** The file's path, or the name of rows made in code. */
  file: string;
  /** The dataset's name in example ids. */
  dataset: string;
  /** The task's name. */
  task: string;
  /** The detected (or given) shape; null until a row was read. */
  shape: ShapeName | "custom" | null;
  /** The column of each field that was used. */
  mapping: ColumnMapping;
  /** Rows read, good or bad. */
  rows: number;
  /** Examples made (rows less those skipped or too long). */
  examples: number;
  /** Malformed rows skipped under onBadRow "skip". */
  skipped: SkippedRows;
  /** Prompts over maxPromptTokens, dropped. */
  tooLong: number;
}

/** A file's name without directories and data extensions: "data/gsm8k-train.jsonl.gz" gives "gsm8k-train". */
export function datasetName(file: string): string {
  return basename(file).replace(/(\.gz)?$/, "").replace(/\.(jsonl|ndjson|json|parquet)$/i, "");
}

function buildPrompt(fields: RowFields, task: FileTask, format: PromptFormat, source: RowSource, promptColumn: string): Prompt {
  const text = fields.question !== undefined ? fields.question + task.instruction : fields.prompt;
  if (typeof text === "string") return format === "chat" ? [{ role: "user", content: text }] : text;
  if (format === "chat") return text as readonly ChatMessage[];
  try {
    return renderPrompt(text as readonly ChatMessage[]);
  } catch (error) {
    throw new DataError(source, `${(error as Error).message}, or use the chat prompt format`, promptColumn);
  }
}

function checkOptions(options: LoadOptions): void {
  const { maxPromptTokens, countTokens, promptFormat, renderChat, limit } = options;
  if (maxPromptTokens !== undefined) {
    if (!(Number.isInteger(maxPromptTokens) && maxPromptTokens > 0)) throw new Error(`maxPromptTokens must be a positive integer, got ${maxPromptTokens}`);
    if (countTokens === undefined) throw new Error("maxPromptTokens needs countTokens (a tokenizer) to measure prompts");
    if (promptFormat === "chat" && renderChat === undefined) throw new Error("maxPromptTokens with chat prompts needs renderChat (a chat template) to measure them");
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new Error(`limit must be a non-negative integer, got ${limit}`);
}

/** The report of a load that has read nothing yet. */
export function emptyReport(input: DataSource, options: LoadOptions): LoadReport {
  const task = typeof options.task === "string" ? options.task : options.task.name;
  const file = sourceName(input, options.name);
  return { file, dataset: options.name ?? datasetName(file), task, shape: null, mapping: {}, rows: 0, examples: 0, skipped: new SkippedRows(), tooLong: 0 };
}

/**
 * The examples of a data file or of rows made in code, streamed. `report` (pass one from
 * emptyReport to read it afterwards) counts rows, examples, skipped rows and long prompts.
 */
export async function* readExamples(input: DataSource, options: LoadOptions, report: LoadReport = emptyReport(input, options)): AsyncGenerator<Example> {
  checkOptions(options);
  const task = typeof options.task === "string" ? fileTask(options.task) : options.task;
  const format = options.promptFormat ?? "plain";
  const policy = options.onBadRow ?? "stop";
  const limitReached = (): boolean => options.limit !== undefined && report.rows >= options.limit;
  const onBadRow = (error: DataError): void => {
    // The reader reports a malformed line before the loop below sees the next row: past the limit it is not read.
    if (limitReached()) return;
    report.rows++;
    report.skipped.handle(error, policy);
  };
  let mapping: ColumnMapping | null = null;
  for await (const { values, source } of readRows(input, { onBadRow, name: options.name })) {
    if (limitReached()) break;
    report.rows++;
    // The mapping comes from the first good row; when it fails, every row would.
    if (mapping === null) {
      const resolved = resolveMapping({ values, source }, options.shape ?? "auto", options.columns);
      mapping = resolved.mapping;
      report.shape = resolved.shape;
      report.mapping = mapping;
    }
    try {
      const promptColumn = (mapping.question ?? mapping.prompt) as string;
      const fields = mapRow(values, source, mapping);
      const truth = task.groundTruth(fields);
      if ("reason" in truth) throw new DataError(source, truth.reason, mapping[truth.field] ?? truth.field);
      const prompt = buildPrompt(fields, task, format, source, promptColumn);
      const rendered = typeof prompt === "string" ? prompt : options.renderChat?.(prompt) ?? JSON.stringify(prompt);
      if (options.maxPromptTokens !== undefined && (options.countTokens as (text: string) => number)(rendered) > options.maxPromptTokens) {
        report.tooLong++;
        continue;
      }
      report.examples++;
      yield {
        id: exampleId(report.dataset, source.row, rendered),
        prompt,
        answer: truth.answer,
        ...(fields.solution !== undefined ? { solution: fields.solution } : {}),
        columns: fields.columns,
        reward: task.reward,
        source,
      };
    } catch (error) {
      report.skipped.handle(error, policy);
    }
  }
}

/** All examples of a data file or of rows made in code, with the report. */
export async function loadExamples(input: DataSource, options: LoadOptions): Promise<{
  /** The examples, in row order. */
  examples: Example[];
  /** What loading read. */
  report: LoadReport;
}> {
  const report = emptyReport(input, options);
  const examples: Example[] = [];
  for await (const example of readExamples(input, options, report)) examples.push(example);
  return { examples, report };
}
