// `astarpo sft`: supervised warm-up on a built-in task's reference solutions,
// with greedy accuracy (the task's own checker) before and after.
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import { builtinExamples, builtinTask, BUILTIN_REWARDS, BUILTIN_TASKS, configure } from "../data/index.js";
import { resolveModel, saveModel } from "../pretrained/index.js";
import { memory } from "../tensor/index.js";
import { defaultSftConfig, supervisedFineTune } from "../train/sft.js";
import { evaluate } from "../train/evaluate.js";
import { promptItem } from "../train/prompts.js";
import { parseKnobs } from "./data.js";
import type { CliIO } from "./io.js";
import { checkedOption, nonNegativeInteger, positiveInteger, positiveNumber } from "./options.js";

interface SftOptions {
  task: string;
  model: string;
  knob: string[];
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  eval: number;
  out?: string;
  /** The stored weight type of the saved model (default f32). */
  saveDtype?: "f32" | "bf16";
  logEvery: number;
  json?: boolean;
}

export async function runSft(options: SftOptions, print: (line: string) => void = console.log): Promise<{ before: number; after: number }> {
  const task = builtinTask(options.task);
  const knobs = parseKnobs(options.knob);
  const taskConfig = checkedOption("--knob", () => configure(task, knobs));
  const { model, tokenizer } = await resolveModel(options.model, { seed: options.seed });
  const reward = BUILTIN_REWARDS[task.name];
  const log = (event: Record<string, unknown>, text: string) => print(options.json ? JSON.stringify(event) : text);
  try {
    const testSet = [...take(builtinExamples(task, { config: knobs, seed: options.seed, split: "test", unique: true }), options.eval)]
      .map((example) => promptItem(example, tokenizer, true));
    log({ event: "start", task: task.name, config: taskConfig, model: options.model, parameters: model.parameters().reduce((s, p) => s + p.size, 0) },
      `sft: task ${task.name} ${JSON.stringify(taskConfig)}, model ${options.model}, ${options.steps} steps of ${options.batchSize}`);
    const before = await evaluate(model, tokenizer, testSet, reward, { maxNewTokens: 128 });
    log({ event: "eval", step: 0, accuracy: before.accuracy, unparsed: before.unparsed }, `step 0: greedy accuracy ${pct(before.accuracy)} on ${testSet.length} test problems (${before.unparsed} without an answer)`);
    let tokens = 0, seconds = 0;
    const optimizer = supervisedFineTune(model, tokenizer, builtinExamples(task, { config: knobs, seed: options.seed, split: "train" }),
      { steps: options.steps, batchSize: options.batchSize, lr: options.lr }, (s) => {
        tokens += s.tokens;
        seconds += s.seconds;
        if (s.step % options.logEvery === 0 || s.step === options.steps) {
          log({ event: "step", step: s.step, loss: s.loss, grad_norm: s.gradNorm, tokens_per_s: tokens / seconds, peak_bytes: memory().cpu.peak },
            `step ${s.step}: loss ${s.loss.toFixed(4)}  grad norm ${s.gradNorm.toFixed(3)}  ${(tokens / seconds).toFixed(0)} tokens/s`);
          tokens = 0;
          seconds = 0;
        }
      });
    optimizer.dispose();
    const after = await evaluate(model, tokenizer, testSet, reward, { maxNewTokens: 128 });
    const example = after.samples[0];
    log({ event: "eval", step: options.steps, accuracy: after.accuracy, unparsed: after.unparsed, sample: example },
      `step ${options.steps}: greedy accuracy ${pct(after.accuracy)} (${after.unparsed} without an answer)` +
        (example ? `\n  e.g. ${JSON.stringify(example.prompt)} -> ${JSON.stringify(example.completion)}` : ""));
    if (options.out) {
      await saveModel(resolve(options.out), model, tokenizer, { dtype: options.saveDtype ?? "f32" });
      log({ event: "saved", dir: options.out }, `saved the model to ${options.out}`);
    }
    return { before: before.accuracy, after: after.accuracy };
  } finally {
    model.dispose();
  }
}

function* take<T>(items: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const item of items) {
    yield item;
    if (++i >= n) return;
  }
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function register(program: Command, io: CliIO): void {
  program
    .command("sft")
    .description("supervised warm-up on a built-in task's reference solutions, with greedy accuracy before and after")
    .addOption(new Option("--task <name>", "built-in task").choices(Object.keys(BUILTIN_TASKS)).default("arithmetic"))
    .option("--model <dir|builtin:NAME>", "a Hugging Face model folder, or a built-in model created from --seed", "builtin:tiny")
    .option("--knob <name=value>", "task difficulty setting (repeatable; see `astarpo data tasks`)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--steps <n>", "optimizer steps", nonNegativeInteger("--steps"), defaultSftConfig.steps)
    .option("--batch-size <n>", "sequences per step", positiveInteger("--batch-size"), defaultSftConfig.batchSize)
    .option("--lr <rate>", "AdamW learning rate", positiveNumber("--lr"), defaultSftConfig.lr)
    .option("--seed <n>", "seed of the model (built-in) and of the task stream", nonNegativeInteger("--seed"), 0)
    .option("--eval <n>", "test problems for greedy accuracy", nonNegativeInteger("--eval"), 64)
    .option("--log-every <n>", "print progress every n steps (and after the last)", positiveInteger("--log-every"), 25)
    .option("--out <dir>", "save the trained model here (a Hugging Face folder)")
    .addOption(new Option("--save-dtype <dtype>", "stored weight type of the saved model: bf16 halves the files (and makes bf16 the reference's dtype)").choices(["f32", "bf16"]).default("f32"))
    .option("--json", "one JSON object per event instead of text")
    .action(async (options: SftOptions) => {
      await runSft(options, (line) => io.stdout(`${line}\n`));
    });
}
