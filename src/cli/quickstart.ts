// `astarpo quickstart` (what `npm start` runs): on a fresh machine, with
// nothing downloaded, a small model that is already half good at multi-step
// arithmetic is trained by A*-PO, GRPO, PPO and REBEL on the same prompts,
// seeds and budget, each evaluated on the same held-out problems, and the
// comparison is printed as the paper's table and saved as summary.json.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { stringify as toYaml } from "yaml";
import { writeFileAtomic } from "../io/index.js";
import { comparisonTable, writeReport } from "../report/index.js";
import { checkClaim } from "../train/claim.js";
import { compare, comparisonDir } from "../train/compare.js";
import { parseRunConfig, type RunConfig } from "../train/config.js";
import { processIO, type CliIO } from "./io.js";
import { stopOnInterrupt } from "./interrupt.js";

export const QUICKSTART_ALGORITHMS = ["astar", "grpo", "ppo", "rebel"] as const;

/**
 * The default run. The shipped reference answers about half of the held-out
 * problems greedily and four in five of the training prompts in 8 samples:
 * something to learn, and something to find. Two updates per rollout batch, as
 * the paper makes, and four epochs over 256 prompts let
 * stage 1 pay for itself, as it does over the paper's 25 epochs.
 */
const FULL: Record<string, unknown> = {
  model: "builtin:arithmetic", task: "arithmetic", knobs: { digits: 1, steps: 2 },
  trainSize: 256, evalSize: 200, batchSize: 64, miniBatchSize: 32, epochs: 4, lr: 1e-4,
  evalEvery: 4, saveEvery: 0, seed: 0,
};

/** The same, small enough for the test suite: 4 steps on 64 prompts. */
const QUICK: Record<string, unknown> = { ...FULL, trainSize: 64, evalSize: 50, batchSize: 16, miniBatchSize: 16, epochs: 1, evalEvery: 2, numValueSamples: 4 };

export function quickstartConfig(quick: boolean, outputDir: string, name: string): RunConfig {
  return parseRunConfig({ ...(quick ? QUICK : FULL), outputDir, name });
}

export async function runQuickstart(options: { quick: boolean; outputDir: string; name: string; progress: boolean }, io: CliIO): Promise<boolean> {
  const config = quickstartConfig(options.quick, options.outputDir, options.name);
  const dir = comparisonDir(config);
  const say = (line: string) => io.stderr(`${line}\n`);
  say(`quickstart: ${QUICKSTART_ALGORITHMS.join(", ")} on built-in arithmetic (${JSON.stringify(config.knobs)}), from ${config.model}, into ${dir}`);
  mkdirSync(dir, { recursive: true });
  await writeFileAtomic(join(dir, "quickstart.yaml"), toYaml(config));
  const interrupt = stopOnInterrupt(say);
  try {
    let index = 0;
    const summary = await compare(config, QUICKSTART_ALGORITHMS, {
      signal: interrupt.signal, progress: options.progress, log: (line) => say(`  ${line}`),
      onAlgorithm: (name, phase) => { if (phase === "start") say(`[${++index}/${QUICKSTART_ALGORITHMS.length}] ${name}`); },
    });
    if (summary === null) {
      io.stdout(`stopped; run the same command again to continue (${dir})\n`);
      return false;
    }
    const report = await writeReport(dir);
    const claim = checkClaim(summary).map((c) => `  [${c.holds ? "holds" : "does not hold"}] ${c.statement}`);
    io.stdout(`${comparisonTable(summary)}\n\nThe paper's claim, on these numbers:\n${claim.join("\n")}\n\n` +
      `report: ${report}\nsummary: ${join(dir, "summary.json")}\nthe same run again: astarpo compare --config ${join(dir, "quickstart.yaml")}\n`);
    return true;
  } finally {
    interrupt.release();
  }
}

export function register(program: Command, io: CliIO = processIO): void {
  program
    .command("quickstart")
    .description("the built-in default: A*-PO, GRPO, PPO and REBEL on a small arithmetic model, compared as in the paper (resumable)")
    .option("--quick", "a 1-2 minute version: fewer prompts and steps")
    .option("--output-dir <dir>", "where the comparison's folder goes", "runs")
    .option("--name <name>", "the comparison's folder name (default quickstart, or quickstart-quick)")
    .option("--quiet", "no progress bars")
    .action(async (flags: { quick?: boolean; outputDir: string; name?: string; quiet?: boolean }) => {
      const quick = flags.quick ?? false;
      await runQuickstart({ quick, outputDir: flags.outputDir, name: flags.name ?? (quick ? "quickstart-quick" : "quickstart"), progress: !flags.quiet }, io);
    });
}
