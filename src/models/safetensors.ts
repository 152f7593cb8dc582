// Reading .safetensors files: an 8-byte little-endian header length, a JSON
// header naming each tensor's dtype, shape and byte range, then the raw
// little-endian data. The header is validated up front; tensors are read one
// at a time at their offset, so a multi-gigabyte file is never held in memory.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { bfloat16ToFloat32, float16ToFloat32 } from "./half-float.js";

/** Bytes per element of each safetensors dtype. */
export const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

/** A dtype name of the safetensors format, e.g. "F32" or "BF16". */
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

/** Whether `name` is a safetensors dtype. */
export function isSafetensorsDtype(name: string): name is SafetensorsDtype {
  return Object.hasOwn(DTYPE_BYTES, name);
}

/** A stored tensor as its file's header describes it. */
export interface TensorInfo {
  /** The dtype it is stored in. */
  readonly dtype: SafetensorsDtype;
  /** Size of each dimension, outermost first. */
  readonly shape: readonly number[];
  /** Size of its data in the file, in bytes. */
  readonly byteLength: number;
}

/** What a single file and a sharded checkpoint both offer. */
export interface TensorStore {
  /** Every tensor by name. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** The header's __metadata__ (string to string), e.g. {"format": "pt"}. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The tensor's values as float32 (converted from its dtype; 8-bit floats are not converted). */
  read(name: string, into?: Float32Array): Float32Array;
  /** The tensor's bytes exactly as stored (little-endian). */
  readBytes(name: string, into?: Uint8Array): Uint8Array;
  /** Closes the file(s); reading afterwards is an error. */
  close(): void;
}

/** The format's own bound on the header, which also stops a corrupt length from allocating gigabytes. */
const MAX_HEADER_BYTES = 100_000_000;
/** Elements converted per read when the stored dtype is not float32: bounds the scratch memory. */
const CONVERT_CHUNK_ELEMENTS = 1 << 20;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

interface StoredTensor extends TensorInfo {
  /** Absolute file position of the first byte. */
  readonly position: number;
}

/** Reads exactly `length` bytes at `position` (readSync may return fewer). */
function readExactly(fd: number, path: string, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.byteLength) {
    const got = readSync(fd, into, done, into.byteLength - done, position + done);
    if (got === 0) throw new Error(`${path}: file ends at byte ${position + done}, expected ${into.byteLength - done} more bytes`);
    done += got;
  }
}

function isNonNegativeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** Parses and checks the header: every tensor well-formed, the ranges tiling the data exactly. */
function parseHeader(path: string, headerBytes: Uint8Array, dataStart: number, dataLength: number) {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength).toString("utf8"));
  } catch (error) {
    throw new Error(`${path}: header is not valid JSON: ${(error as Error).message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw new Error(`${path}: header is not a JSON object`);

  const metadata: Record<string, string> = {};
  const tensors = new Map<string, StoredTensor>();
  const ranges: Array<{ name: string; begin: number; end: number }> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (entry === null || typeof entry !== "object" || Array.isArray(entry)) throw new Error(`${path}: __metadata__ must be an object`);
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== "string") throw new Error(`${path}: __metadata__ "${key}" must be a string`);
        metadata[key] = value;
      }
      continue;
    }
    const where = `${path}: tensor "${name}"`;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== "string" || !isSafetensorsDtype(dtype)) throw new Error(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) throw new Error(`${where}: shape must be a list of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger) || offsets[0] > offsets[1]) {
      throw new Error(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = offsets as [number, number];
    const byteLength = elementCount(shape) * DTYPE_BYTES[dtype];
    if (end - begin !== byteLength) {
      throw new Error(`${where}: ${dtype} [${shape.join(", ")}] needs ${byteLength} bytes but data_offsets span ${end - begin}`);
    }
    if (end > dataLength) throw new Error(`${where}: data ends at byte ${end} but the file holds ${dataLength} data bytes (truncated?)`);
    tensors.set(name, { dtype, shape, byteLength, position: dataStart + begin });
    ranges.push({ name, begin, end });
  }

  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = "";
  for (const { name, begin, end } of ranges) {
    if (begin < covered) throw new Error(`${path}: tensors "${previous}" and "${name}" overlap (byte ${begin} < ${covered})`);
    if (begin > covered) throw new Error(`${path}: bytes ${covered}..${begin} before tensor "${name}" belong to no tensor`);
    covered = end;
    previous = name;
  }
  if (covered !== dataLength) throw new Error(`${path}: ${dataLength - covered} bytes after the last tensor belong to no tensor`);
  return { tensors, metadata };
}

