// The reference model folders written by scripts/model-fixtures.py and the
// values PyTorch computed for them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KVCache, type DecoderModel } from "../../src/models/index.js";
import { noGrad, Rng, scope, tensor } from "../../src/tensor/index.js";

export const FAMILIES = ["llama", "qwen2", "qwen3"] as const;
export type Family = (typeof FAMILIES)[number];

export function fixtureDir(family: Family): string {
  return join("test", "fixtures", "models", family);
}

export interface Reference {
  family: Family;
  ids: number[][];
  logits: Array<{ row: number; position: number; values: number[] }>;
  logprobs: number[][];
  /** the first `rows` rows of each gradient, flattened */
  grads: Record<string, { rows: number; shape: number[]; values: number[] }>;
  greedy: Array<{ prompt: number[]; tokens: number[] }>;
}

export function readReference(family: Family): Reference {
  return JSON.parse(readFileSync(join(fixtureDir(family), "reference.json"), "utf8")) as Reference;
}

export function argmax(values: ArrayLike<number>, from = 0, to = values.length): number {
  let best = from;
  for (let i = from + 1; i < to; i++) if (values[i] > values[best]) best = i;
  return best - from;
}

export function idsTensor(rows: readonly (readonly number[])[]) {
  return tensor(Int32Array.from(rows.flat()), [rows.length, rows[0].length]);
}

/** Greedy continuation of one prompt, recomputing the whole sequence each step. */
export function greedyWithoutCache(model: DecoderModel, prompt: readonly number[], newTokens: number): number[] {
  const ids = [...prompt];
  noGrad(() => {
    for (let i = 0; i < newTokens; i++) {
      ids.push(scope(() => argmax(model.forward(idsTensor([ids]), { lastOnly: true }).toFloat32Array())));
    }
  });
  return ids.slice(prompt.length);
}

/** Greedy continuation of one prompt: prefill, then one token per step against the KV cache. */
export function greedyWithCache(model: DecoderModel, prompt: readonly number[], newTokens: number): number[] {
  const cache = KVCache.create(model.config, 1, prompt.length + newTokens);
  const out: number[] = [];
  try {
    noGrad(() => {
      let next = scope(() => argmax(model.forward(idsTensor([prompt]), { cache, lastOnly: true }).toFloat32Array()));
      out.push(next);
      while (out.length < newTokens) {
        next = scope(() => argmax(model.forward(idsTensor([[next]]), { cache, lastOnly: true }).toFloat32Array()));
        out.push(next);
      }
    });
  } finally {
    cache.dispose();
  }
  return out;
}

/** The gradients of the model's trainable parameters by name, taken from them (and freed there). */
export function takeGradients(model: DecoderModel): Map<string, Float32Array> {
  return new Map(model.trainableParameters().map((p) => {
    const g = p.grad!.toFloat32Array();
    p.grad!.dispose();
    p.grad = null;
    return [p.name!, g];
  }));
}

/** Gives every adapter's B random values, so that the adapters change the model (fresh ones do not). */
export function perturbAdapters(model: DecoderModel, seed: number): void {
  const rng = new Rng(seed);
  for (const p of model.trainableParameters()) {
    if (p.name!.endsWith(".lora_B.weight")) p.write(Float32Array.from({ length: p.size }, () => 0.05 * rng.normal()));
  }
}
