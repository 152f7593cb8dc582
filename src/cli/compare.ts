// `astarpo compare`: several algorithms on one config (same prompts, seeds and
// budget), then one summary.json, report.html and the table. Resumable: run it
// again after a stop and finished algorithms are read back.
import { Option, type Command } from "commander";
import { ALGORITHMS } from "../algos/index.js";
import { comparisonTable, writeReport } from "../report/index.js";
import { compare, comparisonConfig } from "../api/train.js";
import { comparisonDir } from "../train/compare.js";
import { processIO, type CliIO } from "./io.js";
import { UsageError } from "./options.js";
import { runConfigAction } from "./run-config.js";

/** `--algos a,b,c`: known algorithm names, checked where the flag is read. */
function parseAlgorithms(value: string): string[] {
  const algos = value.split(",").map((a) => a.trim()).filter((a) => a !== "");
  const unknown = algos.filter((a) => !(a in ALGORITHMS));
  if (algos.length === 0 || unknown.length > 0) throw new UsageError(`--algos ${value}: unknown ${unknown.join(", ") || "(none given)"}; have ${Object.keys(ALGORITHMS).join(", ")}`);
  return algos;
}

export function register(program: Command, io: CliIO = processIO): void {
  const command = program
    .command("compare")
    .description("train several algorithms on the same prompts, seeds and budget; write summary.json and report.html, and print the table")
    .addOption(new Option("--algos <list>", `comma-separated algorithms (${Object.keys(ALGORITHMS).join(", ")})`)
      .argParser(parseAlgorithms).default(parseAlgorithms("astar,grpo,ppo,rebel"), "astar,grpo,ppo,rebel"))
    .option("--quiet", "no progress bar or event lines");
  runConfigAction(command, io, async ({ config, flags, print, interrupt }) => {
    const summary = await compare(config, flags.algos as string[], {
      signal: interrupt.signal, progress: !flags.quiet, log: print,
      onAlgorithm: (name, phase) => { if (phase === "start") print(`== ${name}`); },
    });
    if (summary === null) {
      io.stdout(`stopped; run the same command again to continue (${comparisonDir(config)})\n`);
      return;
    }
    const report = await writeReport(comparisonDir(config));
    io.stdout(`${comparisonTable(summary)}\nsummary in ${comparisonDir(config)}/summary.json\nreport in ${report}\n`);
  }, comparisonConfig);
}
