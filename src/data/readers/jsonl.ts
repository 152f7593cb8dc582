// JSON Lines, one object per line, read line by line (gzip-compressed when the
// name ends in .gz). Blank lines are not rows; row numbers count the others.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";
import { DataError } from "../errors.js";
import { throwBadRow, type RawRow, type ReadOptions } from "./rows.js";

async function openLines(file: string): Promise<Readable> {
  try {
    if (!(await stat(file)).isFile()) throw new Error("not a file");
  } catch (error) {
    throw new DataError({ file }, `cannot read: ${(error as Error).message}`);
  }
  const stream = createReadStream(file);
  return file.endsWith(".gz") ? stream.pipe(createGunzip()) : stream;
}

/** The rows of a JSON Lines file (gzip-compressed when the name ends in .gz), one object per non-blank line. */
export async function* readJsonl(file: string, options: ReadOptions = {}): AsyncGenerator<RawRow> {
  const onBadRow = options.onBadRow ?? throwBadRow;
  const lines = createInterface({ input: await openLines(file), crlfDelay: Infinity });
  let line = 0;
  let row = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === "") continue;
      const source = { file, row: row++, line };
      let values: unknown;
      try {
        values = JSON.parse(text);
      } catch (error) {
        if (row === 1 && text.trimStart().startsWith("[")) {
          throw new DataError({ file }, "holds a JSON array, not JSON Lines; write one object per line (e.g. `jq -c '.[]'`)");
        }
        onBadRow(new DataError(source, `not valid JSON (${(error as Error).message})`));
        continue;
      }
      if (values === null || typeof values !== "object" || Array.isArray(values)) {
        onBadRow(new DataError(source, `expected a JSON object, got ${Array.isArray(values) ? "an array" : JSON.stringify(values)}`));
        continue;
      }
      yield { values: values as Record<string, unknown>, source };
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError({ file }, `cannot read at line ${line + 1}: ${(error as Error).message}`);
  } finally {
    lines.close();
  }
}
