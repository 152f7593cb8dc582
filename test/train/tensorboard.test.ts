import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventMessage, maskedCrc32c, TensorBoardWriter } from "../../src/train/tensorboard.js";

/** Splits an event file into its records, checking both checksums of each. */
function readRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = Number(view.getBigUint64(at, true));
    assert.equal(view.getUint32(at + 8, true), maskedCrc32c(bytes.subarray(at, at + 8)), `length checksum at byte ${at}`);
    const data = bytes.subarray(at + 12, at + 12 + length);
    assert.equal(view.getUint32(at + 12 + length, true), maskedCrc32c(data), `data checksum at byte ${at}`);
    records.push(data);
    at += 16 + length;
  }
  return records;
}

test("the masked CRC-32C matches TensorBoard's for known inputs", () => {
  // CRC-32C("123456789") is 0xE3069283 (the standard check value); masked: rotate right 15, add 0xa282ead8.
  const crc = 0xe3069283;
  const masked = ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
  assert.equal(maskedCrc32c(new TextEncoder().encode("123456789")), masked);
});

test("event files hold a version record, then one scalar summary per step with every finite number", () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-tb-"));
  try {
    const writer = new TensorBoardWriter(dir);
    writer.scalars(1, { step: 1, reward: 0.5, kl: null, loss: Number.NaN, note: "x" });
    writer.scalars(2, { step: 2, reward: 0.75, kl: 0.01 });
    writer.close();
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0], /^events\.out\.tfevents\.\d+\./);
    const events = readRecords(readFileSync(join(dir, files[0]))).map((r) => EventMessage.toObject(EventMessage.decode(r), { longs: Number }));
    assert.equal(events[0].file_version, "brain.Event:2");
    assert.deepEqual(events.slice(1).map((e) => [e.step, e.summary.value.map((v: { tag: string; simple_value: number }) => [v.tag, v.simple_value])]), [
      [1, [["reward", 0.5]]],
      [2, [["reward", 0.75], ["kl", Math.fround(0.01)]]],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
