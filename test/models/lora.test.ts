// LoRA on the decoder: fresh adapters change nothing, only adapters train,
// the base stays reachable without a copy, a bf16 base computes as its f32
// widening does, and merged adapters compute what the adapters did.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addLora, frozenCopy, mergeLora, seedLoraDropout, type DecoderModel } from "../../src/models/index.js";
import { createBuiltinModel, loadModel, saveModel } from "../../src/pretrained/index.js";
import { AdamW } from "../../src/nn/index.js";
import { backward, memory, noGrad, scope, sum, tensor, tokenLogProbs } from "../../src/tensor/index.js";
import { assertClose } from "../tensor/reference.js";
import { fixtureDir, perturbAdapters, takeGradients } from "./decoder-fixtures.js";

const IDS = [[1, 40, 41, 20, 77, 7, 60, 2, 9, 33], [5, 6, 70, 71, 72, 3, 30, 31, 32, 11]];

function logitsOf(model: DecoderModel): Float32Array {
  return noGrad(() => scope(() => model.forward(tensor(Int32Array.from(IDS.flat()), [2, 10])).toFloat32Array()));
}

/** Back-propagates the summed log-probs of IDS (next-token targets) into the model's trainable parameters. */
function backwardLogprobs(model: DecoderModel): void {
  scope(() => {
    const ids = IDS.map((row) => row.slice(0, -1)), targets = IDS.map((row) => row.slice(1));
    const logits = model.forward(tensor(Int32Array.from(ids.flat()), [2, 9]));
    backward(sum(tokenLogProbs(logits, tensor(Int32Array.from(targets.flat()), [2, 9])).logprobs));
  });
}

test("fresh adapters (B zero) leave every family's logits exactly as they were", async () => {
  const models = [createBuiltinModel("tiny", 3).model];
  for (const family of ["llama", "qwen2", "qwen3"] as const) models.push((await loadModel(fixtureDir(family))).model);
  for (const model of models) {
    try {
      const before = logitsOf(model);
      addLora(model, { r: 4 }, 1);
      assert.deepEqual(logitsOf(model), before, model.config.architecture);
    } finally {
      model.dispose();
    }
  }
});

test("with adapters only the adapters train, under PEFT's names; the frozen base takes no gradient, bf16 or not", async () => {
  const model = (await loadModel(fixtureDir("qwen3"), { dtype: "bf16" })).model;
  try {
    addLora(model, { r: 4, targetModules: ["q_proj", "v_proj", "down_proj"] }, 2);
    const trainable = model.trainableParameters();
    assert.deepEqual(trainable.map((p) => p.name).slice(0, 6), [
      "model.layers.0.self_attn.q_proj.lora_A.weight", "model.layers.0.self_attn.q_proj.lora_B.weight",
      "model.layers.0.self_attn.v_proj.lora_A.weight", "model.layers.0.self_attn.v_proj.lora_B.weight",
      "model.layers.0.mlp.down_proj.lora_A.weight", "model.layers.0.mlp.down_proj.lora_B.weight",
    ]);
    assert.equal(trainable.length, 3 * 2 * model.config.numLayers);
    assert.ok(model.namedParameters().has("model.layers.2.mlp.down_proj.lora_B.weight"));
    assert.ok(model.parameters().filter((p) => !trainable.includes(p)).every((p) => !p.requiresGrad));
    const optimizer = new AdamW(trainable, { lr: 1e-2 });
    const before = logitsOf(model);
    backwardLogprobs(model);
    assert.ok(model.parameters().every((p) => (p.grad !== null) === trainable.includes(p)), "gradients reach the adapters and nothing else");
    optimizer.update();
    optimizer.zeroGrad();
    assert.notDeepEqual(logitsOf(model), before, "a step on the adapters changes the model");
    optimizer.dispose();
    assert.throws(() => addLora(model), /already carries adapters/);
  } finally {
    model.dispose();
  }
});

