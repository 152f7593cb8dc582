// The core against values PyTorch produced (scripts/core-fixtures.py):
// outputs and input gradients of every op, and a tiny decoder's first three
// training losses from the same weights.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  attention, backward, embedding, keep, linear, maskedSum, matmul, mul, rmsNorm, rope, ropeTables, scope, sum, swiglu, tensor,
  tokenLogProbs, type Tensor,
} from "../../src/tensor/index.js";
import { AdamW } from "../../src/nn/index.js";
import { TinyDecoder, trainStep, type PeerConfig } from "../../bench/lib/tiny-decoder.js";
import { assertClose } from "./reference.js";

interface FixtureTensor { shape: number[]; dtype: "f32" | "i32"; data: number[] }
interface OpCase {
  name: string;
  inputs: Record<string, FixtureTensor>;
  weights: number[];
  output: { shape: number[]; data: number[] };
  grads: Record<string, number[]>;
  [extra: string]: unknown;
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/core/ops.json", import.meta.url), "utf8")) as {
  cases: OpCase[];
  train: { config: PeerConfig; weights: Record<string, number[]>; ids: number[]; targets: number[]; lr: number; weight_decay: number; losses: number[] };
};

type OpFn = (inputs: Record<string, Tensor>, c: OpCase) => Tensor;

const ops: Record<string, OpFn> = {
  matmul: ({ a, b }, c) => matmul(a, b, { transA: c.transA as boolean, transB: c.transB as boolean }),
  linear: ({ x, weight, bias }) => linear(x, weight, bias),
  embedding: ({ ids, table }) => embedding(ids, table),
  rmsNorm: ({ x, weight }, c) => rmsNorm(x, weight, c.eps as number),
  rope: ({ x }, c) => {
    const dim = x.shape[3];
    const invFreq = Float32Array.from({ length: dim / 2 }, (_, i) => 1 / (c.theta as number) ** ((2 * i) / dim));
    return rope(x, ropeTables(Int32Array.from(c.positions as number[]), invFreq));
  },
  attention: ({ q, k, v }) => attention(q, k, v),
  swiglu: ({ gate, up }) => swiglu(gate, up),
  tokenLogProbs: ({ logits }, c) => tokenLogProbs(logits, tensor(Int32Array.from(c.targets as number[]), [2, 3]), { temperature: c.temperature as number }).logprobs,
  maskedSum: ({ x }, c) => maskedSum(x, tensor(Float32Array.from(c.mask as number[]), x.shape)),
  entropy: ({ logits }, c) => tokenLogProbs(logits, tensor(Int32Array.from(c.targets as number[]), [2, 3]), { entropy: true }).entropy!,
};

for (const c of fixture.cases) {
  test(`${c.name} matches PyTorch (value and gradients)`, () => {
    scope(() => {
      const inputs: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(c.inputs)) {
        inputs[name] = t.dtype === "i32" ? tensor(Int32Array.from(t.data), t.shape) : tensor(Float32Array.from(t.data), t.shape, { requiresGrad: true });
      }
      const op = ops[c.name.split(" ")[0]];
      const out = op(inputs, c);
      assert.deepEqual(out.shape, c.output.shape);
      assertClose(out.toArray(), c.output.data, 1e-4, 1e-5, `${c.name} value`);
      backward(sum(mul(out, tensor(Float32Array.from(c.weights), out.shape))));
      for (const [name, expected] of Object.entries(c.grads)) {
        assertClose(inputs[name].grad!.toArray(), expected, 1e-4, 1e-5, `${c.name} gradient of ${name}`);
        inputs[name].grad!.dispose();
      }
    });
  });
}

test("a tiny decoder's first three training losses match PyTorch's to 1e-4", () => {
  const t = fixture.train;
  const model = new TinyDecoder(t.config, 0);
  for (const [name, p] of model.namedParameters()) {
    const values = t.weights[name];
    assert.ok(values, `fixture has no weights for ${name}`);
    p.write(values);
  }
  const opt = new AdamW(model.parameters(), { lr: t.lr, weightDecay: t.weight_decay });
  const ids = keep(tensor(Int32Array.from(t.ids), [2, 8])), targets = keep(tensor(Int32Array.from(t.targets), [2, 8]));
  const losses = [0, 1, 2].map(() => trainStep(model, opt, ids, targets));
  assertClose(losses, t.losses, 0, 1e-4, "losses");
  model.dispose(); opt.dispose(); ids.dispose(); targets.dispose();
});
