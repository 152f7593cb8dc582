// `astarpo train`: stage 2 of A*-PO (or a baseline) from one config, with
// evaluation, metrics, checkpoints and exact resume. Ctrl-C stops after the
// current step with a checkpoint; a second Ctrl-C quits at once. In a terminal
// the steps are shown live (dashboard.tsx), with keys to pause, save and stop;
// elsewhere (a log file, CI) as progress lines.
import type { Command } from "commander";
import isInCi from "is-in-ci";
import { ALGORITHMS } from "../algos/index.js";
import { train } from "../api/train.js";
import { RunControls } from "../train/controls.js";
import type { TrainResult } from "../train/trainer.js";
import { processIO, type CliIO } from "./io.js";
import { runConfigAction } from "./run-config.js";

export function describeResult(result: TrainResult): string {
  const last = result.evals.at(-1);
  const first = result.evals[0];
  const accuracy = first && last && last !== first
    ? `held-out accuracy ${(100 * first.result.accuracy).toFixed(1)}% -> ${(100 * last.result.accuracy).toFixed(1)}%` : "";
  return result.stopped
    ? `stopped at step ${result.steps}; resume with --resume (${result.runDir})`
    : `done: ${result.steps} steps, ${accuracy}; model in ${result.modelDir}${result.adapterDir ? ` (LoRA adapters in ${result.adapterDir})` : ""}, ` +
      `metrics in ${result.runDir}/metrics.jsonl`;
}

export function register(program: Command, io: CliIO = processIO): void {
  const command = program
    .command("train")
    .description(`train a policy by reinforcement learning: ${Object.values(ALGORITHMS).map((a) => `${a.name} (${a.summary})`).join("; ")}`)
    .option("--resume [checkpoint]", "continue the run from its newest checkpoint, or from the checkpoint folder given")
    .option("--quiet", "no progress bar or event lines")
    .option("--plain", "progress lines instead of the live view, even in a terminal (the default under CI)");
  runConfigAction(command, io, async ({ config, flags, print, interrupt }) => {
    // The live view needs a terminal on every stream: keys come from stdin, and stdout must not be a file it would garble.
    // Under CI the terminal renderer draws only its last frame, so a CI job's log gets the plain progress lines instead.
    const terminal = io === processIO && process.stdin.isTTY && process.stdout.isTTY && process.stderr.isTTY && !isInCi;
    const controls = new RunControls();
    const live = terminal && !flags.quiet && !flags.plain ? (await import("./dashboard.js")).startLiveView(controls, interrupt.controller, print) : null;
    let result: TrainResult;
    try {
      result = await train(config, {
        resume: flags.resume as boolean | string | undefined,
        signal: interrupt.signal,
        progress: !flags.quiet,
        log: print,
        controls,
        ...live?.hooks,
      });
    } finally {
      live?.close();
    }
    io.stdout(`${describeResult(result)}\n`);
  });
}
