import type { Backend } from "../backend.js";
import { cpu } from "../cpu.js";
import type { DType } from "../dtype.js";
import { Rng } from "../random.js";
import { empty, type Tensor } from "../tensor.js";

export interface CreateOptions {
  dtype?: DType;
  backend?: Backend;
  requiresGrad?: boolean;
}

function finish(t: Tensor, options: CreateOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

/** A tensor holding `data` (row-major) with the given shape. */
export function tensor(data: ArrayLike<number>, shape: readonly number[] = [data.length], options: CreateOptions = {}): Tensor {
  const dtype = options.dtype ?? (data instanceof Int32Array ? "i32" : "f32");
  const t = empty(shape, dtype, options.backend ?? cpu);
  if (data.length !== t.size) {
    t.dispose();
    throw new Error(`tensor: ${data.length} values do not fill shape [${shape.join(", ")}] (${t.size} elements)`);
  }
  t.write(data);
  return finish(t, options);
}

export function full(shape: readonly number[], value: number, options: CreateOptions = {}): Tensor {
  const dtype = options.dtype ?? "f32";
  const t = empty(shape, dtype, options.backend ?? cpu);
  if (dtype === "f32") t.backend.fill(t.addr, t.size, value);
  else if (value === 0) t.backend.zero(t.addr, t.bytes);
  else t.write(new Int32Array(t.size).fill(value));
  return finish(t, options);
}

export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  const t = empty(shape, options.dtype ?? "f32", options.backend ?? cpu);
  t.backend.zero(t.addr, t.bytes);
  return finish(t, options);
}

export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

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

export function arange(n: number, options: CreateOptions = {}): Tensor {
  const data = options.dtype === "i32" ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  return tensor(data, [n], options);
}
