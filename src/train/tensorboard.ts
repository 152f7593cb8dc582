// TensorBoard event files, so that `tensorboard --logdir runs` shows a run's
// curves. A file is a sequence of records (length, its masked CRC-32C, the
// bytes, their masked CRC-32C), each an Event protocol buffer holding scalar
// summaries. protobufjs encodes the messages and crc-32 computes the checksums;
// only the few lines of record framing are written here.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import CRC32C from "crc-32/crc32c.js";
import protobuf from "protobufjs/light.js";

const root = protobuf.Root.fromJSON({
  nested: {
    Event: {
      fields: {
        wall_time: { type: "double", id: 1 },
        step: { type: "int64", id: 2 },
        file_version: { type: "string", id: 3 },
        summary: { type: "Summary", id: 5 },
      },
    },
    Summary: { fields: { value: { rule: "repeated", type: "SummaryValue", id: 1 } } },
    SummaryValue: { fields: { tag: { type: "string", id: 1 }, simple_value: { type: "float", id: 2 } } },
  },
});

/** The Event message type, for readers of the files (tests). */
export const EventMessage = root.lookupType("Event");

/** TensorBoard's masked CRC-32C (a checksum of data that holds checksums must differ from theirs). */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = CRC32C.buf(bytes) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One record: the framing around an encoded Event. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

export class TensorBoardWriter {
  private readonly fd: number;

  constructor(folder: string) {
    mkdirSync(folder, { recursive: true });
    const name = `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}`;
    this.fd = openSync(join(folder, name), "a");
    this.writeEvent({ wall_time: Date.now() / 1000, step: 0, file_version: "brain.Event:2" });
  }

  private writeEvent(event: Record<string, unknown>): void {
    writeSync(this.fd, frameRecord(EventMessage.encode(EventMessage.fromObject(event)).finish()));
  }

  /** Every finite number of `record` as a scalar named by its key, at `step`. */
  scalars(step: number, record: Record<string, unknown>): void {
    const value = Object.entries(record)
      .filter((entry): entry is [string, number] => typeof entry[1] === "number" && Number.isFinite(entry[1]) && entry[0] !== "step")
      .map(([tag, v]) => ({ tag, simple_value: v }));
    this.writeEvent({ wall_time: Date.now() / 1000, step, summary: { value } });
  }

  close(): void {
    closeSync(this.fd);
  }
}
