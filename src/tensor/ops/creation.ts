import type { Backend } from "../backend.js";
import { cpu } from "../cpu.js";
import type { DType } from "../dtype.js";
import { Rng } from "../random.js";
import { empty, type Tensor } from "../tensor.js";

/** Options of the functions that make a new tensor. */
export interface CreateOptions {
  /** Element type; default f32 (i32 for tensor() of an Int32Array). */
  dtype?: DType;
  /** Device to allocate on; default the CPU. */
  backend?: Backend;
  /** Makes the tensor a trainable leaf whose gradient backward() computes. */
  requiresGrad?: boolean;
}

function finish(t: Tensor, options: CreateOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Numbers nested in arrays, one level per dimension: [[1, 2], [3, 4]]. */
export type NestedNumbers = ReadonlyArray<number | NestedNumbers>;

/** Flattens a nested array row-major and infers its shape; ragged rows are an error naming their index. */
function flattenNested(data: NestedNumbers): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let level: number | NestedNumbers = data; Array.isArray(level); level = (level as NestedNumbers)[0]) shape.push(level.length);
  const values: number[] = [];
  const walk = (node: number | NestedNumbers, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof node !== "number") throw new Error(`tensor: element [${path.join(", ")}] is not a number`);
      values.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new Error(`tensor: ragged nested array at [${path.join(", ")}] (expected ${shape[depth]} entries)`);
    }
    node.forEach((child, i) => walk(child, depth + 1, [...path, i]));
  };
  walk(data, 0, []);
  return { values, shape };
}

/**
 * A tensor holding `data`: a flat array (row-major, shape given or 1-D) or
 * nested arrays whose nesting gives the shape. Int32Array data makes an i32 tensor.
 */
export function tensor(data: ArrayLike<number> | NestedNumbers, shape?: readonly number[], options: CreateOptions = {}): Tensor {
  let flat: ArrayLike<number>;
  if (Array.isArray(data) && data.length > 0 && Array.isArray(data[0])) {
    const nested = flattenNested(data as NestedNumbers);
    flat = nested.values;
    shape ??= nested.shape;
  } else {
    flat = data as ArrayLike<number>;
  }
  shape ??= [flat.length];
  const dtype = options.dtype ?? (data instanceof Int32Array ? "i32" : "f32");
  const t = empty(shape, dtype, options.backend ?? cpu);
  if (flat.length !== t.size) {
    t.dispose();
    throw new Error(`tensor: ${flat.length} values do not fill shape [${shape.join(", ")}] (${t.size} elements)`);
  }
  t.write(flat);
  return finish(t, options);
}

/** A tensor of the given shape with every element set to `value`. */
export function full(shape: readonly number[], value: number, options: CreateOptions = {}): Tensor {
  const dtype = options.dtype ?? "f32";
  const t = empty(shape, dtype, options.backend ?? cpu);
  if (dtype === "f32") t.backend.fill(t.addr, t.size, value);
  else if (value === 0) t.backend.zero(t.addr, t.bytes);
  else t.write(new Int32Array(t.size).fill(value));
  return finish(t, options);
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  const t = empty(shape, options.dtype ?? "f32", options.backend ?? cpu);
  t.backend.zero(t.addr, t.bytes);
  return finish(t, options);
}

/** A tensor of ones. */
export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** Zeros of `t`'s shape, dtype and device (never requiring a gradient). */
export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, { dtype: t.dtype, backend: t.backend });
}

/** Normal(mean, std) values from a seeded generator (or seed). */
export function randn(shape: readonly number[], rng: Rng | number, std = 1, mean = 0, options: CreateOptions = {}): Tensor {
  const gen = typeof rng === "number" ? new Rng(rng) : rng;
  const t = empty(shape, "f32", options.backend ?? cpu);
  const data = new Float32Array(t.size);
  for (let i = 0; i < data.length; i++) data[i] = mean + std * gen.normal();
  t.write(data);
  return finish(t, options);
}

/** Uniform values in [low, high). */
export function uniform(shape: readonly number[], rng: Rng | number, low = 0, high = 1, options: CreateOptions = {}): Tensor {
  const gen = typeof rng === "number" ? new Rng(rng) : rng;
  const t = empty(shape, "f32", options.backend ?? cpu);
  const data = new Float32Array(t.size);
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * gen.uniform();
  t.write(data);
  return finish(t, options);
}

/** The 1-D tensor [0, 1, ..., n - 1] (f32 unless options.dtype says otherwise). */
export function arange(n: number, options: CreateOptions = {}): Tensor {
  const data = options.dtype === "i32" ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  return tensor(data, [n], options);
}
