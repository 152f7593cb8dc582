#!/usr/bin/env node
// main() never exits the process; its CliError says what to print and the exit status (1 failed, 2 a bad command line).
import { describeFailure, main } from "../dist/src/cli/main.js";

try {
  await main();
} catch (error) {
  const { text, exitCode } = describeFailure(error);
  process.stderr.write(text);
  process.exitCode = exitCode;
}
