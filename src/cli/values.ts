// `astarpo values`: stage 1 of A*-PO. Samples N responses per training prompt
// from the frozen reference, in this process or through any OpenAI-compatible
// server (--sampler openai), scores them here, and caches them (resumable); or
// re-scores a cache with the current checker; or reads the per-sample reward
// columns (eval_0 ..) of a dataset made elsewhere. Prints the summary.
// `astarpo values merge` joins the caches of one run made on several machines.
import { join } from "node:path";
import { Option, type Command } from "commander";
import { localSampler, type ResponseSampler } from "../generate/index.js";
import { frozenCopy, modelFingerprint, resolveModel, resolveTokenizer } from "../models/index.js";
import { openaiSampler, OPENAI_SAMPLER_DEFAULTS, type OpenAISamplerOptions } from "../serve/index.js";
import type { Tokenizer } from "../tokenize/index.js";
import { referenceWeightsOf, runName, type RunConfig } from "../train/config.js";
import { loadPromptSets, promptShard } from "../train/prompts.js";
import { describeSummary, hasRewardColumns, runStageOne } from "../train/stage-one.js";
import { mergeValues, rescoreValues, summarizeValues, ValuesCache } from "../train/values.js";
import { processIO, type CliIO } from "./io.js";
import { checkedOption, nonNegativeInteger, positiveInteger, positiveNumber, UsageError } from "./options.js";
import { addRunConfigOptions, configYaml, flagOf, resolveRunConfig } from "./run-config.js";
import { stopOnInterrupt } from "./train.js";

/** Where stage 1 of a run goes unless told: the folder `astarpo train` looks in. */
export function defaultValuesDir(config: RunConfig): string {
  return join(config.outputDir, runName(config), "values");
}

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

/** The server to sample through (without the tokenizer), or null for the local sampler; flags that need the other sampler are usage errors. */
function serverOptions(flags: Record<string, unknown>, command: Command, model: string): Omit<OpenAISamplerOptions, "tokenizer"> | null {
  if (flags.sampler !== "openai") {
    const stray = SERVER_FLAGS.find((key) => command.getOptionValueSource(key) === "cli");
    if (stray !== undefined) throw new UsageError(`${flagOf(stray)} goes with --sampler openai`);
    return null;
  }
  if (flags.rescore) throw new UsageError("--rescore samples nothing: drop --sampler openai");
  if (flags.baseUrl === undefined) throw new UsageError("--sampler openai needs --base-url URL (the server's OpenAI base URL, e.g. http://host:8000/v1)");
  return {
    baseUrl: flags.baseUrl as string,
    model: (flags.servedModel as string | undefined) ?? model,
    apiKey: flags.apiKey as string | undefined,
    concurrency: flags.concurrency as number | undefined,
    maxRetries: flags.maxRetries as number | undefined,
    timeoutMs: flags.requestTimeout === undefined ? undefined : (flags.requestTimeout as number) * 1000,
    promptFormat: flags.sendPrompt as "ids" | "text" | undefined,
  };
}

interface ReferenceSampler {
  sampler: ResponseSampler;
  fingerprint: string | null;
  tokenizer: Tokenizer;
  dispose(): void;
}

/** The frozen reference in this process, or a server serving it: then only the tokenizer is read here, for the prompts' ids. */
async function referenceSampler(config: RunConfig, server: Omit<OpenAISamplerOptions, "tokenizer"> | null): Promise<ReferenceSampler> {
  if (server !== null) {
    const tokenizer = resolveTokenizer(config.model);
    const sampler = checkedOption("--base-url", () => openaiSampler({ ...server, tokenizer }));
    return { sampler, fingerprint: null, tokenizer, dispose: () => {} };
  }
  const start = await resolveModel(config.model, { seed: config.seed });
  const reference = frozenCopy(start.model, referenceWeightsOf(config, start.storedWeights));
  start.model.dispose();
  return {
    sampler: localSampler(reference, start.tokenizer, config.model),
    fingerprint: modelFingerprint(reference),
    tokenizer: start.tokenizer,
    dispose: () => reference.dispose(),
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
    .option("--quiet", "no progress bar");
  addRunConfigOptions(command).action(async (flags: Record<string, unknown>) => {
    const config = resolveRunConfig(flags, command);
    if (flags.printConfig) {
      io.stdout(configYaml(config));
      return;
    }
    const server = serverOptions(flags, command, config.model);
    const dir = (flags.out as string | undefined) ?? config.values ?? defaultValuesDir(config);
    let summary;
    if (flags.rescore) {
      const sets = await loadPromptSets(config, resolveTokenizer(config.model));
      const cache = ValuesCache.open(dir);
      const changed = await rescoreValues(cache, sets.train, sets.reward);
      summary = summarizeValues(cache, sets.train.map((p) => p.example.id), config.beta1, config.valueMode, cache.readSummary()?.sampling_seconds ?? 0);
      await cache.writeSummary(summary);
      io.stderr(`rescored ${cache.records.size} prompts: ${changed} changed\n`);
    } else {
      const reference = await referenceSampler(config, server);
      try {
        const sets = await loadPromptSets(config, reference.tokenizer);
        const shard = flags.shard as Shard | undefined;
        const prompts = shard === undefined ? sets.train : promptShard(sets.train, shard.index, shard.count);
        if (shard !== undefined) io.stderr(`shard ${shard.index}/${shard.count}: ${prompts.length} of ${sets.train.length} training prompts\n`);
        const fromColumns = hasRewardColumns(prompts);
        if (fromColumns) io.stderr(`${config.data}: per-sample reward columns (eval_0 ..) found; V-hat comes from them, no sampling\n`);
        const interrupt = stopOnInterrupt((line) => io.stderr(`${line}\n`));
        try {
          const result = await runStageOne(config, {
            sampler: fromColumns ? null : reference.sampler,
            fingerprint: fromColumns ? null : reference.fingerprint,
            prompts, reward: sets.reward, dir, progress: !flags.quiet,
            shouldStop: () => interrupt.signal.aborted,
          });
          if (!result.complete) io.stderr(`stopped; run the same command again to continue (${dir})\n`);
          summary = result.summary;
        } finally {
          interrupt.release();
        }
      } finally {
        reference.dispose();
      }
    }
    io.stdout(`${[...describeSummary(summary), `values in ${dir}`].join("\n")}\n`);
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
