// Tensors and their storage. Memory is owned, not garbage-collected: a
// storage is reference-counted by the tensors (views) and autograd records
// that use it, and returned to the device the moment the count reaches zero.
import type { Backend } from "./backend.js";
import { bytesPerElement, type DType, shapeString, sizeOf } from "./dtype.js";
import { cpu } from "./cpu.js";
import type { GradNode } from "./autograd.js";
import { track } from "./scope.js";

// With ASTARPO_DEBUG_LEAKS=1, a tensor collected by the garbage collector
// before dispose() is reported. The report only warns: memory is never freed
// from a finalizer, because when that runs is up to the collector.
const leakWatch = process.env.ASTARPO_DEBUG_LEAKS
  ? new FinalizationRegistry<string>((what) => console.warn(`astarpo: ${what} was never disposed (its memory leaked)`))
  : null;

/**
 * A block of device memory shared by the tensors that view it, counted by
 * reference: it goes back to its backend when the last holder releases it.
 */
export class Storage {
  private refs = 1;
  constructor(
    /** The backend that allocated the memory and frees it. */
    readonly backend: Backend,
    /** Device address of the block's first byte. */
    readonly addr: number,
    /** Size of the block in bytes. */
    readonly bytes: number,
  ) {}

  /** Adds a holder; throws if the memory was already freed. */
  retain(): void {
    if (this.refs <= 0) throw new Error("astarpo: use of freed tensor memory");
    this.refs++;
  }

  /** Drops a holder, freeing the memory when it was the last. */
  release(): void {
    if (--this.refs === 0) this.backend.free(this.addr);
  }
}

/**
 * An n-dimensional array of f32, bf16 or i32 values in one backend's memory,
 * contiguous and row-major. Its memory is freed by dispose() or by the scope
 * that owns it, never by the garbage collector.
 */
export class Tensor {
  /** Number of elements (the product of the shape). */
  readonly size: number;
  /** Gradient accumulated by backward() (leaves with requiresGrad only); owned by this tensor. */
  grad: Tensor | null = null;
  /** Whether backward() computes a gradient for this tensor (set on trainable leaves). */
  requiresGrad = false;
  /** The autograd record that produced this tensor, and which of its outputs it is. */
  creator: GradNode | null = null;
  /** Which output of `creator` this tensor is. */
  outputIndex = 0;
  /** A name for messages (parameters carry their Hugging Face names). */
  name: string | null = null;
  private isDisposed = false;
  /** Set by keep(): no scope frees this tensor. */
  kept = false;

  constructor(
    /** The memory this tensor views (possibly shared with other tensors). */
    readonly storage: Storage,
    /** Size of each dimension, outermost first. */
    readonly shape: readonly number[],
    /** Element type. */
    readonly dtype: DType,
    /** Where the first element lies in `storage`, in bytes. */
    readonly byteOffset = 0,
  ) {
    this.size = sizeOf(shape);
    leakWatch?.register(this, `tensor ${dtype} ${shapeString(shape)}`, this);
  }

  /** The backend (device) holding the data. */
  get backend(): Backend {
    return this.storage.backend;
  }

  /** Device address of the first element. */
  get addr(): number {
    this.assertLive();
    return this.storage.addr + this.byteOffset;
  }

  private assertLive(): void {
    if (this.isDisposed) throw new Error(`astarpo: tensor${this.name ? ` '${this.name}'` : ""} ${shapeString(this.shape)} was used after dispose()`);
  }

  /** Size of the data in bytes. */
  get bytes(): number {
    return this.size * bytesPerElement[this.dtype];
  }

  /** Whether dispose() was called; a disposed tensor throws on use. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Frees this tensor's hold on its memory now. Idempotent. */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    leakWatch?.unregister(this);
    this.storage.release();
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** The same memory as a new tensor with no autograd history (owned by the current scope). */
  detach(): Tensor {
    return view(this, this.shape);
  }

  /** A copy of the data on the host (bf16 values widened to float32). */
  toArray(): Float32Array | Int32Array {
    this.assertLive();
    if (this.dtype === "bf16") {
      const out = new Float32Array(this.size);
      throughFloat32Chunks(this, (at, n, staging) => {
        this.backend.fromBf16(this.addr + at * 2, staging, n);
        this.backend.read(staging, 0, out.subarray(at, at + n));
      });
      return out;
    }
    const out = this.dtype === "i32" ? new Int32Array(this.size) : new Float32Array(this.size);
    this.backend.read(this.storage.addr, this.byteOffset, out);
    return out;
  }