/** Converts a chunk of stored elements (in `bytes`) to float32 in `into`. */
function convertToFloat32(dtype: SafetensorsDtype, bytes: Uint8Array, into: Float32Array): void {
  const { buffer, byteOffset } = bytes;
  const count = into.length;
  switch (dtype) {
    case "F32":
      into.set(new Float32Array(buffer, byteOffset, count));
      return;
    case "BF16":
      bfloat16ToFloat32(new Uint16Array(buffer, byteOffset, count), into);
      return;
    case "F16":
      float16ToFloat32(new Uint16Array(buffer, byteOffset, count), into);
      return;
    case "F64":
      into.set(new Float64Array(buffer, byteOffset, count));
      return;
    case "I64":
    case "U64": {
      const wide = dtype === "I64" ? new BigInt64Array(buffer, byteOffset, count) : new BigUint64Array(buffer, byteOffset, count);
      for (let i = 0; i < count; i++) into[i] = Number(wide[i]);
      return;
    }
    case "I32":
      into.set(new Int32Array(buffer, byteOffset, count));
      return;
    case "U32":
      into.set(new Uint32Array(buffer, byteOffset, count));
      return;
    case "I16":
      into.set(new Int16Array(buffer, byteOffset, count));
      return;
    case "U16":
      into.set(new Uint16Array(buffer, byteOffset, count));
      return;
    case "I8":
      into.set(new Int8Array(buffer, byteOffset, count));
      return;
    case "U8":
    case "BOOL":
      into.set(new Uint8Array(buffer, byteOffset, count));
      return;
    case "F8_E4M3":
    case "F8_E5M2":
      throw new Error(`${dtype} tensors are not converted to float32; read their bytes with readBytes`);
  }
}

/** One open .safetensors file. */
export class SafetensorsFile implements TensorStore {
  private fd: number | null;
  /** Every tensor by name, as the header lists them. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;

  private constructor(
    /** The file's path, as opened; errors name it. */
    readonly path: string,
    fd: number,
    private readonly stored: Map<string, StoredTensor>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {
    this.fd = fd;
    this.tensors = new Map([...stored].map(([name, { dtype, shape, byteLength }]) => [name, { dtype, shape, byteLength }]));
  }

  /** Opens `path` and validates its header; throws an error naming the file and tensor on any inconsistency. */
  static open(path: string): SafetensorsFile {
    if (endianness() !== "LE") throw new Error("safetensors data is little-endian; this machine is big-endian");
    const fd = openSync(path, "r");
    try {
      const fileSize = fstatSync(fd).size;
      if (fileSize < 8) throw new Error(`${path}: ${fileSize} bytes is too short for a safetensors file`);
      const lengthBytes = new Uint8Array(8);
      readExactly(fd, path, lengthBytes, 0);
      const headerLength = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
      if (headerLength > MAX_HEADER_BYTES) throw new Error(`${path}: header length ${headerLength} is over the format's limit (not a safetensors file?)`);
      if (8 + headerLength > fileSize) throw new Error(`${path}: header length ${headerLength} runs past the end of the ${fileSize}-byte file`);
      const headerBytes = new Uint8Array(headerLength);
      readExactly(fd, path, headerBytes, 8);
      const { tensors, metadata } = parseHeader(path, headerBytes, 8 + headerLength, fileSize - 8 - headerLength);
      return new SafetensorsFile(path, fd, tensors, metadata);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  read(name: string, into?: Float32Array): Float32Array {
    const tensor = this.find(name);
    const count = elementCount(tensor.shape);
    const out = this.checkedTarget(name, into, count, Float32Array);
    if (tensor.dtype === "F32") {
      readExactly(this.openFd(), this.path, new Uint8Array(out.buffer, out.byteOffset, out.byteLength), tensor.position);
      return out;
    }
    const elementBytes = DTYPE_BYTES[tensor.dtype];
    const scratch = new Uint8Array(Math.min(count, CONVERT_CHUNK_ELEMENTS) * elementBytes);
    for (let first = 0; first < count; first += CONVERT_CHUNK_ELEMENTS) {
      const n = Math.min(CONVERT_CHUNK_ELEMENTS, count - first);
      const chunk = scratch.subarray(0, n * elementBytes);
      readExactly(this.openFd(), this.path, chunk, tensor.position + first * elementBytes);
      try {
        convertToFloat32(tensor.dtype, chunk, out.subarray(first, first + n));
      } catch (error) {
        throw new Error(`${this.path}: tensor "${name}": ${(error as Error).message}`);
      }
    }
    return out;
  }

  readBytes(name: string, into?: Uint8Array): Uint8Array {
    const tensor = this.find(name);
    const out = this.checkedTarget(name, into, tensor.byteLength, Uint8Array);
    readExactly(this.openFd(), this.path, out, tensor.position);
    return out;
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private find(name: string): StoredTensor {
    const tensor = this.stored.get(name);
    if (tensor === undefined) throw new Error(`${this.path}: no tensor named "${name}"`);
    return tensor;
  }

  private openFd(): number {
    if (this.fd === null) throw new Error(`${this.path}: read after close()`);
    return this.fd;
  }

  private checkedTarget<T extends Float32Array | Uint8Array>(name: string, into: T | undefined, length: number, make: new (length: number) => T): T {
    if (into === undefined) return new make(length);
    if (into.length !== length) throw new Error(`${this.path}: tensor "${name}" needs a target of length ${length}, got ${into.length}`);
    return into;
  }
}
