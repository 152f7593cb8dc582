// The `astarpo` command line: one file per command, each registering itself here.
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (pkg.name === "astarpo") return pkg.version;
    } catch {
      // not the package root yet
    }
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
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
