// A short fingerprint of a model's weights, so that a cache of samples (stage
// 1 of A*-PO) can tell whether it came from the model a run now uses. It
// hashes the config and the first and last rows of every parameter, rounded
// to bf16 first: the same checkpoint held in f32 or in bf16 gives the same
// fingerprint, and reading two rows per tensor keeps it cheap at any size.
import { createHash } from "node:crypto";
import { noGrad, scope, sliceRows, type Tensor } from "../tensor/index.js";
import type { DecoderModel } from "./decoder.js";
import { float32ToBfloat16 } from "./half-float.js";

function edgeRows(p: Tensor): Float32Array[] {
  if (p.rank < 2) return [p.toFloat32Array()];
  const rows = p.shape[0];
  return scope(() => [sliceRows(p, 0, 1).toFloat32Array(), sliceRows(p, rows - 1, 1).toFloat32Array()]);
}

/** 16 hex digits that change when the shape or the weights change. */
export function modelFingerprint(model: DecoderModel): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ ...model.config, source: null }));
  noGrad(() => {
    for (const [name, p] of model.namedParameters()) {
      hash.update(`${name}:${p.shape.join("x")}`);
      for (const row of edgeRows(p)) hash.update(float32ToBfloat16(row));
    }
  });
  return hash.digest("hex").slice(0, 16);
}
