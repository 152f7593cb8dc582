// `astarpo eval`: held-out accuracy of a model on a data file or a built-in
// task, scored by the task's reward: greedy accuracy, avg@k and pass@k, and the
// KL to a reference model when one is given.
import { Option, type Command } from "commander";
import { evaluate, EVALUATE_DEFAULTS, type EvaluateConfig } from "../api/evaluate.js";
import { BUILTIN_TASKS, FILE_TASKS, isBuiltinTask } from "../data/index.js";
import { parseKnobs } from "./data.js";
import { processIO, type CliIO } from "./io.js";
import { deviceOption, nonNegativeInteger, positiveInteger, positiveNumber, UsageError } from "./options.js";

interface EvalFlags extends Omit<EvaluateConfig, "knobs"> {
  task: string;
  knob: string[];
  k: number;
  samples: number;
  json?: boolean;
}

export function register(program: Command, io: CliIO = processIO): void {
  const d = EVALUATE_DEFAULTS;
  program
    .command("eval")
    .description("held-out accuracy of a model on a data file or a built-in task: greedy, avg@k and pass@k, and KL to a reference")
    .requiredOption("--model <dir|builtin:NAME>", "the model to evaluate")
    .addOption(new Option("--task <name>", "the task and its reward").choices([...Object.keys(FILE_TASKS), ...Object.keys(BUILTIN_TASKS)]).default(d.task))
    .option("--data <file>", "evaluation data (JSONL or Parquet) for a file task: every usable row, up to --size")
    .option("--knob <name=value>", "a built-in task's setting (repeatable; see `astarpo data tasks`)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--size <n>", "prompts to evaluate (built-in tasks: drawn from the test split; files: the first n)", positiveInteger("--size"), d.size)
    .option("--k <n>", "samples per prompt for avg@k and pass@k (1: greedy only)", positiveInteger("--k"), d.k)
    .option("--temperature <t>", "temperature of those samples", positiveNumber("--temperature"), d.temperature)
    .option("--max-new-tokens <n>", "most tokens per response (default 128 for built-in tasks, 1024 for files)", positiveInteger("--max-new-tokens"))
    .option("--seed <n>", "seed of the built-in task's prompts and of the samples", nonNegativeInteger("--seed"), d.seed)
    .addOption(new Option("--prompt-format <format>", "plain text or the model's chat template").choices(["plain", "chat"]).default(d.promptFormat))
    .option("--max-prompt-tokens <n>", "longer prompts are left out", positiveInteger("--max-prompt-tokens"), d.maxPromptTokens)
    .option("--reference <dir|builtin:NAME>", "also report KL(model || reference) on sampled responses")
    .option("--batch-size <n>", "sequences decoded together", positiveInteger("--batch-size"), d.batchSize)
    .addOption(deviceOption())
    .option("--samples <n>", "print this many greedy responses with their rewards", nonNegativeInteger("--samples"), 3)
    .option("--json", "one JSON object instead of text")
    .action(async (flags: EvalFlags) => {
      const builtin = isBuiltinTask(flags.task);
      if (builtin && flags.data !== undefined) throw new UsageError(`--data: task ${flags.task} is built in and reads no file`);
      if (!builtin && flags.data === undefined) throw new UsageError(`--task ${flags.task} needs --data FILE`);
      const { knob, samples: shown, json, ...config } = flags;
      const result = await evaluate({ ...config, knobs: parseKnobs(knob) });
      const samples = result.samples.slice(0, shown);
      if (json) {
        io.stdout(`${JSON.stringify({ model: flags.model, task: flags.task, ...result, samples })}\n`);
        return;
      }
      const pct = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(1)}%`);
      const lines = [`${flags.model} on ${result.prompts} ${flags.task} prompts: greedy accuracy ${pct(result.accuracy)} (${result.unparsed} undecided)` +
        (flags.k > 1 ? `, avg@${flags.k} ${pct(result.avgAtK)}, pass@${flags.k} ${pct(result.passAtK)}` : "") +
        (result.kl !== null ? `, KL to the reference ${result.kl.toFixed(4)}` : "") + `, ${result.responseLength.toFixed(1)} tokens per response`];
      for (const s of samples) lines.push(`  [${s.reward ?? "undecided"}] ${JSON.stringify(s.prompt)} -> ${JSON.stringify(s.completion)}`);
      io.stdout(`${lines.join("\n")}\n`);
    });
}
