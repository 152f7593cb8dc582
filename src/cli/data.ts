// `astarpo data`: look at a data file (or a built-in task) the way training
// will see it: row counts, what was skipped and why, rendered prompts and the
// extracted answers.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Option, type Command } from "commander";
import {
  BUILTIN_TASKS,
  FILE_TASKS,
  SHAPE_NAMES,
  builtinExamples,
  DataError,
  builtinTask,
  configure,
  emptyReport,
  fileTask,
  isBuiltinTask,
  readExamples,
  renderPrompt,
  type ColumnMapping,
  type Example,
  type KnobValue,
  type LoadOptions,
  type OnBadRow,
  type ShapeName,
} from "../data/index.js";
import type { ChatMessage } from "../rewards/types.js";
import { loadTokenizer } from "../tokenize/index.js";
import type { CliIO } from "./io.js";
import { checkedOption, nonNegativeInteger, UsageError } from "./options.js";

export interface InspectOptions {
  task: string;
  shape?: ShapeName | "auto";
  questionColumn?: string;
  promptColumn?: string;
  answerColumn?: string;
  solutionColumn?: string;
  chat?: boolean;
  tokenizer?: string;
  maxPromptTokens?: number;
  onBadRow?: OnBadRow;
  limit?: number;
  show?: number;
  seed?: number;
  split?: "train" | "test";
  knob?: string[];
  count?: number;
}

/** How prompts are measured and chat prompts shown: by a tokenizer when one is given, else in characters. */
interface Measure {
  unit: "tokens" | "characters";
  count(text: string): number;
  renderChat?: (messages: readonly ChatMessage[]) => string;
}

function measureFor(tokenizerDir: string | undefined): Measure {
  if (tokenizerDir === undefined) return { unit: "characters", count: (text) => text.length };
  if (!existsSync(join(tokenizerDir, "tokenizer.json"))) throw new Error(`--tokenizer ${tokenizerDir}: no tokenizer.json there`);
  const tokenizer = loadTokenizer(tokenizerDir);
  return {
    unit: "tokens",
    count: (text) => tokenizer.encode(text, { addSpecialTokens: false }).length,
    renderChat: tokenizer.hasChatTemplate ? (messages) => tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true }) : undefined,
  };
}

/** A chat prompt as the model reads it when there is a template, else one `[role]` block per message. */
function showPrompt(example: Example, measure: Measure): string {
  if (typeof example.prompt === "string") return example.prompt;
  if (measure.renderChat !== undefined) return renderPrompt(example.prompt, measure.renderChat);
  return example.prompt.map((message) => `[${message.role}]\n${message.content}`).join("\n");
}

function lengthSummary(lengths: readonly number[], unit: string): string {
  if (lengths.length === 0) return "no prompts";
  const mean = lengths.reduce((sum, n) => sum + n, 0) / lengths.length;
  return `${unit}: min ${Math.min(...lengths)}, mean ${mean.toFixed(1)}, max ${Math.max(...lengths)}`;
}

function showExamples(examples: readonly Example[], total: number, measure: Measure, extra: (example: Example) => string[]): string[] {
  return examples.flatMap((example, i) => [
    "",
    `example ${i + 1} of ${total} (row ${example.source.row}, id ${example.id})`,
    "--- prompt ---",
    showPrompt(example, measure),
    "--- answer ---",
    example.answer,
    ...extra(example),
  ]);
}

