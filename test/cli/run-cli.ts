// Running the command line in a test: `astarpo ARGS` through main(), its output kept, and a scratch folder.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError, describeFailure, main } from "../../src/cli/main.js";

export interface Run { code: number; stdout: string; stderr: string }

/** `astarpo ARGS` as bin/astarpo.js runs it, with the output kept; every failure must be a CliError. */
export async function run(...args: string[]): Promise<Run> {
  let stdout = "", stderr = "";
  try {
    await main(["node", "astarpo", ...args], { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    assert.ok(error instanceof CliError, `astarpo ${args.join(" ")} threw ${String(error)}`);
    const failure = describeFailure(error, undefined);
    return { code: failure.exitCode, stdout, stderr: stderr + failure.text };
  }
}

/** Runs `body` with an empty scratch folder, removed afterwards. */
export async function inScratch(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-cli-"));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

