// `astarpo generate`: sample from a model folder (or a built-in model) the way
// training's rollouts do, as text or as JSON lines with token ids and log-probs.
import { Option, type Command } from "commander";
import { generateText, type GeneratedText, type GenerateTextOptions } from "../api/generate.js";
import { GENERATION_DEFAULTS, type GenerationProgress } from "../generate/index.js";
import { BUILTIN_PREFIX } from "../pretrained/index.js";
import type { CliIO } from "./io.js";
import { deviceOption, numberOption, positiveInteger, positiveNumber, UsageError } from "./options.js";

interface GenerateFlags extends GenerateTextOptions {
  prompt: string;
  stop?: string[];
  json?: boolean;
}

/** Plain text (the responses, headed by their number when there are several) or one JSON object per line. */
export function formatSamples({ sequences, tokensPerSecond }: GeneratedText, json: boolean): string {
  if (json) {
    return sequences.map((s) => JSON.stringify({
      text: s.text,
      token_ids: s.tokenIds,
      logprobs: s.logprobs,
      finish_reason: s.finishReason,
      prompt_tokens: s.promptTokenCount,
      tokens_per_second: tokensPerSecond,
    })).join("\n");
  }
  if (sequences.length === 1) return sequences[0].text;
  return sequences.map((s, i) => `--- sample ${i + 1} (${s.tokenIds.length} tokens, ${s.finishReason}) ---\n${s.text}`).join("\n");
}

/** Rewrites one stderr line at most once a second while sampling, when stderr is a terminal. */
function progressPrinter(io: CliIO): (progress: GenerationProgress) => void {
  let last = 0;
  return ({ newTokens, seconds, finishedSequences, totalSequences }) => {
    if (seconds - last < 1 || !process.stderr.isTTY) return;
    last = seconds;
    io.stderr(`\r${newTokens} tokens, ${(newTokens / seconds).toFixed(1)} tokens/s, ${finishedSequences}/${totalSequences} done`);
  };
}

export function register(program: Command, io: CliIO): void {
  program
    .command("generate")
    .description("sample responses to a prompt from a model folder or a built-in model")
    .requiredOption("--model <dir>", `a Hugging Face model folder, or ${BUILTIN_PREFIX}<preset> (tiny, small) for a seeded built-in model`)
    .requiredOption("--prompt <text>", "the prompt")
    .option("--chat", "render the prompt as a user message with the model's chat template")
    .option("--system <text>", "with --chat: a system message before the prompt")
    .option("--max-new-tokens <n>", "most tokens per response", positiveInteger("--max-new-tokens"), GENERATION_DEFAULTS.maxNewTokens)
    .option("--temperature <t>", "divide the logits by this", positiveNumber("--temperature"), GENERATION_DEFAULTS.temperature)
    .option("--top-p <p>", "nucleus sampling mass (1 = off)", numberOption("--top-p", (n) => n > 0 && n <= 1, "a number in (0, 1]"), GENERATION_DEFAULTS.topP)
    .option("--top-k <k>", "keep the k most likely tokens (0 = off)", numberOption("--top-k", (n) => Number.isInteger(n) && n >= 0, "an integer >= 0"), GENERATION_DEFAULTS.topK)
    .option("--min-p <m>", "drop tokens below m times the most likely one (0 = off)", numberOption("--min-p", (n) => n >= 0 && n < 1, "a number in [0, 1)"), GENERATION_DEFAULTS.minP)
    .option("--greedy", "always take the most likely token")
    .option("--seed <s>", "sampling seed (response i uses a stream derived from it)", numberOption("--seed", Number.isSafeInteger, "an integer"), GENERATION_DEFAULTS.seed)
    .option("--num <n>", "responses to sample", positiveInteger("--num"), 1)
    .option("--stop <text>", "end a response at this text (repeatable)", (value: string, all: string[] = []) => [...all, value])
    .option("--batch-size <n>", "responses decoded together", positiveInteger("--batch-size"), GENERATION_DEFAULTS.batchSize)
    .addOption(new Option("--weights <type>", "hold the weights as f32, or as bf16: half the memory, faster sampling, sums still f32")
      .choices(["f32", "bf16"]).default("f32"))
    .addOption(deviceOption())
    .option("--json", "one JSON object per response: text, token_ids, logprobs, finish_reason, prompt_tokens, tokens_per_second")
    .action(async (options: GenerateFlags) => {
      if (options.system !== undefined && !options.chat) throw new UsageError("--system needs --chat");
      const samples = await generateText({ ...options, onProgress: progressPrinter(io) });
      const newTokens = samples.sequences.reduce((n, s) => n + s.tokenIds.length, 0);
      io.stderr(`${process.stderr.isTTY ? "\r" : ""}${newTokens} tokens, ${samples.tokensPerSecond.toFixed(1)} tokens/s\n`);
      io.stdout(`${formatSamples(samples, options.json === true)}\n`);
    });
}
