// Modules name their parameters as Hugging Face does, and own them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Embedding, Linear, Module, RMSNorm, type Parameter } from "../../src/nn/index.js";
import { memory, Rng, scope, tensor } from "../../src/tensor/index.js";
import { assertClose, dot } from "../tensor/reference.js";

class Layer extends Module {
  readonly input_layernorm = new RMSNorm(4, 1e-6);
  readonly q_proj: Linear;
  constructor(rng: Rng) {
    super();
    this.q_proj = new Linear(4, 6, { rng, bias: true });
  }
  protected children() { return { input_layernorm: this.input_layernorm, self_attn: new Attn(this.q_proj) }; }
}

class Attn extends Module {
  constructor(readonly q_proj: Linear) { super(); }
  protected children() { return { q_proj: this.q_proj }; }
}

class Tiny extends Module {
  readonly embed_tokens: Embedding;
  readonly layers: Layer[];
  readonly lm_head: Linear;
  constructor(rng: Rng) {
    super();
    this.embed_tokens = new Embedding(10, 4, { rng });
    this.layers = [new Layer(rng), new Layer(rng)];
    this.lm_head = new Linear(4, 10, { rng });
  }
  protected children(): Record<string, Parameter | Module | Module[] | null> {
    return { model: new Body(this.embed_tokens, this.layers), lm_head: this.lm_head };
  }
}

class Body extends Module {
  constructor(readonly embed_tokens: Embedding, readonly layers: Layer[]) { super(); }
  protected children() { return { embed_tokens: this.embed_tokens, layers: this.layers }; }
}

test("namedParameters uses dotted Hugging Face names, recursing into lists", () => {
  const before = memory().cpu.live;
  const model = new Tiny(new Rng(3));
  assert.deepEqual([...model.namedParameters().keys()], [
    "model.embed_tokens.weight",
    "model.layers.0.input_layernorm.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.bias",
    "model.layers.1.input_layernorm.weight", "model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.q_proj.bias",
    "lm_head.weight",
  ]);
  for (const p of model.parameters()) assert.equal(p.requiresGrad, true);
  // parameters live outside scopes
  scope(() => model.parameters().forEach((p) => p.toArray()));
  assert.ok(model.parameters().every((p) => !p.disposed));
  model.dispose();
  assert.equal(memory().cpu.live, before);
});

test("the same seed gives the same weights, another seed others; Linear, RMSNorm and Embedding compute their ops", () => {
  const a = new Tiny(new Rng(11)), b = new Tiny(new Rng(11)), c = new Tiny(new Rng(12));
  const wa = a.lm_head.weight.toArray();
  assert.deepEqual(b.lm_head.weight.toArray(), wa);
  assert.notDeepEqual(c.lm_head.weight.toArray(), wa);
  scope(() => {
    const table = a.embed_tokens.weight.toArray();
    const x = a.embed_tokens.forward(tensor(Int32Array.from([1, 9]), [2]));
    assert.deepEqual(Array.from(x.toArray()), [...table.subarray(4, 8), ...table.subarray(36, 40)]);

    const norm = a.layers[0].input_layernorm;
    norm.weight.write([1, 2, 0.5, -1]);
    const n = norm.forward(tensor([[3, 4, 1, 0]]));
    const rms = Math.sqrt((9 + 16 + 1) / 4 + 1e-6);
    assertClose(n.toArray(), [3 / rms, 8 / rms, 0.5 / rms, 0], 1e-6, 0, "rmsNorm");

    const proj = a.layers[0].q_proj;
    proj.bias!.write([0.5, -0.25, 0, 1, 2, -3]);
    const weight = proj.weight.toArray(), input = n.toArray();
    const expected = [0.5, -0.25, 0, 1, 2, -3].map((bias, o) => bias + dot(weight.subarray(o * 4, o * 4 + 4), input));
    assertClose(proj.forward(n).toArray(), expected, 1e-5, 1e-7, "x W^T + b");
  });
  for (const model of [a, b, c]) model.dispose();
});
