// Run-config flags, made from the config schema itself so that every option is
// a flag with its documented default, and `--help` can never drift from what
// the schema accepts. Precedence: defaults < --config FILE < flags.
import { Option, type Command } from "commander";
import { stringify as toYaml } from "yaml";
import type { z } from "zod";
import { ConfigError, optionSchemas, parseRunConfig, readConfigFile, type RunConfig } from "../train/config.js";
import type { CliIO } from "./io.js";
import { stopOnInterrupt, type Interrupt } from "./interrupt.js";
import { UsageError } from "./options.js";

/** `adamBeta1` -> `--adam-beta1`. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

interface OptionShape {
  kind: string;
  defaultValue: unknown;
  description: string;
  choices?: string[];
}

/** What an option is, looking through its default/optional wrappers. */
function shapeOf(schema: z.ZodType): OptionShape {
  let inner = schema as unknown as { type: string; def: Record<string, any>; description?: string };
  const description = inner.description ?? "";
  let defaultValue: unknown;
  while (inner.type === "default" || inner.type === "optional") {
    if (inner.type === "default") defaultValue = inner.def.defaultValue;
    inner = inner.def.innerType;
  }
  const entries = inner.type === "enum" ? Object.keys(inner.def.entries)
    : inner.type === "array" && inner.def.element.type === "enum" ? Object.keys(inner.def.element.def.entries) : undefined;
  return { kind: inner.type, defaultValue, description, choices: entries };
}

function parseFlagValue(flag: string, kind: string, value: string): unknown {
  if (kind === "number") {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${flag} ${value}: expected a number`);
    return n;
  }
  if (kind === "boolean") {
    if (value === "true") return true;
    if (value === "false") return false;
    throw new UsageError(`${flag} ${value}: expected true or false`);
  }
  if (kind === "array") return value.split(",").map((v) => v.trim()).filter((v) => v !== "");
  return value;
}

/** `name=value` pairs of --knob into a record (numbers stay text; the task converts them). */
function parseKnob(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf("=");
  if (at <= 0) throw new UsageError(`--knob ${value}: expected name=value`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** Adds --config, --print-config and one flag per run-config option. */
export function addRunConfigOptions(command: Command): Command {
  command
    .option("--config <file>", "a YAML or JSON file of run-config options (flags override it)")
    .option("--print-config", "print the resolved config as YAML and exit");
  for (const [key, schema] of optionSchemas()) {
    const shape = shapeOf(schema);
    const flag = flagOf(key);
    const shown = shape.defaultValue === undefined ? "" : ` (default: ${JSON.stringify(shape.defaultValue)})`;
    if (key === "knobs") {
      command.addOption(new Option("--knob <name=value>", `${shape.description}; repeatable`).argParser(parseKnob));
      continue;
    }
    // A boolean's value may be left out: `--lora` is `--lora true`.
    const placeholder = shape.kind === "boolean" ? "[true|false]" : shape.choices ? `<${shape.choices.join("|")}${shape.kind === "array" ? ",..." : ""}>` : `<${shape.kind === "number" ? "n" : "value"}>`;
    command.addOption(new Option(`${flag} ${placeholder}`, `${shape.description}${shown}`).argParser((v: string) => parseFlagValue(flag, shape.kind, v)));
  }
  return command;
}

/**
 * The config from --config and the flags given on the command line; errors
 * name the file or flag, and are usage errors: a run whose config does not
 * parse has not started.
 */
export function configFromFlags(flags: Record<string, unknown>, command: Command): RunConfig {
  try {
    return mergedRunConfig(flags, command);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function mergedRunConfig(flags: Record<string, unknown>, command: Command): RunConfig {
  const fromFile = typeof flags.config === "string" ? readConfigFile(flags.config) : {};
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [key] of optionSchemas()) {
    const flagKey = key === "knobs" ? "knob" : key;
    if (command.getOptionValueSource(flagKey) === "cli") {
      merged[key] = key === "knobs" ? { ...(fromFile.knobs as object | undefined), ...(flags.knob as object) } : flags[flagKey];
    }
  }
  const where = typeof flags.config === "string" ? `${flags.config}: ` : "";
  return parseRunConfig(merged, where);
}

/** The resolved config as YAML, the form --config reads back. */
export function configYaml(config: RunConfig): string {
  return toYaml(config);
}

/** What a command that runs on a run config gets to run with. */
export interface RunContext {
  config: RunConfig;
  flags: Record<string, unknown>;
  /** An event line on stderr; nothing with --quiet. */
  print: (line: string) => void;
  /** Raised by the first Ctrl-C: the run stops cleanly. */
  interrupt: Interrupt;
}

/**
 * Gives `command` the run config's flags and its action: the config from --config and the flags (through
 * `shape` where the command derives its own), printed by --print-config, or else handed to `run` while
 * Ctrl-C stops it cleanly. The command itself should declare --quiet.
 */
export function runConfigAction(command: Command, io: CliIO, run: (context: RunContext) => Promise<void>,
  shape: (config: RunConfig) => RunConfig = (config) => config): void {
  addRunConfigOptions(command).action(async (flags: Record<string, unknown>) => {
    const config = shape(configFromFlags(flags, command));
    if (flags.printConfig) {
      io.stdout(configYaml(config));
      return;
    }
    const print = (line: string) => { if (!flags.quiet) io.stderr(`${line}\n`); };
    const interrupt = stopOnInterrupt(print);
    try {
      await run({ config, flags, print, interrupt });
    } finally {
      interrupt.release();
    }
  });
}
