// What every reader yields: one row's values with where it came from. Readers
// are async iterators, so a file is never held in memory whole.
import type { RowSource } from "../example.js";
import type { DataError } from "../errors.js";

export interface RawRow {
  values: Record<string, unknown>;
  source: RowSource;
}

export interface ReadOptions {
  /** Called with a malformed row's error; it throws to stop or returns to skip the row. Default: throw. */
  onBadRow?: (error: DataError) => void;
}

export function throwBadRow(error: DataError): never {
  throw error;
}
