// The decoder's incremental and batched paths agree with its plain forward
// pass: KV-cache steps, left-padded batches, dropping finished rows, the
// last-position logits (and their gradient), and a training step frees
// everything it allocates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { KVCache, type DecoderModel } from "../../src/models/index.js";
import { createBuiltinModel, loadModel } from "../../src/pretrained/index.js";
import { AdamW } from "../../src/nn/index.js";
import { backward, memory, mean, neg, noGrad, scope, sum, tensor, tokenLogProbs } from "../../src/tensor/index.js";
import { assertClose } from "../tensor/reference.js";
import { fixtureDir, idsTensor } from "./decoder-fixtures.js";

const SEQUENCE = [1, 40, 41, 20, 77, 7, 60, 61, 62, 19, 33, 50];
const ROWS = [[1, 40, 41, 20, 77], [1, 77, 7, 60, 61, 62, 19, 33], [1, 50, 9]];
const PAD = 0;

/** Logits [T, V] of one unpadded sequence. */
function fullLogits(model: DecoderModel, ids: readonly number[]): Float32Array {
  return noGrad(() => scope(() => model.forward(idsTensor([ids])).toFloat32Array()));
}

function rowsOf(values: Float32Array, width: number, from: number, count: number): Float32Array {
  return values.subarray(from * width, (from + count) * width);
}

function leftPadded(rows: readonly number[][]): { ids: number[][]; keyStart: Int32Array } {
  const width = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...new Array<number>(width - r.length).fill(PAD), ...r]),
    keyStart: Int32Array.from(rows, (r) => width - r.length),
  };
}

test("KV-cache steps of several sizes give the logits of the full forward pass", async () => {
  const { model, config } = await loadModel(fixtureDir("qwen3"));
  const V = config.vocabSize;
  const expected = fullLogits(model, SEQUENCE);
  const cache = KVCache.create(config, 1, 16);
  try {
    let at = 0;
    for (const size of [5, 1, 3, 1, 2]) {
      const got = noGrad(() => scope(() => model.forward(idsTensor([SEQUENCE.slice(at, at + size)]), { cache }).toFloat32Array()));
      assertClose(got, rowsOf(expected, V, at, size), 1e-4, 1e-5, `step of ${size} tokens at ${at}`);
      at += size;
      assert.deepEqual([...cache.lengths], [at]);
    }
    assert.equal(cache.bytesPerToken(), 2 * config.numLayers * config.numKvHeads * config.headDim * 4);
    assert.throws(() => noGrad(() => model.forward(idsTensor([[1, 2, 3, 4, 5]]), { cache })), /capacity 16/);
    assert.throws(() => scope(() => model.forward(idsTensor([[1]]), { cache })), /under noGrad/);
  } finally {
    cache.dispose();
    model.dispose();
  }
});

test("a left-padded batch gives each row's unpadded logits, without and with the cache", async () => {
  const { model, config } = await loadModel(fixtureDir("llama"));
  const V = config.vocabSize;
  const { ids, keyStart } = leftPadded(ROWS);
  const width = ids[0].length;
  const singles = ROWS.map((row) => fullLogits(model, row));
  const batched = noGrad(() => scope(() => model.forward(idsTensor(ids), { keyStart }).toFloat32Array()));
  ROWS.forEach((row, b) => {
    assertClose(rowsOf(batched, V, b * width + keyStart[b], row.length), singles[b], 1e-4, 1e-5, `row ${b} without the cache`);
  });

  // Prefill the padded batch, then decode two fixed tokens per row; compare with the single rows' full passes.
  const next = [[5, 6], [7, 8], [9, 10]];
  const cache = KVCache.create(config, ROWS.length, width + 2);
  try {
    const prefill = noGrad(() => scope(() => model.forward(idsTensor(ids), { cache, keyStart, lastOnly: true }).toFloat32Array()));
    assert.deepEqual([...cache.keyStart], [...keyStart]);
    ROWS.forEach((row, b) => assertClose(rowsOf(prefill, V, b, 1), rowsOf(singles[b], V, row.length - 1, 1), 1e-4, 1e-5, `prefill of row ${b}`));
    for (let step = 0; step < 2; step++) {
      const got = noGrad(() => scope(() => model.forward(idsTensor(next.map((n) => [n[step]])), { cache, lastOnly: true }).toFloat32Array()));
      ROWS.forEach((row, b) => {
        const sequence = [...row, ...next[b].slice(0, step + 1)];
        const want = rowsOf(fullLogits(model, sequence), V, sequence.length - 1, 1);
        assertClose(rowsOf(got, V, b, 1), want, 1e-4, 1e-5, `decode step ${step} of row ${b}`);
      });
    }
  } finally {
    cache.dispose();
    model.dispose();
  }
});

test("selectRows drops finished rows and the others decode on unchanged", async () => {
  const { model, config } = await loadModel(fixtureDir("qwen2"));
  const V = config.vocabSize;
  const { ids, keyStart } = leftPadded(ROWS);
  const cache = KVCache.create(config, ROWS.length, ids[0].length + 1);
  try {
    noGrad(() => scope(() => model.forward(idsTensor(ids), { cache, keyStart })));
    cache.selectRows([2, 0]);
    assert.equal(cache.batch, 2);
    assert.deepEqual([...cache.keyStart], [keyStart[2], keyStart[0]]);
    assert.deepEqual([...cache.lengths], [ids[0].length, ids[0].length]);
    const got = noGrad(() => scope(() => model.forward(idsTensor([[11], [12]]), { cache, lastOnly: true }).toFloat32Array()));
    [[2, 11], [0, 12]].forEach(([row, token], b) => {
      const sequence = [...ROWS[row], token];
      assertClose(rowsOf(got, V, b, 1), rowsOf(fullLogits(model, sequence), V, sequence.length - 1, 1), 1e-4, 1e-5, `kept row ${row}`);
    });
    assert.throws(() => cache.selectRows([2]), /row 2 is not in a batch of 2/);
  } finally {
    cache.dispose();
    model.dispose();
  }
});

