import { test } from "node:test";
import assert from "node:assert/strict";
import { bfloat16ToFloat32, float32ToBfloat16 } from "../../src/models/half-float.js";
import { LoraAdapter, loraConfig, loraForward } from "../../src/nn/index.js";
import { cast, cpu, dropout, linear, Rng, scope, tensor } from "../../src/tensor/index.js";
import { check, input } from "../tensor/op-check.js";
import { matmulRef, type F64 } from "../tensor/reference.js";

const rows = 6, inF = 12, outF = 7, r = 4, scaling = 32 / 4;

/** x W^T + bias + scaling ((x * mask) A^T) B^T in float64. */
function loraRef([x, a, b, w, bias]: F64[], mask: ArrayLike<number> | null = null): F64 {
  const dropped = mask ? x.map((v, i) => v * mask[i]) : x;
  const base = matmulRef(x, w, rows, outF, inF, false, true);
  const update = matmulRef(matmulRef(dropped, a, rows, r, inF, false, true), b, rows, outF, r, false, true);
  return base.map((v, i) => v + bias[i % outF] + scaling * update[i]);
}

test("a LoRA linear's value and gradients (input, A, B) match a float64 reference: f32 and bf16 base weights, with dropout", () => {
  const x = input([rows, inF], 1), a = input([r, inF], 2), b = input([outF, r], 3);
  const w = input([outF, inF], 4, { grad: false }), bias = input([outF], 5, { grad: false });
  check("lora", [x, a, b, w, bias], ([xt, at, bt, wt, biast]) => loraForward(xt, linear(xt, wt, biast), at, bt, scaling, null), (v) => loraRef(v));

  // The frozen weight held in bf16: the reference sees its rounded values.
  const rounded = { ...w, values: Float64Array.from(bfloat16ToFloat32(float32ToBfloat16(Float32Array.from(w.values)))) };
  check("lora on a bf16 weight", [x, a, b, rounded, bias],
    ([xt, at, bt, wt, biast]) => loraForward(xt, linear(xt, cast(wt, "bf16"), biast), at, bt, scaling, null), (v) => loraRef(v));

  const drop = { p: 0.25, seed: 77 };
  const mask = scope(() => dropout(tensor(new Float32Array(rows * inF).fill(1), [rows, inF]), drop.p, drop.seed).toFloat32Array());
  assert.ok(mask.some((m) => m === 0) && mask.some((m) => m !== 0));
  check("lora with dropout", [x, a, b, w, bias], ([xt, at, bt, wt, biast]) => loraForward(xt, linear(xt, wt, biast), at, bt, scaling, drop),
    (v) => loraRef(v, mask));
});

test("a fresh adapter starts as PEFT's: A Kaiming-uniform within 1/sqrt(in), B zero, scaled by alpha / r (alpha / sqrt r with rslora)", () => {
  const shape = { inFeatures: 400, outFeatures: 30, name: "model.layers.0.mlp.down_proj", index: 6, backend: cpu };
  const adapter = new LoraAdapter(shape, loraConfig({ r: 8, alpha: 16 }), new Rng(3));
  const a = adapter.lora_A.weight.toFloat32Array();
  assert.deepEqual(adapter.lora_A.weight.shape, [8, 400]);
  assert.deepEqual(adapter.lora_B.weight.shape, [30, 8]);
  const bound = 1 / Math.sqrt(400);
  assert.ok(a.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...a) > 0.9 * bound && Math.min(...a) < -0.9 * bound, "A fills its range");
  assert.ok(adapter.lora_B.weight.toFloat32Array().every((v) => v === 0));
  assert.equal(adapter.scaling, 2);
  assert.deepEqual([...adapter.namedParameters().keys()], ["lora_A.weight", "lora_B.weight"]);
  assert.equal(adapter.lora_A.weight.name, "model.layers.0.mlp.down_proj.lora_A.weight");
  assert.ok(adapter.parameters().every((p) => p.requiresGrad && p.dtype === "f32"));
  adapter.dispose();
  const rs = new LoraAdapter(shape, loraConfig({ r: 16, alpha: 8, rslora: true }), new Rng(3));
  assert.equal(rs.scaling, 2);
  rs.dispose();
});

test("LoRA options are validated where they enter, naming the option; defaults are r 16, alpha 32, dropout 0.05 on all seven projections", () => {
  assert.deepEqual(loraConfig(), {
    r: 16, alpha: 32, dropout: 0.05, rslora: false,
    targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
  });
  assert.deepEqual(loraConfig({ targetModules: ["v_proj", "q_proj", "v_proj"] }).targetModules, ["q_proj", "v_proj"]);
  assert.throws(() => loraConfig({ r: 0 }), /option "r"/);
  assert.throws(() => loraConfig({ r: 2.5 }), /option "r"/);
  assert.throws(() => loraConfig({ dropout: 1 }), /option "dropout"/);
  assert.throws(() => loraConfig({ alpha: -1 }), /option "alpha"/);
  assert.throws(() => loraConfig({ targetModules: [] }), /option "targetModules"/);
  assert.throws(() => loraConfig({ targetModules: ["qproj" as "q_proj"] }), /option "targetModules.0"/);
  assert.throws(() => loraConfig({ rank: 8 } as object), /unknown option "rank" \(expected r, alpha/);
});
