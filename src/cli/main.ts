// The `astarpo` command line: one file per command, each registering itself here.
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../io/index.js";

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
}

/** Each command module exports `register(program)`; the list is the CLI. */
const commands: Array<() => Promise<{ register(program: Command): void }>> = [
  () => import("./data.js"),
  () => import("./generate.js"),
  () => import("./sft.js"),
  () => import("./train.js"),
  () => import("./values.js"),
  () => import("./verify.js"),
];

export async function main(argv: string[]): Promise<void> {
  const program = new Command("astarpo")
    .description("Reinforcement learning for reasoning language models: A*-PO and its baselines on a native tensor core")
    .version(packageVersion(), "-V, --version")
    .showHelpAfterError();
  for (const load of commands) (await load()).register(program);
  await program.parseAsync(argv);
}
