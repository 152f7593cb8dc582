// `astarpo values`: stage 1 of A*-PO. Samples N responses per training prompt
// from the frozen reference, scores them, and caches them (resumable); or
// re-scores a cache with the current checker; or reads the per-sample reward
// columns (eval_0 ..) of a dataset made elsewhere. Prints the summary.
import { join } from "node:path";
import type { Command } from "commander";
import { localSampler } from "../generate/index.js";
import { frozenCopy, modelFingerprint, resolveModel } from "../models/index.js";
import { referenceWeightsOf, runName, type RunConfig } from "../train/config.js";
import { loadPromptSets } from "../train/prompts.js";
import { describeSummary, hasRewardColumns, runStageOne } from "../train/stage-one.js";
import { rescoreValues, summarizeValues, ValuesCache } from "../train/values.js";
import { processIO, type CliIO } from "./io.js";
import { addRunConfigOptions, configYaml, resolveRunConfig } from "./run-config.js";
import { stopOnInterrupt } from "./train.js";

/** Where stage 1 of a run goes unless told: the folder `astarpo train` looks in. */
export function defaultValuesDir(config: RunConfig): string {
  return join(config.outputDir, runName(config), "values");
}

export function register(program: Command, io: CliIO = processIO): void {
  const command = program
    .command("values")
    .description("A*-PO stage 1: sample N responses per training prompt from the reference, score them, estimate V*(x); resumable")
    .option("--out <dir>", "the values folder (default: <outputDir>/<name>/values, where `astarpo train` looks)")
    .option("--rescore", "score the cached responses again with the task's current checker (no sampling)")
    .option("--quiet", "no progress bar");
  addRunConfigOptions(command).action(async (flags: Record<string, unknown>) => {
    const config = resolveRunConfig(flags, command);
    if (flags.printConfig) {
      io.stdout(configYaml(config));
      return;
    }
    const dir = (flags.out as string | undefined) ?? config.values ?? defaultValuesDir(config);
    const start = await resolveModel(config.model, { seed: config.seed });
    const reference = frozenCopy(start.model, referenceWeightsOf(config, start.storedWeights));
    start.model.dispose();
    try {
      const sets = await loadPromptSets(config, start.tokenizer);
      let summary;
      if (flags.rescore) {
        const cache = ValuesCache.open(dir);
        const changed = await rescoreValues(cache, sets.train, sets.reward);
        summary = summarizeValues(cache, sets.train.map((p) => p.example.id), config.beta1, config.valueMode, cache.readSummary()?.sampling_seconds ?? 0);
        await cache.writeSummary(summary);
        io.stderr(`rescored ${cache.records.size} prompts: ${changed} changed\n`);
      } else {
        const fromColumns = hasRewardColumns(sets.train);
        if (fromColumns) io.stderr(`${config.data}: per-sample reward columns (eval_0 ..) found; V-hat comes from them, no sampling\n`);
        const interrupt = stopOnInterrupt((line) => io.stderr(`${line}\n`));
        try {
          const result = await runStageOne(config, {
            sampler: fromColumns ? null : localSampler(reference, start.tokenizer, config.model),
            fingerprint: fromColumns ? null : modelFingerprint(reference),
            prompts: sets.train, reward: sets.reward, dir, progress: !flags.quiet,
            shouldStop: () => interrupt.signal.aborted,
          });
          if (!result.complete) io.stderr(`stopped; run the same command again to continue (${dir})\n`);
          summary = result.summary;
        } finally {
          interrupt.release();
        }
      }
      io.stdout(`${[...describeSummary(summary), `values in ${dir}`].join("\n")}\n`);
    } finally {
      reference.dispose();
    }
  });
}