  /** A copy of the data on the host as float32 (i32 values converted). */
  toFloat32Array(): Float32Array {
    const data = this.toArray();
    return data instanceof Float32Array ? data : Float32Array.from(data);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor has ${this.size} elements, expected 1`);
    return this.toArray()[0];
  }

  /** Overwrites the data from a host array of the same length (rounded to nearest even for bf16). */
  write(data: ArrayLike<number>): this {
    this.assertLive();
    if (data.length !== this.size) throw new Error(`write: ${data.length} values for a tensor of ${this.size} ${shapeString(this.shape)}`);
    if (this.dtype === "bf16") {
      const values = data instanceof Float32Array ? data : Float32Array.from(data);
      throughFloat32Chunks(this, (at, n, staging) => {
        this.backend.write(staging, 0, values.subarray(at, at + n));
        this.backend.toBf16(staging, this.addr + at * 2, n);
      });
      return this;
    }
    const typed = this.dtype === "i32"
      ? (data instanceof Int32Array ? data : Int32Array.from(data))
      : (data instanceof Float32Array ? data : Float32Array.from(data));
    this.backend.write(this.storage.addr, this.byteOffset, typed);
    return this;
  }

  /** A short description for messages: dtype, shape and name, not the values. */
  toString(): string {
    return `Tensor(${this.dtype} ${shapeString(this.shape)}${this.name ? ` '${this.name}'` : ""})`;
  }
}

/** Elements converted at a time between host floats and bf16 storage. */
const CONVERSION_CHUNK = 1 << 20;

/**
 * Moves a bf16 tensor's values to or from the host through one device staging
 * buffer of 4 MB (`step(first element, count, staging address)` per chunk):
 * converting a large embedding never holds a float32 copy of it.
 */
function throughFloat32Chunks(half: Tensor, step: (at: number, n: number, staging: number) => void): void {
  const staging = half.backend.alloc(Math.min(half.size, CONVERSION_CHUNK) * 4);
  try {
    for (let at = 0; at < half.size; at += CONVERSION_CHUNK) step(at, Math.min(CONVERSION_CHUNK, half.size - at), staging);
  } finally {
    half.backend.free(staging);
  }
}

/** A new tensor with uninitialised memory, owned by the current scope. */
export function empty(shape: readonly number[], dtype: DType = "f32", backend: Backend = cpu): Tensor {
  const bytes = sizeOf(shape) * bytesPerElement[dtype];
  const storage = new Storage(backend, backend.alloc(bytes), bytes);
  return track(new Tensor(storage, shape.slice(), dtype));
}

/** A tensor sharing `base`'s memory with another shape (base must be contiguous, which all tensors are). */
export function view(base: Tensor, shape: readonly number[], elementOffset = 0): Tensor {
  const size = sizeOf(shape);
  if (elementOffset < 0 || elementOffset + size > base.size) {
    throw new Error(`view ${shapeString(shape)} at ${elementOffset} does not fit in ${base.toString()}`);
  }
  base.storage.retain();
  return track(new Tensor(base.storage, shape.slice(), base.dtype, base.byteOffset + elementOffset * bytesPerElement[base.dtype]));
}

/**
 * The one backend an op's tensor inputs share (nulls skipped). Inputs on two
 * backends are an error naming the op and the devices: a kernel handed another
 * device's address would crash or compute garbage. Backends are told apart by
 * identity, since two bindings may share a name.
 */
export function sameBackend(op: string, ...inputs: ReadonlyArray<Tensor | null | undefined>): Backend {
  let first: Tensor | null = null;
  for (const t of inputs) {
    if (!t) continue;
    if (!first) first = t;
    else if (t.backend !== first.backend) throw new Error(mixedBackends(op, first, t));
  }
  if (!first) throw new Error(`${op}: no tensor inputs`);
  return first.backend;
}

function mixedBackends(op: string, a: Tensor, b: Tensor): string {
  const [x, y] = [a.backend.name, b.backend.name];
  const where = x === y ? `two different ${x} backends` : `two devices, ${x} and ${y}`;
  return `${op}: its inputs are on ${where} (${a.toString()} and ${b.toString()}); an op takes tensors of one device`;
}