export function parseKnobs(pairs: readonly string[]): Record<string, KnobValue> {
  const knobs: Record<string, KnobValue> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--knob ${pair}: expected NAME=VALUE`);
    knobs[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return knobs;
}

async function inspectFile(file: string, options: InspectOptions): Promise<string> {
  const task = fileTask(options.task);
  const measure = measureFor(options.tokenizer);
  if (options.maxPromptTokens !== undefined && measure.unit !== "tokens") throw new UsageError("--max-prompt-tokens needs --tokenizer to count tokens");
  const columns: ColumnMapping = {};
  if (options.questionColumn !== undefined) columns.question = options.questionColumn;
  if (options.promptColumn !== undefined) columns.prompt = options.promptColumn;
  if (options.answerColumn !== undefined) columns.answer = options.answerColumn;
  if (options.solutionColumn !== undefined) columns.solution = options.solutionColumn;
  const load: LoadOptions = {
    task: options.task,
    shape: options.shape ?? "auto",
    columns,
    promptFormat: options.chat === true ? "chat" : "plain",
    renderChat: measure.renderChat,
    countTokens: measure.count,
    maxPromptTokens: options.maxPromptTokens,
    onBadRow: options.onBadRow ?? "stop",
    limit: options.limit,
  };
  const report = emptyReport(file, load);
  const shown: Example[] = [];
  const lengths: number[] = [];
  try {
    for await (const example of readExamples(file, load, report)) {
      if (shown.length < (options.show ?? 2)) shown.push(example);
      lengths.push(measure.count(showPrompt(example, measure)));
    }
  } catch (error) {
    if (error instanceof DataError && error.isRowError && load.onBadRow === "stop") {
      throw new Error(`${error.message}\n(--on-bad-row skip skips and counts such rows)`);
    }
    throw error;
  }
  const mapping = Object.entries(report.mapping).map(([field, column]) => `${field} <- "${column}"`).join(", ");
  const lines = [
    `file      ${file}`,
    `task      ${task.name} (${task.reward === null ? "scored by a reward function given from code" : `reward "${task.reward}"`})`,
    `shape     ${report.shape ?? "none (no rows)"}${mapping !== "" ? `: ${mapping}` : ""}`,
    `rows      ${report.rows} read, ${report.examples} examples, ${report.skipped.count} skipped` +
      (options.maxPromptTokens !== undefined ? `, ${report.tooLong} over ${options.maxPromptTokens} tokens` : ""),
    `prompts   ${lengthSummary(lengths, measure.unit)}${measure.unit === "characters" ? " (no --tokenizer given)" : ""}`,
  ];
  for (const error of report.skipped.firstErrors) lines.push(`skipped   ${error.message}`);
  if (report.skipped.count > report.skipped.firstErrors.length) lines.push(`skipped   ... and ${report.skipped.count - report.skipped.firstErrors.length} more`);
  return [...lines, ...showExamples(shown, report.examples, measure, () => [])].join("\n");
}

function inspectBuiltin(options: InspectOptions): string {
  const task = builtinTask(options.task);
  const measure = measureFor(options.tokenizer);
  const knobs = parseKnobs(options.knob ?? []);
  const config = checkedOption("--knob", () => configure(task, knobs));
  const split = options.split ?? "train";
  const count = options.count ?? 1000;
  const examples: Example[] = [];
  for (const example of builtinExamples(task, { config: knobs, seed: options.seed ?? 0, split })) {
    examples.push(example);
    if (examples.length >= count) break;
  }
  const distinct = new Set(examples.map((example) => example.prompt)).size;
  const solved = examples.filter((example) => task.check(example.solution ?? "", example.columns) === 1).length;
  const lines = [
    `task      ${task.name}: ${task.description}`,
    `config    ${Object.entries(config).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(" ")}`,
    `sample    ${examples.length} examples (seed ${options.seed ?? 0}, ${split} split), ${distinct} distinct prompts`,
    `prompts   ${lengthSummary(examples.map((example) => measure.count(showPrompt(example, measure))), measure.unit)}`,
    `check     the reference solutions score 1 on ${solved} of ${examples.length}`,
  ];
  const shown = examples.slice(0, options.show ?? 2);
  return [...lines, ...showExamples(shown, examples.length, measure, (example) => ["--- reference solution ---", example.solution ?? ""])].join("\n");
}

/** The report `astarpo data inspect` prints. */
export async function inspect(file: string | undefined, options: InspectOptions): Promise<string> {
  if (isBuiltinTask(options.task)) {
    if (file !== undefined) throw new UsageError(`task "${options.task}" is built in and reads no file; leave out ${file}`);
    return inspectBuiltin(options);
  }
  if (file === undefined) throw new UsageError(`task "${options.task}" reads a data file: astarpo data inspect FILE --task ${options.task}`);
  return inspectFile(file, options);
}

/** The tasks and their knobs, for `astarpo data tasks`. */
export function listTasks(): string {
  const lines = ["tasks for data files:"];
  for (const task of Object.values(FILE_TASKS)) lines.push(`  ${task.name.padEnd(11)} ${task.description} (reward "${task.reward}")`);
  lines.push("", "built-in tasks (no download; --knob NAME=VALUE):");
  for (const task of Object.values(BUILTIN_TASKS)) {
    lines.push(`  ${task.name.padEnd(11)} ${task.description}`);
    for (const [name, meaning] of Object.entries(task.knobs)) lines.push(`  ${"".padEnd(11)}   ${name}=${JSON.stringify(task.defaults[name])}: ${meaning}`);
  }
  return lines.join("\n");
}

export function register(program: Command, io: CliIO): void {
  const data = program.command("data").description("read data files and built-in tasks the way training does");
  data
    .command("inspect")
    .description("row counts, skipped rows, rendered prompts and extracted answers of a data file or a built-in task")
    .argument("[file]", "a .jsonl / .json / .parquet file (gzip: .jsonl.gz); none for a built-in task")
    .addOption(new Option("--task <name>", "what the rows are for").choices([...Object.keys(FILE_TASKS), ...Object.keys(BUILTIN_TASKS)]).makeOptionMandatory())
    .addOption(new Option("--shape <name>", "row shape").choices(["auto", ...SHAPE_NAMES]).default("auto"))
    .option("--question-column <name>", "a bare question; the task's instruction is appended")
    .option("--prompt-column <name>", "a finished prompt (text or chat messages), used as is")
    .option("--answer-column <name>", "the ground truth (dotted names reach nested columns: reward_model.ground_truth)")
    .option("--solution-column <name>", "a worked solution holding the answer")
    .option("--chat", "make prompts chat messages for the model's chat template")
    .option("--tokenizer <dir>", "a model folder: count tokens and render chat templates with its tokenizer")
    .option("--max-prompt-tokens <n>", "drop prompts longer than this (needs --tokenizer)", nonNegativeInteger("--max-prompt-tokens"))
    .addOption(new Option("--on-bad-row <policy>", "stop at a malformed row, or skip and count it").choices(["stop", "skip"]).default("stop"))
    .option("--limit <rows>", "read at most this many rows", nonNegativeInteger("--limit"))
    .option("--show <n>", "examples to print", nonNegativeInteger("--show"), 2)
    .option("--seed <n>", "built-in tasks: the generator's seed", nonNegativeInteger("--seed"), 0)
    .addOption(new Option("--split <name>", "built-in tasks: the split to draw from").choices(["train", "test"]).default("train"))
    .option("--knob <name=value>", "built-in tasks: a difficulty knob (repeatable)", (value: string, all: string[] = []) => [...all, value])
    .option("--count <n>", "built-in tasks: examples to generate for the summary", nonNegativeInteger("--count"), 1000)
    .action(async (file: string | undefined, options: InspectOptions) => {
      io.stdout(`${await inspect(file, options)}\n`);
    });
  data
    .command("tasks")
    .description("the tasks, their rewards and the built-in tasks' knobs")
    .action(() => {
      io.stdout(`${listTasks()}\n`);
    });
}