test("withoutAdapters is the base model on the same weights: no copy, the base's parameters only, nothing to free", () => {
  const { model } = createBuiltinModel("tiny", 4);
  try {
    const base = logitsOf(model);
    addLora(model, { r: 4 }, 4);
    perturbAdapters(model, 5);
    const live = memory().cpu.live;
    const reference = model.withoutAdapters();
    assert.equal(memory().cpu.live, live, "no weight was copied");
    assert.notDeepEqual(logitsOf(model), base);
    assert.deepEqual(logitsOf(reference), base, "the view computes the base model exactly");
    const names = [...reference.namedParameters().keys()];
    assert.ok(names.every((n) => !n.includes("lora_")));
    assert.equal(names.length, model.parameters().length - model.trainableParameters().length);
    assert.ok(reference.parameters().every((p) => model.parameters().includes(p)), "the very same tensors");
    reference.freeze();
    assert.ok(model.trainableParameters().length > 0, "freezing the view leaves the adapters trainable");
    assert.equal(reference.usesAdapters, false);
    const baseCopy = frozenCopy(reference);
    assert.deepEqual(logitsOf(baseCopy), base, "a frozen copy of the view is the base");
    baseCopy.dispose();
    assert.throws(() => mergeLora(reference), /applies no adapters/);
    reference.dispose();
    assert.equal(memory().cpu.live, live, "disposing the view frees nothing");
    assert.notDeepEqual(logitsOf(model), base, "the model keeps its adapters");
  } finally {
    model.dispose();
  }
});

test("a bf16 base with adapters computes what its f32 widening with the same adapters does, bit for bit: logits and adapter gradients", async () => {
  for (const family of ["qwen2", "qwen3"] as const) { // tied with biases; untied with q/k norms
    const half = (await loadModel(fixtureDir(family), { dtype: "bf16" })).model;
    const wide = frozenCopy(half, "f32");
    try {
      for (const model of [half, wide]) {
        addLora(model, { r: 4, dropout: 0 }, 6);
        perturbAdapters(model, 7);
      }
      assert.ok(half.parameters().some((p) => p.dtype === "bf16") && wide.parameters().every((p) => p.dtype === "f32"));
      assert.deepEqual(logitsOf(half), logitsOf(wide), family);
      backwardLogprobs(half);
      backwardLogprobs(wide);
      const fromHalf = takeGradients(half), fromWide = takeGradients(wide);
      for (const [name, g] of fromWide) assert.deepEqual(fromHalf.get(name), g, `${family} ${name}`);
    } finally {
      half.dispose();
      wide.dispose();
    }
  }
});

test("merging folds the adapters in: the merged model, saved and loaded again, computes what the adapted model did", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lora-merge-"));
  const loaded = await loadModel(fixtureDir("qwen2"));
  const { model, tokenizer } = loaded;
  try {
    addLora(model, { r: 4 }, 8);
    perturbAdapters(model, 9);
    const adapted = logitsOf(model);
    const copy = frozenCopy(model);
    assertClose(logitsOf(copy), adapted, 1e-4, 1e-5, "a frozen copy folds the adapters in");
    copy.dispose();
    // Saving the adapted model itself writes a plain model with the adapters folded in; the adapters stay.
    await saveModel(join(dir, "saved"), model, tokenizer);
    const saved = (await loadModel(join(dir, "saved"))).model;
    try {
      assert.ok([...saved.namedParameters().keys()].every((n) => !n.includes("lora_")));
      assertClose(logitsOf(saved), adapted, 1e-4, 1e-5, "saved with the adapters folded in and loaded");
      assert.ok(model.usesAdapters);
    } finally {
      saved.dispose();
    }
    mergeLora(model);
    assert.equal(model.adapters, null);
    assert.ok([...model.namedParameters().keys()].every((n) => !n.includes("lora_")));
    await saveModel(dir, model, tokenizer);
    const reloaded = (await loadModel(dir)).model;
    try {
      assertClose(logitsOf(reloaded), adapted, 1e-4, 1e-5, "merged, saved and loaded");
    } finally {
      reloaded.dispose();
    }
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dropout draws a new mask in every pass that records gradients, the same again after reseeding, and none without gradients", () => {
  const { model } = createBuiltinModel("tiny", 10);
  try {
    addLora(model, { r: 4, dropout: 0.5 }, 11);
    perturbAdapters(model, 12);
    const ids = () => tensor(Int32Array.from(IDS.flat()), [2, 10]);
    const training = () => scope(() => model.forward(ids()).toFloat32Array());
    seedLoraDropout(model, 13);
    const first = training(), second = training();
    assert.notDeepEqual(first, second, "each training pass has its own masks");
    seedLoraDropout(model, 13);
    assert.deepEqual(training(), first, "reseeded, the passes draw the same masks again");
    const quiet = logitsOf(model);
    assert.deepEqual(logitsOf(model), quiet);
    assert.notDeepEqual(first, quiet);
    const plain = createBuiltinModel("tiny", 10).model;
    try {
      addLora(plain, { r: 4, dropout: 0 }, 11);
      perturbAdapters(plain, 12);
      assert.deepEqual(logitsOf(plain), quiet, "without gradients the adapters run without dropout");
    } finally {
      plain.dispose();
    }
  } finally {
    model.dispose();
  }
});