test("append joins a batch prefilled apart to a decoding one; each row decodes on as it would alone", async () => {
  const { model, config } = await loadModel(fixtureDir("qwen2"));
  const V = config.vocabSize;
  const running = KVCache.create(config, 1, ROWS[1].length + 2);
  const joining = KVCache.create(config, 2, ROWS[0].length + 4);
  try {
    noGrad(() => scope(() => model.forward(idsTensor([ROWS[1]]), { cache: running })));
    noGrad(() => scope(() => model.forward(idsTensor([[5]]), { cache: running })));
    const { ids, keyStart } = leftPadded([ROWS[0], ROWS[2]]);
    noGrad(() => scope(() => model.forward(idsTensor(ids), { cache: joining, keyStart })));
    const before = running.bytesPerToken() * running.batch * running.capacity;
    const live = memory().cpu.live;
    running.append(joining);
    assert.equal(running.batch, 3);
    assert.equal(running.capacity, Math.max(ROWS[1].length + 2, ROWS[0].length + 4));
    assert.deepEqual([...running.lengths], [ROWS[1].length + 1, ids[0].length, ids[0].length]);
    assert.deepEqual([...running.keyStart], [0, ...keyStart]);
    assert.equal(memory().cpu.live - live, running.bytesPerToken() * 3 * running.capacity - before, "the joined buffers replace the old ones");
    const got = noGrad(() => scope(() => model.forward(idsTensor([[11], [12], [13]]), { cache: running, lastOnly: true }).toFloat32Array()));
    [[...ROWS[1], 5, 11], [...ROWS[0], 12], [...ROWS[2], 13]].forEach((sequence, b) => {
      assertClose(rowsOf(got, V, b, 1), rowsOf(fullLogits(model, sequence), V, sequence.length - 1, 1), 1e-4, 1e-5, `row ${b}`);
    });
  } finally {
    running.dispose();
    joining.dispose();
    model.dispose();
  }
});

test("last-position logits carry the same gradient as the full logits", async () => {
  const { model } = await loadModel(fixtureDir("qwen3"));
  const ids = [SEQUENCE.slice(0, 6), SEQUENCE.slice(6, 12)];
  const targets = [17, 23];
  const gradientOf = (lastOnly: boolean): Float32Array => {
    const embed = model.namedParameters().get("model.embed_tokens.weight")!;
    scope(() => {
      const logits = model.forward(idsTensor(ids), { lastOnly });
      const perPosition = lastOnly ? targets : ids.flatMap((row, b) => row.map((_, t) => (t === row.length - 1 ? targets[b] : -1)));
      backward(sum(tokenLogProbs(logits, tensor(Int32Array.from(perPosition), lastOnly ? [2] : [2, 6])).logprobs));
    });
    const grad = embed.grad!.toFloat32Array();
    for (const p of model.parameters()) { p.grad?.dispose(); p.grad = null; }
    return grad;
  };
  try {
    assertClose(gradientOf(true), gradientOf(false), 1e-5, 1e-7, "embedding gradient");
  } finally {
    model.dispose();
  }
});

test("built-in models: the seed decides the weights; training steps free what they allocate", () => {
  const a = createBuiltinModel("tiny", 7), b = createBuiltinModel("tiny", 7), c = createBuiltinModel("tiny", 8);
  const weightsOf = (m: DecoderModel) => m.namedParameters().get("model.layers.0.self_attn.q_proj.weight")!.toFloat32Array();
  assert.deepEqual(weightsOf(a.model), weightsOf(b.model));
  assert.notDeepEqual(weightsOf(a.model), weightsOf(c.model));
  assert.equal(a.config.vocabSize, a.tokenizer.vocabSize);
  b.model.dispose();
  c.model.dispose();

  const { model, tokenizer } = a;
  const text = tokenizer.encode("12+34=46\n7*8=56");
  const ids = tensor(Int32Array.from([...text.slice(0, -1), ...text.slice(0, -1)]), [2, text.length - 1]);
  const targets = tensor(Int32Array.from([...text.slice(1), ...text.slice(1)]), [2, text.length - 1]);
  const optimizer = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0 });
  const step = () => scope(() => {
    const loss = neg(mean(tokenLogProbs(model.forward(ids), targets).logprobs));
    backward(loss);
    optimizer.update();
    optimizer.zeroGrad();
    return loss.item();
  });
  try {
    const losses = [step()];
    const live = memory().cpu.live;
    for (let i = 0; i < 4; i++) losses.push(step());
    assert.equal(memory().cpu.live, live, "live bytes changed across training steps");
    assert.ok(losses[4] < losses[0], `loss did not fall: ${losses.join(", ")}`);
  } finally {
    optimizer.dispose();
    model.dispose();
    ids.dispose();
    targets.dispose();
  }
});
