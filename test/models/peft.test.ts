// Adapters in PEFT's layout: saved and loaded back exactly, folders written
// by PEFT with other settings load, and bad folders fail before the model changes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addLora, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, loadAdapters, readAdapterConfig, saveAdapters, SafetensorsFile, writeSafetensors, type DecoderModel } from "../../src/models/index.js";
import { createBuiltinModel } from "../../src/pretrained/index.js";
import { noGrad, scope, tensor } from "../../src/tensor/index.js";
import { perturbAdapters } from "./decoder-fixtures.js";

function logitsOf(model: DecoderModel): Float32Array {
  return noGrad(() => scope(() => model.forward(tensor(Int32Array.from([1, 40, 41, 20, 77, 7]), [1, 6])).toFloat32Array()));
}

function adapterValues(model: DecoderModel): Map<string, Float32Array> {
  return new Map(model.trainableParameters().map((p) => [p.name!, p.toFloat32Array()]));
}

/** The tiny built-in model with trained-looking adapters (B random). */
function adaptedTiny(options: Parameters<typeof addLora>[1]): DecoderModel {
  const { model } = createBuiltinModel("tiny", 1);
  addLora(model, options, 2);
  perturbAdapters(model, 3);
  return model;
}

function withFolder(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "peft-"));
  return body(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test("adapters round-trip through PEFT's layout: its config keys, its tensor names and shapes, the same values and outputs", () => withFolder(async (dir) => {
  const model = adaptedTiny({ r: 4, alpha: 8, dropout: 0.1, targetModules: ["q_proj", "v_proj", "up_proj"] });
  const fresh = createBuiltinModel("tiny", 1).model;
  try {
    await saveAdapters(dir, model, { baseModel: "builtin:tiny" });
    const config = JSON.parse(readFileSync(join(dir, ADAPTER_CONFIG_FILE), "utf8"));
    assert.deepEqual(
      { peft_type: config.peft_type, task_type: config.task_type, r: config.r, lora_alpha: config.lora_alpha, lora_dropout: config.lora_dropout,
        target_modules: config.target_modules, bias: config.bias, use_rslora: config.use_rslora, base: config.base_model_name_or_path },
      { peft_type: "LORA", task_type: "CAUSAL_LM", r: 4, lora_alpha: 8, lora_dropout: 0.1, target_modules: ["q_proj", "v_proj", "up_proj"],
        bias: "none", use_rslora: false, base: "builtin:tiny" });
    const file = SafetensorsFile.open(join(dir, ADAPTER_WEIGHTS_FILE));
    try {
      assert.equal(file.tensors.size, 3 * 2 * model.config.numLayers);
      assert.deepEqual(file.tensors.get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), { dtype: "F32", shape: [4, 128], byteLength: 4 * 128 * 4 });
      assert.deepEqual(file.tensors.get("base_model.model.model.layers.2.mlp.up_proj.lora_B.weight")?.shape, [320, 4]);
      assert.equal(file.metadata.format, "pt");
    } finally {
      file.close();
    }
    assert.deepEqual(readAdapterConfig(dir), { r: 4, alpha: 8, dropout: 0.1, targetModules: ["q_proj", "v_proj", "up_proj"], rslora: false });
    loadAdapters(dir, fresh);
    assert.deepEqual(adapterValues(fresh), adapterValues(model));
    assert.deepEqual(fresh.adapters?.config, model.adapters?.config);
    assert.deepEqual(logitsOf(fresh), logitsOf(model));
    assert.ok(fresh.trainableParameters().length > 0, "loaded adapters train on (resuming)");
  } finally {
    model.dispose();
    fresh.dispose();
  }
}));

test("a PEFT folder with other settings loads: all-linear targets, rsLoRA scaling, PEFT's defaults for absent keys", () => withFolder(async (dir) => {
  const source = adaptedTiny({ r: 2, alpha: 8, rslora: true });
  const target = createBuiltinModel("tiny", 1).model;
  try {
    await saveAdapters(dir, source);
    writeFileSync(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify({
      peft_type: "LORA", r: 2, lora_alpha: 8, use_rslora: true, target_modules: "all-linear", layers_to_transform: null, rank_pattern: {}, megatron_core: "x",
    }));
    loadAdapters(dir, target);
    assert.deepEqual(target.adapters?.config, { r: 2, alpha: 8, dropout: 0, targetModules: source.adapters!.config.targetModules, rslora: true });
    assert.deepEqual(logitsOf(target), logitsOf(source));
    writeFileSync(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify({ peft_type: "LORA", r: 2, target_modules: ["q_proj"] }));
    assert.equal(readAdapterConfig(dir).alpha, 8, "lora_alpha defaults to PEFT's 8");
  } finally {
    source.dispose();
    target.dispose();
  }
}));

test("a bad adapter folder fails naming the file and key or tensor, before the model changes", () => withFolder(async (dir) => {
  const source = adaptedTiny({ r: 4, targetModules: ["q_proj", "v_proj"] });
  const target = createBuiltinModel("tiny", 1).model;
  try {
    await saveAdapters(dir, source);
    const goodConfig = readFileSync(join(dir, ADAPTER_CONFIG_FILE), "utf8");
    const config = JSON.parse(goodConfig);
    const expectFailure = (changes: Record<string, unknown>, message: RegExp) => {
      writeFileSync(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify({ ...config, ...changes }));
      assert.throws(() => loadAdapters(dir, target), message);
    };
    expectFailure({ use_dora: true }, /adapter_config\.json: key "use_dora": DoRA is not supported/);
    expectFailure({ peft_type: "IA3" }, /key "peft_type": only "LORA"/);
    expectFailure({ target_modules: ".*proj" }, /key "target_modules": a pattern/);
    expectFailure({ target_modules: ["q_proj", "embed_tokens"] }, /"embed_tokens" is not one of/);
    expectFailure({ rank_pattern: { q_proj: 8 } }, /key "rank_pattern"/);
    expectFailure({ r: 8 }, /adapter_model\.safetensors: tensor "base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight" has shape \[4, 128\], the model and r = 8 need \[8, 128\]/);
    expectFailure({ target_modules: ["q_proj", "v_proj", "k_proj"] }, /no tensor "base_model\.model\.model\.layers\.0\.self_attn\.k_proj\.lora_A\.weight"/);
    expectFailure({ target_modules: ["q_proj"] }, /tensor "base_model\.model\.model\.layers\.0\.self_attn\.v_proj\.lora_A\.weight" is no adapter of this model/);
    writeFileSync(join(dir, ADAPTER_CONFIG_FILE), goodConfig);
    await writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), []);
    assert.throws(() => loadAdapters(dir, target), /no tensor/);
    assert.equal(target.adapters, null);
    assert.ok(target.parameters().every((p) => p.requiresGrad), "a failed load leaves the model as it was");
    assert.throws(() => loadAdapters(dir, source), /already carries adapters/);
    await assert.rejects(saveAdapters(dir, target), /applies no adapters/);
    await assert.rejects(saveAdapters(dir, source.withoutAdapters()), /applies no adapters/);
  } finally {
    source.dispose();
    target.dispose();
  }
}));
