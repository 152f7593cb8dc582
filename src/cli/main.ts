// The `astarpo` command line: one file per command, each registering itself here.
import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../io/index.js";
import { processIO, type CliIO } from "./io.js";
import { UsageError } from "./options.js";

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
}

/**
 * Each command module exports `register(program, io)`; the list is the CLI. A
 * command writes through `io`, throws a UsageError (options.ts) for a command
 * line that cannot run, and any other error for a failure.
 */
const commands: Array<() => Promise<{ register(program: Command, io: CliIO): void }>> = [
  () => import("./compare.js"),
  () => import("./data.js"),
  () => import("./eval.js"),
  () => import("./generate.js"),
  () => import("./merge.js"),
  () => import("./quickstart.js"),
  () => import("./rollouts.js"),
  () => import("./serve.js"),
  () => import("./sft.js"),
  () => import("./train.js"),
  () => import("./values.js"),
  () => import("./verify.js"),
];

/** The command ran and failed: a file that cannot be read, bad data, a model that does not load. */
export const EXIT_FAILED = 1;
/** The command line is wrong: an unknown command or flag, a bad flag value, flags that do not go together. */
export const EXIT_USAGE = 2;

const EXIT_STATUS_HELP = `
Exit status: 0 done; 1 the command failed (the message says why; set ASTARPO_DEBUG=1 for the stack);
2 the command line is wrong (an unknown command or flag, a bad value, a run config that does not parse)
and nothing was written.`;

/** Why main() did not finish: `message` is the one line to print, `exitCode` EXIT_USAGE or EXIT_FAILED, `cause` the error behind it. */
export class CliError extends Error {
  override name = "CliError";
  constructor(message: string, readonly exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Runs a command line (`argv` as in process.argv: the node and script paths
 * first). Resolves when the command is done or help was asked for; otherwise
 * rejects with a CliError. It never exits the process: bin/astarpo.js does.
 */
export async function main(argv: readonly string[] = process.argv, io: CliIO = processIO): Promise<void> {
  const program = new Command("astarpo")
    .description("Reinforcement learning for reasoning language models: A*-PO and its baselines on a native tensor core")
    .version(packageVersion(), "-V, --version")
    .addHelpText("after", EXIT_STATUS_HELP)
    .exitOverride()
    // Commander's own error text is replaced by the CliError's one line; help and version still print.
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => {} });
  for (const load of commands) (await load()).register(program, io);
  try {
    await program.parseAsync(argv, { from: "node" });
  } catch (error) {
    if (error instanceof CommanderError && ["commander.help", "commander.helpDisplayed", "commander.version"].includes(error.code)) {
      if (error.exitCode === 0) return;
      throw new CliError("astarpo: no command given (see the usage above)", EXIT_USAGE);
    }
    const where = commandPath(program, argv.slice(2));
    if (error instanceof CommanderError || error instanceof UsageError) {
      const message = error.message.replace(/^error: /, "").replace(/\s*\n\s*(?=\()/g, " ").replace(/\s*\n\s*/g, "; ").replace(/\.$/, "");
      throw new CliError(`${where}: ${message} (see ${where} --help)`, EXIT_USAGE, { cause: error });
    }
    throw new CliError(`${where}: ${error instanceof Error ? error.message : String(error)}`, EXIT_FAILED, { cause: error });
  }
}

/**
 * What the `astarpo` process prints for an error main() threw, and its exit
 * status: the CliError's message, with the stack of its cause when
 * ASTARPO_DEBUG is set; anything else is a defect and shows its stack.
 */
export function describeFailure(error: unknown, debug = process.env.ASTARPO_DEBUG): { text: string; exitCode: number } {
  if (!(error instanceof CliError)) return { text: `${error instanceof Error ? error.stack : String(error)}\n`, exitCode: EXIT_FAILED };
  const stack = debug !== undefined && debug !== "" && debug !== "0" && error.cause instanceof Error ? error.cause.stack : undefined;
  return { text: `${error.message}\n${stack !== undefined ? `${stack}\n` : ""}`, exitCode: error.exitCode };
}

/** "astarpo data inspect": the program and the (sub)commands named at the start of `args`. */
function commandPath(program: Command, args: readonly string[]): string {
  const names = [program.name()];
  let command = program;
  for (const arg of args) {
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (sub === undefined) break;
    names.push(sub.name());
    command = sub;
  }
  return names.join(" ");
}
