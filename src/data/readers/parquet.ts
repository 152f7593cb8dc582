// Parquet, read one row group at a time (byte ranges of the file, never the
// whole file), with every codec Hugging Face, pandas, Polars or DuckDB write.
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { DataError } from "../errors.js";
import type { RawRow } from "./rows.js";

/**
 * Parquet INT64 arrives as bigint; JSON-like rows want numbers, so those that fit
 * a double exactly become numbers and larger ones decimal strings.
 */
function plainValue(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, plainValue(entry)]));
  }
  return value;
}

async function openParquet(file: string): Promise<{ buffer: AsyncBuffer; metadata: FileMetaData }> {
  try {
    const buffer = await asyncBufferFromFile(file);
    return { buffer, metadata: await parquetMetadataAsync(buffer) };
  } catch (error) {
    throw new DataError({ file }, `cannot read as Parquet: ${(error as Error).message}`);
  }
}

/**
 * The rows of a Parquet file. Rows are typed by the schema, so a row is never
 * malformed on its own: errors here are the file's, and there is no bad row to skip.
 */
export async function* readParquet(file: string): AsyncGenerator<RawRow> {
  const { buffer, metadata } = await openParquet(file);
  let rowStart = 0;
  for (const [group, rowGroup] of metadata.row_groups.entries()) {
    const rowEnd = rowStart + Number(rowGroup.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, compressors });
    } catch (error) {
      throw new DataError({ file }, `cannot decode row group ${group} (rows ${rowStart}..${rowEnd - 1}): ${(error as Error).message}`);
    }
    for (const [offset, values] of rows.entries()) {
      yield { values: plainValue(values) as Record<string, unknown>, source: { file, row: rowStart + offset } };
    }
    rowStart = rowEnd;
  }
}
