import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runMerge } from "../../src/cli/merge.js";
import { addLora, loadModel, saveAdapters, type DecoderModel } from "../../src/models/index.js";
import { noGrad, scope, tensor } from "../../src/tensor/index.js";
import { assertClose } from "../tensor/reference.js";
import { fixtureDir, perturbAdapters } from "./decoder-fixtures.js";

function logitsOf(model: DecoderModel): Float32Array {
  return noGrad(() => scope(() => model.forward(tensor(Int32Array.from([1, 40, 41, 20, 77, 7]), [1, 6])).toFloat32Array()));
}

test("astarpo merge writes a Hugging Face folder that computes what the base with its adapters did", async () => {
  const dir = mkdtempSync(join(tmpdir(), "merge-"));
  const base = fixtureDir("qwen3");
  const { model } = await loadModel(base);
  try {
    addLora(model, { r: 3, targetModules: ["k_proj", "o_proj", "gate_proj"] }, 4);
    perturbAdapters(model, 5);
    await saveAdapters(join(dir, "adapter"), model, { baseModel: base });
    const summary = await runMerge({ model: base, adapter: join(dir, "adapter"), out: join(dir, "merged") });
    assert.deepEqual(summary, { out: join(dir, "merged"), dtype: "f32", adapters: 3 * model.config.numLayers });
    const merged = (await loadModel(join(dir, "merged"))).model;
    try {
      assertClose(logitsOf(merged), logitsOf(model), 1e-4, 1e-5, "merged model");
    } finally {
      merged.dispose();
    }
    await assert.rejects(runMerge({ model: base, adapter: join(dir, "nowhere"), out: join(dir, "x") }), /nowhere.*adapter_config\.json: cannot read/);
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
