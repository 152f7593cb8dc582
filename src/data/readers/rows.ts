// What every reader yields: one row's values with where it came from. Readers
// are async iterators, so a file is never held in memory whole.
import type { RowSource } from "../example.js";
import { DataError } from "../errors.js";

/** One row as a reader yields it: its columns and where it came from. */
export interface RawRow {
  /** The row's columns by name, as read. */
  values: Record<string, unknown>;
  /** Where the row is. */
  source: RowSource;
}

/** What a reader does with a malformed row. */
export interface ReadOptions {
  /** Called with a malformed row's error; it throws to stop or returns to skip the row. Default: throw. */
  onBadRow?: (error: DataError) => void;
}

export function throwBadRow(error: DataError): never {
  throw error;
}

/** Rows made in code: an array, any iterable (a generator) or async iterable (a database cursor, an API's pages) of plain objects. */
export type Rows = Iterable<Readonly<Record<string, unknown>>> | AsyncIterable<Readonly<Record<string, unknown>>>;

/**
 * Rows made in code as a reader yields them, numbered from 0 under `name` (which stands for the
 * file in errors and example ids); a row that is not a plain object is a bad row.
 */
export async function* readGivenRows(rows: Rows, name: string, options: ReadOptions = {}): AsyncGenerator<RawRow> {
  const onBadRow = options.onBadRow ?? throwBadRow;
  if (rows === null || typeof rows !== "object" || !(Symbol.iterator in rows || Symbol.asyncIterator in rows)) {
    throw new DataError({ file: name }, `expected an array, an iterable or an async iterable of rows, got ${rows === null ? "null" : typeof rows}`);
  }
  let row = 0;
  for await (const values of rows) {
    const source = { file: name, row: row++ };
    if (values === null || typeof values !== "object" || Array.isArray(values)) {
      onBadRow(new DataError(source, `expected an object of columns, got ${Array.isArray(values) ? "an array" : JSON.stringify(values)}`));
      continue;
    }
    yield { values: values as Record<string, unknown>, source };
  }
}
