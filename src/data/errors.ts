// Bad input: every error names the file, the row (or line) and the column, and
// a bad row is either fatal or skipped and counted, never dropped silently.
import { describeSource, type RowSource } from "./example.js";

/** A problem with input data, its message naming the file, the row (or line) and the column. */
export class DataError extends Error {
  constructor(
    /** The file, and the row when the problem is in one row. */
    readonly where: RowSource | {
      /** The file as given. */
      file: string;
    },
    /** What is wrong, without the place. */
    readonly reason: string,
    /** The column at fault, when there is one. */
    readonly column?: string,
  ) {
    const place = "row" in where ? describeSource(where) : where.file;
    super(`${place}${column !== undefined ? `, column "${column}"` : ""}: ${reason}`);
    this.name = "DataError";
  }

  /** True when the error is about one row, which "skip" may pass over; file-level errors always stop. */
  get isRowError(): boolean {
    return "row" in this.where;
  }
}

/** What to do with a malformed row: stop with its error (the default), or skip it and count it. */
export type OnBadRow = "stop" | "skip";

/** Skipped rows: how many, and the first few errors in full so that the report can show them. */
export class SkippedRows {
  /** Rows skipped so far. */
  count = 0;
  /** The errors of the first skipped rows (5 by default). */
  readonly firstErrors: DataError[] = [];

  constructor(private readonly keep = 5) {}

  /** Rethrows unless the policy is "skip" and the error concerns one row. */
  handle(error: unknown, policy: OnBadRow): void {
    if (!(error instanceof DataError) || !error.isRowError || policy === "stop") throw error;
    this.count++;
    if (this.firstErrors.length < this.keep) this.firstErrors.push(error);
  }
}
