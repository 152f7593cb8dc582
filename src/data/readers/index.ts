// Picks the reader by file name.
import { DataError } from "../errors.js";
import { readJsonl } from "./jsonl.js";
import { readParquet } from "./parquet.js";
import type { RawRow, ReadOptions } from "./rows.js";

export type { RawRow, ReadOptions } from "./rows.js";
export { readJsonl } from "./jsonl.js";
export { readParquet } from "./parquet.js";

const JSONL_SUFFIXES = [".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz"];

/** Rows of a .parquet or JSON Lines file (.jsonl, .ndjson, .json as written by `Dataset.to_json`, or gzipped). */
export function readRows(file: string, options: ReadOptions = {}): AsyncGenerator<RawRow> {
  const name = file.toLowerCase();
  if (name.endsWith(".parquet")) return readParquet(file);
  if (JSONL_SUFFIXES.some((suffix) => name.endsWith(suffix))) return readJsonl(file, options);
  throw new DataError({ file }, `unknown file type: expected .parquet or JSON Lines (${JSONL_SUFFIXES.join(", ")})`);
}
