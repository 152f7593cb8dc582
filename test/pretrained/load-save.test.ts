// Model folders in and out: a save -> load round trip is bit-exact in f32 and
// rounds correctly in bf16, saved folders carry each family's config.json
// keys and the original tokenizer files, a bad checkpoint is refused with the
// file and tensor named, and a failed save leaves the previous model intact.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openCheckpoint, writeSafetensors, type DecoderModel, type TensorToWrite } from "../../src/models/index.js";
import { createBuiltinModel, loadModel, saveModel } from "../../src/pretrained/index.js";
import { bfloat16ToFloat32, float32ToBfloat16 } from "../../src/models/half-float.js";
import { FAMILIES, fixtureDir, type Family } from "../models/decoder-fixtures.js";

function scratchFolder(): string {
  return mkdtempSync(join(tmpdir(), "astarpo-model-"));
}

function parametersOf(model: DecoderModel): Map<string, Float32Array> {
  return new Map([...model.namedParameters()].map(([name, p]) => [name, p.toFloat32Array()]));
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

/** float32 -> bfloat16 -> float32 (the conversion test/models/half-float.test.ts checks against exact rounding). */
function bfloat16Rounded(values: Float32Array): Float32Array {
  return bfloat16ToFloat32(float32ToBfloat16(values));
}

const FAMILY_KEYS: Record<Family, { present: string[]; absent: string[] }> = {
  llama: { present: ["head_dim", "attention_bias", "mlp_bias", "rope_scaling"], absent: ["use_sliding_window"] },
  qwen2: { present: ["use_sliding_window", "sliding_window", "max_window_layers"], absent: ["head_dim", "attention_bias", "mlp_bias"] },
  qwen3: { present: ["head_dim", "attention_bias", "use_sliding_window", "max_window_layers"], absent: ["mlp_bias"] },
};

for (const family of FAMILIES) {
  test(`${family}: save -> load is bit-exact in f32 and keeps the family's config.json`, async () => {
    const dir = scratchFolder();
    const loaded = await loadModel(fixtureDir(family));
    try {
      await saveModel(dir, loaded.model, loaded.tokenizer);
      const again = await loadModel(dir);
      try {
        assert.deepEqual(parametersOf(again.model), parametersOf(loaded.model));
        assert.deepEqual({ ...again.config, source: null }, { ...loaded.config, torchDtype: "float32", source: null });
      } finally {
        again.model.dispose();
      }
      const saved = readJson(join(dir, "config.json"));
      const original = readJson(join(fixtureDir(family), "config.json"));
      assert.equal(saved.model_type, original.model_type);
      assert.deepEqual(saved.architectures, original.architectures);
      for (const key of FAMILY_KEYS[family].present) assert.deepEqual(saved[key], original[key], `config.json key ${key}`);
      for (const key of FAMILY_KEYS[family].absent) assert.equal(key in saved, false, `config.json key ${key} should be absent`);
      assert.equal(saved.torch_dtype, "float32");
      const storedNames = [...openCheckpointNames(dir)];
      assert.equal(storedNames.includes("lm_head.weight"), !loaded.config.tieWordEmbeddings, "lm_head.weight is stored exactly when untied");
      assert.deepEqual(readJson(join(dir, "generation_config.json")).eos_token_id, [2]);
      for (const file of readdirSync(fixtureDir(family)).filter((f) => f.startsWith("tokenizer") || f.startsWith("chat_template"))) {
        assert.deepEqual(readFileSync(join(dir, file)), readFileSync(join(fixtureDir(family), file)), `${file} is copied unchanged`);
      }
    } finally {
      loaded.model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function openCheckpointNames(dir: string): string[] {
  const checkpoint = openCheckpoint(dir);
  try {
    return [...checkpoint.tensors.keys()];
  } finally {
    checkpoint.close();
  }
}

test("bf16 saves round every weight to nearest even and say so in config.json; shards load back", async () => {
  const dir = scratchFolder();
  const loaded = await loadModel(fixtureDir("llama"));
  try {
    await saveModel(dir, loaded.model, loaded.tokenizer, { dtype: "bf16", maxShardBytes: 40_000 });
    assert.ok(existsSync(join(dir, "model.safetensors.index.json")));
    assert.ok(readdirSync(dir).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length > 1);
    assert.equal(readJson(join(dir, "config.json")).torch_dtype, "bfloat16");
    const checkpoint = openCheckpoint(dir);
    assert.ok([...checkpoint.tensors.values()].every((info) => info.dtype === "BF16"));
    checkpoint.close();
    const again = await loadModel(dir);
    try {
      const expected = new Map([...parametersOf(loaded.model)].map(([name, values]) => [name, bfloat16Rounded(values)]));
      assert.deepEqual(parametersOf(again.model), expected);
    } finally {
      again.model.dispose();
    }
    // Saving f32 over it replaces the shards with one file.
    await saveModel(dir, loaded.model, loaded.tokenizer);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes("safetensors")), ["model.safetensors"]);
  } finally {
    loaded.model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a built-in model saves with the character tokenizer and loads back", async () => {
  const dir = scratchFolder();
  const { model, tokenizer } = createBuiltinModel("tiny", 3);
  try {
    await saveModel(dir, model, tokenizer);
    const again = await loadModel(dir);
    try {
      assert.deepEqual(parametersOf(again.model), parametersOf(model));
      assert.deepEqual(again.tokenizer.encode("7*8=56"), tokenizer.encode("7*8=56"));
      assert.deepEqual(again.tokenizer.eosTokenIds, tokenizer.eosTokenIds);
      assert.equal(again.tokenizer.applyChatTemplate([{ role: "user", content: "hi" }]), tokenizer.applyChatTemplate([{ role: "user", content: "hi" }]));
    } finally {
      again.model.dispose();
    }
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A copy of the qwen3 fixture whose weights are `edit` applied to the original tensors. */
async function editedFixture(edit: (tensors: Map<string, { shape: number[]; values: Float32Array }>) => void): Promise<string> {
  const dir = scratchFolder();
  cpSync(fixtureDir("qwen3"), dir, { recursive: true });
  const checkpoint = openCheckpoint(dir);
  const tensors = new Map([...checkpoint.tensors].map(([name, info]) => [name, { shape: [...info.shape], values: checkpoint.read(name) }]));
  checkpoint.close();
  edit(tensors);
  const toWrite: TensorToWrite[] = [...tensors].map(([name, t]) => ({ name, dtype: "F32", shape: t.shape, values: () => t.values }));
  await writeSafetensors(join(dir, "model.safetensors"), toWrite);
  return dir;
}

test("missing, unexpected and mis-shaped tensors are refused, naming the file and tensor", async () => {
  const cases: Array<[string, (t: Map<string, { shape: number[]; values: Float32Array }>) => void, RegExp]> = [
    ["missing", (t) => t.delete("model.layers.1.self_attn.k_norm.weight"), /lack tensor "model\.layers\.1\.self_attn\.k_norm\.weight"/],
    ["unexpected", (t) => t.set("model.layers.0.self_attn.q_proj.bias", { shape: [64], values: new Float32Array(64) }),
      /model\.safetensors: tensor "model\.layers\.0\.self_attn\.q_proj\.bias" is not a parameter of Qwen3ForCausalLM/],
    ["mis-shaped", (t) => t.set("model.norm.weight", { shape: [16], values: new Float32Array(16) }),
      /model\.safetensors: tensor "model\.norm\.weight" has shape \[16\], config\.json implies \[32\]/],
  ];
  for (const [what, edit, message] of cases) {
    const dir = await editedFixture(edit);
    try {
      await assert.rejects(loadModel(dir), message, what);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("a save that fails midway leaves the previous model in place and no temporary files", async () => {
  const parent = scratchFolder();
  const dir = join(parent, "model");
  const first = createBuiltinModel("tiny", 1), second = createBuiltinModel("tiny", 2);
  try {
    await saveModel(dir, first.model, first.tokenizer);
    const before = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    second.model.namedParameters().get("model.norm.weight")!.dispose();
    await assert.rejects(saveModel(dir, second.model, second.tokenizer), /used after dispose/);
    assert.deepEqual(new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))])), before);
    assert.deepEqual(readdirSync(parent), ["model"]);
  } finally {
    first.model.dispose();
    second.model.dispose();
    rmSync(parent, { recursive: true, force: true });
  }
});
