// Picks the reader by file name; rows made in code go through the same path.
import { DataError } from "../errors.js";
import { readJsonl } from "./jsonl.js";
import { readParquet } from "./parquet.js";
import { readGivenRows, type RawRow, type ReadOptions, type Rows } from "./rows.js";

export type { RawRow, ReadOptions, Rows } from "./rows.js";
export { readJsonl } from "./jsonl.js";
export { readParquet } from "./parquet.js";
export { readGivenRows } from "./rows.js";

const JSONL_SUFFIXES = [".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz"];

/** Where rows come from: a data file's path, or rows made in code. */
export type DataSource = string | Rows;

/** The name a source goes by in errors, reports and example ids: the file's path, or the name given to rows (default "rows"). */
export function sourceName(source: DataSource, name?: string): string {
  return typeof source === "string" ? source : name ?? "rows";
}

/**
 * Rows of a .parquet or JSON Lines file (.jsonl, .ndjson, .json as written by `Dataset.to_json`, or
 * gzipped), or of rows made in code (named `name` in errors).
 */
export function readRows(source: DataSource, options: ReadOptions & { name?: string } = {}): AsyncGenerator<RawRow> {
  if (typeof source !== "string") return readGivenRows(source, sourceName(source, options.name), options);
  const name = source.toLowerCase();
  if (name.endsWith(".parquet")) return readParquet(source);
  if (JSONL_SUFFIXES.some((suffix) => name.endsWith(suffix))) return readJsonl(source, options);
  throw new DataError({ file: source }, `unknown file type: expected .parquet or JSON Lines (${JSONL_SUFFIXES.join(", ")})`);
}
