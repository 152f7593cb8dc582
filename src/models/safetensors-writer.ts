// Writing .safetensors files as a stream: the header first (it only needs
// names, dtypes and shapes), then each tensor's values, asked for one at a
// time, so a model is never copied whole into memory. Files are replaced
// atomically (see atomic-file.ts).
import { dirname } from "node:path";
import { stageFile, syncFolder, writeFully } from "../io/atomic-file.js";
import { float32ToBfloat16, float32ToFloat16 } from "./half-float.js";
import { DTYPE_BYTES, elementCount, type SafetensorsDtype } from "./safetensors.js";

/**
 * Values handed to the writer. Float32Array converts to F32, BF16, F16 or F64;
 * Float64Array to F64 or F32; Int32Array to I32 or I64; BigInt64Array is I64;
 * a Uint8Array is taken as the tensor's bytes already in its dtype.
 */
export type TensorValues = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** One tensor for the writer: its header entry now, its values when the writer reaches it. */
export interface TensorToWrite {
  /** The tensor's name in the file; unique, and not "__metadata__". */
  readonly name: string;
  /** The dtype to store it in; the values are converted to it. */
  readonly dtype: SafetensorsDtype;
  /** Size of each dimension, outermost first. */
  readonly shape: readonly number[];
  /** Called once, when the writer reaches this tensor; the values may be dropped right after. */
  values(): TensorValues | Promise<TensorValues>;
}

/** Options of writeSafetensors(). */
export interface SafetensorsWriteOptions {
  /** Extra __metadata__ entries; "format": "pt" is always set, as loaders of PyTorch checkpoints expect. */
  metadata?: Readonly<Record<string, string>>;
}

/** Bytes the tensor's data takes in the file. */
export function tensorByteLength(tensor: Pick<TensorToWrite, "dtype" | "shape">): number {
  return elementCount(tensor.shape) * DTYPE_BYTES[tensor.dtype];
}

/** The header bytes (length prefix included), padded with spaces so the data starts 8-byte aligned. */
export function encodeHeader(tensors: readonly TensorToWrite[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: "pt", ...metadata } };
  let offset = 0;
  for (const tensor of tensors) {
    if (tensor.name === "__metadata__" || Object.hasOwn(header, tensor.name)) throw new Error(`tensor name "${tensor.name}" is reserved or repeated`);
    if (!tensor.shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
      throw new Error(`tensor "${tensor.name}": shape [${tensor.shape.join(", ")}] must hold non-negative integers`);
    }
    const end = offset + tensorByteLength(tensor);
    header[tensor.name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, end] };
    offset = end;
  }
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

const CHUNK_ELEMENTS = 1 << 20;

function bytesOf(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Converts `values` to `dtype` chunk by chunk, yielding the encoded bytes of each chunk. */
function* encodeChunks(values: Exclude<TensorValues, Uint8Array>, dtype: SafetensorsDtype, where: string): Generator<Uint8Array> {
  const convert = chunkConverter(values, dtype);
  if (convert === null) {
    throw new Error(`${where}: cannot store ${values.constructor.name} values as ${dtype} (give the bytes as a Uint8Array instead)`);
  }
  for (let first = 0; first < values.length; first += CHUNK_ELEMENTS) {
    yield convert(first, Math.min(values.length, first + CHUNK_ELEMENTS));
  }
}

type ChunkConverter = (first: number, end: number) => Uint8Array;

/** Same-type pairs are passed through as views; the others convert into one reused scratch buffer. */
function chunkConverter(values: Exclude<TensorValues, Uint8Array>, dtype: SafetensorsDtype): ChunkConverter | null {
  const scratchLength = Math.min(values.length, CHUNK_ELEMENTS);
  const whole = bytesOf(values);
  const passThrough = (first: number, end: number) => whole.subarray(first * values.BYTES_PER_ELEMENT, end * values.BYTES_PER_ELEMENT);
  if (values instanceof Float32Array) {
    if (dtype === "F32") return passThrough;
    if (dtype === "BF16" || dtype === "F16") {
      const halves = new Uint16Array(scratchLength);
      const toHalf = dtype === "BF16" ? float32ToBfloat16 : float32ToFloat16;
      return (first, end) => bytesOf(toHalf(values.subarray(first, end), halves.subarray(0, end - first)));
    }
    if (dtype === "F64") return widenInto(new Float64Array(scratchLength), values);
  } else if (values instanceof Float64Array) {
    if (dtype === "F64") return passThrough;
    if (dtype === "F32") return widenInto(new Float32Array(scratchLength), values);
  } else if (values instanceof Int32Array) {
    if (dtype === "I32") return passThrough;
    if (dtype === "I64") {
      const wide = new BigInt64Array(scratchLength);
      return (first, end) => {
        for (let i = first; i < end; i++) wide[i - first] = BigInt(values[i]);
        return bytesOf(wide.subarray(0, end - first));
      };
    }
  } else if (dtype === "I64") {
    return passThrough;
  }
  return null;
}

function widenInto(scratch: Float32Array | Float64Array, values: Float32Array | Float64Array): ChunkConverter {
  return (first, end) => {
    const chunk = scratch.subarray(0, end - first);
    chunk.set(values.subarray(first, end));
    return bytesOf(chunk);
  };
}

/** Writes a whole safetensors stream to an open file: header, then each tensor in order. */
export async function writeSafetensorsTo(fd: number, tensors: readonly TensorToWrite[], options: SafetensorsWriteOptions = {}): Promise<void> {
  writeFully(fd, encodeHeader(tensors, options.metadata));
  for (const tensor of tensors) {
    const where = `tensor "${tensor.name}"`;
    const values = await tensor.values();
    const expectedBytes = tensorByteLength(tensor);
    if (values instanceof Uint8Array) {
      if (values.byteLength !== expectedBytes) throw new Error(`${where}: ${values.byteLength} bytes given, ${tensor.dtype} [${tensor.shape.join(", ")}] needs ${expectedBytes}`);
      writeFully(fd, values);
      continue;
    }
    if (values.length !== elementCount(tensor.shape)) {
      throw new Error(`${where}: ${values.length} values given, shape [${tensor.shape.join(", ")}] holds ${elementCount(tensor.shape)}`);
    }
    for (const chunk of encodeChunks(values, tensor.dtype, where)) writeFully(fd, chunk);
  }
}

/** Writes `path` atomically: a crash or an error leaves any previous file there intact. */
export async function writeSafetensors(path: string, tensors: readonly TensorToWrite[], options: SafetensorsWriteOptions = {}): Promise<void> {
  const staged = await stageFile(path, (fd) => writeSafetensorsTo(fd, tensors, options));
  staged.commit();
  syncFolder(dirname(path));
}
