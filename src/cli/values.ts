// `astarpo values`: stage 1 of A*-PO. Samples N responses per training prompt
// from the frozen reference, in this process or through any OpenAI-compatible
// server (--sampler openai), scores them here, and caches them (resumable); or
// re-scores a cache with the current checker; or reads the per-sample reward
// columns (eval_0 ..) of a dataset made elsewhere. Prints the summary.
// `astarpo values merge` joins the caches of one run made on several machines.
import { Option, type Command } from "commander";
import { computeValues, type ServerSampling } from "../api/values.js";
import { OPENAI_SAMPLER_DEFAULTS, serverUrl } from "../serve/index.js";
import { describeSummary } from "../train/stage-one.js";
import { mergeValues } from "../train/values.js";
import { processIO, type CliIO } from "./io.js";
import { checkedOption, nonNegativeInteger, positiveInteger, positiveNumber, UsageError } from "./options.js";
import { flagOf, runConfigAction } from "./run-config.js";

/** The flags of --sampler openai, by their option keys. */
const SERVER_FLAGS = ["baseUrl", "servedModel", "apiKey", "concurrency", "maxRetries", "requestTimeout", "sendPrompt"] as const;

interface Shard {
  index: number;
  count: number;
}

function parseShard(value: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${value}: expected i/n with 1 <= i <= n (shard i of n)`);
  return { index, count };
}

/** The server to sample through, or undefined for the local sampler; flags that need the other sampler are usage errors. */
function serverOptions(flags: Record<string, unknown>, command: Command): ServerSampling | undefined {
  if (flags.sampler !== "openai") {
    const stray = SERVER_FLAGS.find((key) => command.getOptionValueSource(key) === "cli");
    if (stray !== undefined) throw new UsageError(`${flagOf(stray)} goes with --sampler openai`);
    return undefined;
  }
  if (flags.rescore) throw new UsageError("--rescore samples nothing: drop --sampler openai");
  if (flags.baseUrl === undefined) throw new UsageError("--sampler openai needs --base-url URL (the server's OpenAI base URL, e.g. http://host:8000/v1)");
  checkedOption("--base-url", () => serverUrl(flags.baseUrl as string));
  return {
    baseUrl: flags.baseUrl as string,
    model: flags.servedModel as string | undefined,
    apiKey: flags.apiKey as string | undefined,
    concurrency: flags.concurrency as number | undefined,
    maxRetries: flags.maxRetries as number | undefined,
    timeoutMs: flags.requestTimeout === undefined ? undefined : (flags.requestTimeout as number) * 1000,
    promptFormat: flags.sendPrompt as "ids" | "text" | undefined,
  };
}

export function register(program: Command, io: CliIO = processIO): void {
  const d = OPENAI_SAMPLER_DEFAULTS;
  const command = program
    .command("values")
    .description("A*-PO stage 1: sample N responses per training prompt from the reference, score them, estimate V*(x); resumable")
    .option("--out <dir>", "the values folder (default: <outputDir>/<name>/values, where `astarpo train` looks)")
    .option("--rescore", "score the cached responses again with the task's current checker (no sampling)")
    .option("--shard <i/n>", "sample only shard i of n of the training prompts (every n-th from the i-th), for one of n machines; " +
      "join the folders with `astarpo values merge`", parseShard)
    .addOption(new Option("--sampler <where>", "sample in this process (the --model's weights), or through an OpenAI-compatible server " +
      "(vLLM, SGLang, astarpo serve) that serves the same model; rewards are computed here either way").choices(["local", "openai"]).default("local"))
    .option("--base-url <url>", "with --sampler openai: the server's OpenAI base URL, /v1 included (e.g. http://host:8000/v1)")
    .option("--served-model <name>", "with --sampler openai: the model name the server serves (default: the --model value; " +
      "--model still names the local folder whose tokenizer makes the prompts' token ids)")
    .addOption(new Option("--api-key <key>", "with --sampler openai: sent as `Authorization: Bearer <key>`").env("ASTARPO_API_KEY"))
    .option("--concurrency <n>", `with --sampler openai: requests in flight (default ${d.concurrency}); about twice the server's batch size`,
      positiveInteger("--concurrency"))
    .option("--max-retries <n>", `with --sampler openai: retries of a request that failed with 408/409/429/5xx or no answer (default ${d.maxRetries})`,
      nonNegativeInteger("--max-retries"))
    .option("--request-timeout <s>", `with --sampler openai: seconds one attempt of a request may take (default ${d.timeoutMs / 1000})`,
      positiveNumber("--request-timeout"))
    .addOption(new Option("--send-prompt <as>", `with --sampler openai: send prompts as token ids (exact) or as text, for servers that take only text (default ${d.promptFormat})`)
      .choices(["ids", "text"]))
    .option("--quiet", "no progress bar or event lines");
  runConfigAction(command, io, async ({ config, flags, print, interrupt }) => {
    const server = serverOptions(flags, command);
    const result = await computeValues(config, {
      out: flags.out as string | undefined, server, shard: flags.shard as Shard | undefined, rescore: flags.rescore === true,
      signal: interrupt.signal, progress: !flags.quiet, log: print,
    });
    if (!result.complete) io.stderr(`stopped; run the same command again to continue (${result.dir})\n`);
    io.stdout(`${[...describeSummary(result.summary), `values in ${result.dir}`].join("\n")}\n`);
  });

  command
    .command("merge <out> <inputs...>")
    .description("merge stage-1 folders of one run (made on several machines, e.g. with --shard) into the new folder <out>; " +
      "their settings must agree, and a prompt in several must have the same samples in each")
    .action(async (out: string, inputs: string[]) => {
      const { cache, summary } = await mergeValues(out, inputs);
      io.stdout(`${[...describeSummary(summary), `merged ${inputs.length} folders: ${cache.records.size} prompts in ${out}`].join("\n")}\n`);
    });
}
