// Modules name their parameters as Hugging Face does, and own them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Embedding, Linear, Module, RMSNorm, type Parameter } from "../../src/nn/index.js";
import { memory, Rng, scope, tensor, type Tensor } from "../../src/tensor/index.js";

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

test("the same seed gives the same weights; Linear, RMSNorm and Embedding compute their ops", () => {
  const a = new Tiny(new Rng(11)), b = new Tiny(new Rng(11));
  const wa = a.lm_head.weight.toArray(), wb = b.lm_head.weight.toArray();
  assert.deepEqual(wa, wb);
  scope(() => {
    const x: Tensor = a.embed_tokens.forward(tensor(Int32Array.from([1, 9]), [2]));
    assert.deepEqual(Array.from(x.toArray()), Array.from(a.embed_tokens.weight.toArray().subarray(4, 8)).concat(Array.from(a.embed_tokens.weight.toArray().subarray(36, 40))));
    const n = a.layers[0].input_layernorm.forward(tensor([[3, 4, 0, 0]]));
    const rms = Math.sqrt((9 + 16) / 4 + 1e-6);
    assert.ok(Math.abs(n.toArray()[0] - 3 / rms) < 1e-6);
    const y = a.layers[0].q_proj.forward(n);
    assert.deepEqual(y.shape, [1, 6]);
  });
  a.dispose();
  b.dispose();
});
