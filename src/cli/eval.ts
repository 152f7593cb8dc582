// `astarpo eval`: held-out accuracy of a model on a data file or a built-in
// task, scored by the task's reward: greedy accuracy, avg@k and pass@k, and the
// KL to a reference model when one is given.
import { Option, type Command } from "commander";
import { BUILTIN_TASKS, FILE_TASKS, isBuiltinTask } from "../data/index.js";
import { frozenCopy, resolveModel, type DecoderModel } from "../models/index.js";
import { evaluate } from "../train/evaluate.js";
import { builtinPrompts, filePrompts, rewardFor, type PromptSource } from "../train/prompts.js";
import { parseKnobs } from "./data.js";
import { processIO, type CliIO } from "./io.js";
import { nonNegativeInteger, positiveInteger, positiveNumber, UsageError } from "./options.js";

interface EvalFlags {
  model: string;
  task: string;
  data?: string;
  knob: string[];
  size: number;
  k: number;
  temperature: number;
  maxNewTokens?: number;
  seed: number;
  promptFormat: "plain" | "chat";
  maxPromptTokens: number;
  reference?: string;
  batchSize: number;
  samples: number;
  json?: boolean;
}

export function register(program: Command, io: CliIO = processIO): void {
  program
    .command("eval")
    .description("held-out accuracy of a model on a data file or a built-in task: greedy, avg@k and pass@k, and KL to a reference")
    .requiredOption("--model <dir|builtin:NAME>", "the model to evaluate")
    .addOption(new Option("--task <name>", "the task and its reward").choices([...Object.keys(FILE_TASKS), ...Object.keys(BUILTIN_TASKS)]).default("arithmetic"))
    .option("--data <file>", "evaluation data (JSONL or Parquet) for a file task: every usable row, up to --size")
    .option("--knob <name=value>", "a built-in task's setting (repeatable; see `astarpo data tasks`)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--size <n>", "prompts to evaluate (built-in tasks: drawn from the test split; files: the first n)", positiveInteger("--size"), 128)
    .option("--k <n>", "samples per prompt for avg@k and pass@k (1: greedy only)", positiveInteger("--k"), 1)
    .option("--temperature <t>", "temperature of those samples", positiveNumber("--temperature"), 1)
    .option("--max-new-tokens <n>", "most tokens per response (default 128 for built-in tasks, 1024 for files)", positiveInteger("--max-new-tokens"))
    .option("--seed <n>", "seed of the built-in task's prompts and of the samples", nonNegativeInteger("--seed"), 0)
    .addOption(new Option("--prompt-format <format>", "plain text or the model's chat template").choices(["plain", "chat"]).default("plain"))
    .option("--max-prompt-tokens <n>", "longer prompts are left out", positiveInteger("--max-prompt-tokens"), 256)
    .option("--reference <dir|builtin:NAME>", "also report KL(model || reference) on sampled responses")
    .option("--batch-size <n>", "sequences decoded together", positiveInteger("--batch-size"), 64)
    .option("--samples <n>", "print this many greedy responses with their rewards", nonNegativeInteger("--samples"), 3)
    .option("--json", "one JSON object instead of text")
    .action(async (flags: EvalFlags) => {
      const builtin = isBuiltinTask(flags.task);
      if (builtin && flags.data !== undefined) throw new UsageError(`--data: task ${flags.task} is built in and reads no file`);
      if (!builtin && flags.data === undefined) throw new UsageError(`--task ${flags.task} needs --data FILE`);
      const source: PromptSource = { task: flags.task, knobs: parseKnobs(flags.knob), seed: flags.seed, promptFormat: flags.promptFormat, maxPromptTokens: flags.maxPromptTokens };
      const { model, tokenizer } = await resolveModel(flags.model, { seed: flags.seed });
      let reference: DecoderModel | null = null;
      try {
        const read = builtin ? null : await filePrompts(flags.data!, source, tokenizer);
        const prompts = builtin ? builtinPrompts(source, "test", flags.size, tokenizer) : read!.prompts.slice(0, flags.size);
        if (prompts.length === 0) throw new Error(`no prompts to evaluate${read ? ` in ${flags.data} (${read.report.rows} rows read)` : ""}`);
        const reward = rewardFor(builtin ? flags.task : read!.reward!);
        if (flags.reference !== undefined) {
          const ref = await resolveModel(flags.reference, { seed: flags.seed, flag: "--reference" });
          reference = frozenCopy(ref.model, ref.storedWeights);
          ref.model.dispose();
        }
        const result = await evaluate(model, tokenizer, prompts, reward, {
          maxNewTokens: flags.maxNewTokens ?? (builtin ? 128 : 1024), batchSize: flags.batchSize, k: flags.k, temperature: flags.temperature,
          reference, seed: flags.seed,
        });
        if (flags.json) {
          io.stdout(`${JSON.stringify({ model: flags.model, task: flags.task, prompts: prompts.length, ...result, samples: result.samples.slice(0, flags.samples) })}\n`);
          return;
        }
        const pct = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(1)}%`);
        const lines = [`${flags.model} on ${prompts.length} ${flags.task} prompts: greedy accuracy ${pct(result.accuracy)} (${result.unparsed} undecided)` +
          (flags.k > 1 ? `, avg@${flags.k} ${pct(result.avgAtK)}, pass@${flags.k} ${pct(result.passAtK)}` : "") +
          (result.kl !== null ? `, KL to the reference ${result.kl.toFixed(4)}` : "") + `, ${result.responseLength.toFixed(1)} tokens per response`];
        for (const s of result.samples.slice(0, flags.samples)) lines.push(`  [${s.reward ?? "undecided"}] ${JSON.stringify(s.prompt)} -> ${JSON.stringify(s.completion)}`);
        io.stdout(`${lines.join("\n")}\n`);
      } finally {
        model.dispose();
        reference?.dispose();
      }
    });
}
