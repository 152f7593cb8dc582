import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parquetMetadata } from "hyparquet";
import { DataError, readJsonl, readParquet, readRows, type RawRow } from "../../src/data/index.js";

const FIXTURES = join("test", "fixtures", "data");

async function collect(rows: AsyncIterable<RawRow>): Promise<RawRow[]> {
  const out: RawRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

test("JSONL rows carry their 0-based row and 1-based line; blank lines are not rows", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-jsonl-"));
  const file = join(dir, "rows.jsonl");
  writeFileSync(file, '{"a": 1}\n\n  \n{"a": 2}\r\n{"a": 3}');
  const rows = await collect(readJsonl(file));
  assert.deepEqual(rows.map((row) => row.values.a), [1, 2, 3]);
  assert.deepEqual(rows.map((row) => [row.source.row, row.source.line]), [[0, 1], [1, 4], [2, 5]]);
});

test("gzipped JSONL reads like the plain file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-jsonl-"));
  const file = join(dir, "gsm8k.jsonl.gz");
  writeFileSync(file, gzipSync(readFileSync(join(FIXTURES, "gsm8k.jsonl"))));
  const zipped = await collect(readRows(file));
  const plain = await collect(readRows(join(FIXTURES, "gsm8k.jsonl")));
  assert.equal(zipped.length, 24);
  assert.deepEqual(zipped.map((row) => row.values), plain.map((row) => row.values));
});

test("a malformed JSONL line is an error naming file and line, or is passed to onBadRow", async () => {
  const file = join(FIXTURES, "gsm8k-bad.jsonl");
  await assert.rejects(collect(readJsonl(file)), (error: Error) => {
    assert.ok(error instanceof DataError);
    assert.match(error.message, /gsm8k-bad\.jsonl:2: not valid JSON/);
    return true;
  });
  const bad: string[] = [];
  const rows = await collect(readJsonl(file, { onBadRow: (error) => bad.push(error.message) }));
  assert.equal(rows.length, 7);
  assert.equal(bad.length, 2);
  assert.match(bad[0], /:2: not valid JSON/);
  assert.match(bad[1], /:7: expected a JSON object, got an array/);
});

test("a JSON array file and an unreadable file get errors that name the file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-jsonl-"));
  const array = join(dir, "array.json");
  writeFileSync(array, '[\n{"a": 1}\n]\n');
  await assert.rejects(collect(readRows(array)), /array\.json: holds a JSON array, not JSON Lines/);
  await assert.rejects(collect(readRows(join(dir, "missing.jsonl"))), /missing\.jsonl: cannot read: ENOENT/);
  await assert.rejects(collect(readRows(join(dir, "missing.parquet"))), /missing\.parquet: cannot read as Parquet/);
  const notParquet = join(dir, "text.parquet");
  writeFileSync(notParquet, "not a parquet file at all");
  await assert.rejects(collect(readRows(notParquet)), /text\.parquet: cannot read as Parquet/);
  assert.throws(() => readRows(join(dir, "data.csv")), /data\.csv: unknown file type/);
});

test("Parquet streams row groups in order, with row numbers across groups", async () => {
  const metadata = parquetMetadata(new Uint8Array(readFileSync(join(FIXTURES, "gsm8k.parquet"))).buffer);
  assert.deepEqual(metadata.row_groups.map((group) => Number(group.num_rows)), [10, 10, 4]);
  const parquet = await collect(readParquet(join(FIXTURES, "gsm8k.parquet")));
  const jsonl = await collect(readJsonl(join(FIXTURES, "gsm8k.jsonl")));
  assert.equal(parquet.length, 24);
  assert.deepEqual(parquet.map((row) => row.source.row), [...Array(24).keys()]);
  assert.deepEqual(parquet.map((row) => row.values), jsonl.map((row) => row.values));
});

test("Parquet nested columns (list of structs, structs) arrive as plain objects, INT64 as numbers", async () => {
  const rows = await collect(readParquet(join(FIXTURES, "verl-gsm8k.parquet")));
  assert.equal(rows.length, 24);
  const row = rows[9].values;
  assert.equal(row.data_source, "openai/gsm8k");
  const prompt = row.prompt as Array<{ role: string; content: string }>;
  assert.equal(prompt.length, 1);
  assert.equal(prompt[0].role, "user");
  assert.match(prompt[0].content, /output the final answer after "####"\.$/);
  assert.deepEqual(Object.keys(row.reward_model as object).sort(), ["ground_truth", "style"]);
  const extra = row.extra_info as Record<string, unknown>;
  assert.equal(extra.index, 9);
  assert.equal(typeof extra.index, "number");
});

test("GZIP-compressed Parquet decodes", async () => {
  const rows = await collect(readParquet(join(FIXTURES, "math.parquet")));
  const jsonl = await collect(readJsonl(join(FIXTURES, "math.jsonl")));
  assert.deepEqual(rows.map((row) => row.values), jsonl.map((row) => row.values));
});
