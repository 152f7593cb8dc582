// Option parsing shared by the commands: numeric parsers that name the flag,
// the device option, and the error that marks a command line as wrong (exit status 2).
import { Option } from "commander";
import { DEVICE_HELP, devices } from "../tensor/index.js";

/** A command line that cannot run as written: main() turns it into a CliError with exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A number that passes `check`; otherwise a usage error like `--top-p 2: expected a number in (0, 1]`. */
export function numberOption(flag: string, check: (n: number) => boolean, expected: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || !check(n)) throw new UsageError(`${flag} ${value}: expected ${expected}`);
    return n;
  };
}

export const positiveInteger = (flag: string) => numberOption(flag, (n) => Number.isInteger(n) && n > 0, "a positive integer");
export const nonNegativeInteger = (flag: string) => numberOption(flag, (n) => Number.isInteger(n) && n >= 0, "a non-negative integer");
export const positiveNumber = (flag: string) => numberOption(flag, (n) => n > 0, "a number > 0");

/** Runs a check a lower layer makes of an option's value, so that its error reads as a usage error naming the flag. */
export function checkedOption<T>(flag: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw new UsageError(`${flag}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** --device for commands that load a model outside the run config (eval, generate, serve). */
export function deviceOption(): Option {
  return new Option("--device <name>", DEVICE_HELP).choices(devices).default("cpu");
}
