// JSON files of a model folder (config.json, tokenizer_config.json, ...): read
// with errors that name the file, written atomically.
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic-file.js";

/** A parsed JSON object, its values not yet checked. */
export type JsonObject = Record<string, unknown>;

/** The JSON object in `path`; errors name the file and say whether it is missing, not JSON or not an object. */
export function readJsonObject(path: string): JsonObject {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`${path}: cannot read: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error(`${path}: expected a JSON object`);
  return value as JsonObject;
}

/** The object in `path`, or null when there is no such file. */
export function readOptionalJsonObject(path: string): JsonObject | null {
  return existsSync(path) ? readJsonObject(path) : null;
}

/** Writes `value` as indented JSON, atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}
