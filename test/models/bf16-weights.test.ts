// Frozen models with bf16 weights: a copy or a load holds every weight matrix
// in bf16 (norms and biases stay f32), takes no gradient, computes exactly
// what the same model with the rounded weights widened to f32 computes, and
// saves and loads back bit for bit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { frozenCopy, type DecoderModel } from "../../src/models/index.js";
import { createBuiltinModel, loadModel, saveModel } from "../../src/pretrained/index.js";
import { AdamW } from "../../src/nn/index.js";
import { memory, noGrad, scope, tensor } from "../../src/tensor/index.js";
import { assertClose } from "../tensor/reference.js";
import { FAMILIES, fixtureDir } from "./decoder-fixtures.js";

function logitsOf(model: DecoderModel, ids: number[]): Float32Array {
  return noGrad(() => scope(() => model.forward(tensor(Int32Array.from(ids), [1, ids.length])).toFloat32Array()));
}

function rawBits(model: DecoderModel): Map<string, Uint16Array | Float32Array> {
  return new Map([...model.namedParameters()].map(([name, p]) => {
    const out = p.dtype === "bf16" ? new Uint16Array(p.size) : new Float32Array(p.size);
    p.backend.read(p.addr, 0, out);
    return [name, out];
  }));
}

const IDS = [1, 40, 41, 20, 77, 7, 60, 2, 9, 33];

test("a bf16 frozen copy holds weight matrices in half the bytes and computes as its weights widened to f32 do", () => {
  const { model } = createBuiltinModel("tiny", 3);
  try {
    const before = memory().cpu.live;
    const half = frozenCopy(model, "bf16");
    const halfBytes = memory().cpu.live - before;
    const wide = frozenCopy(half, "f32");
    try {
      for (const [name, p] of half.namedParameters()) {
        assert.equal(p.dtype, p.rank === 2 ? "bf16" : "f32", name);
        assert.equal(p.requiresGrad, false, `${name} is frozen`);
      }
      const matrixBytes = half.parameters().filter((p) => p.rank === 2).reduce((n, p) => n + p.size * 2, 0);
      const otherBytes = half.parameters().filter((p) => p.rank !== 2).reduce((n, p) => n + p.size * 4, 0);
      assert.equal(halfBytes, matrixBytes + otherBytes);
      assert.deepEqual(logitsOf(half, IDS), logitsOf(wide, IDS));
      const exact = logitsOf(model, IDS), rounded = logitsOf(half, IDS);
      assert.notDeepEqual(rounded, exact, "bf16 rounding moves the logits");
      assertClose(rounded, exact, 0, 0.02 * Math.max(...exact.map(Math.abs)), "logits with bf16 weights");
      assert.throws(() => new AdamW(half.parameters()), /bf16.*frozen/);
    } finally {
      half.dispose();
      wide.dispose();
    }
  } finally {
    model.dispose();
  }
});

test("every family loaded with bf16 weights computes as its rounded weights widened to f32 do (untied lm_head, q/k norm, biases)", async () => {
  for (const family of FAMILIES) {
    const loaded = await loadModel(fixtureDir(family), { dtype: "bf16" });
    const widened = frozenCopy(loaded.model, "f32");
    try {
      const ids = IDS.map((id) => id % loaded.tokenizer.vocabSize);
      assert.deepEqual(logitsOf(loaded.model, ids), logitsOf(widened, ids), family);
    } finally {
      loaded.model.dispose();
      widened.dispose();
    }
  }
});

test("loading with bf16 weights keeps a bf16 checkpoint bit for bit, rounds an f32 one as a frozen copy does, and saves back", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-bf16-"));
  const loaded = await loadModel(fixtureDir("qwen2"));
  try {
    const reference = frozenCopy(loaded.model, "bf16");
    const fromF32 = await loadModel(fixtureDir("qwen2"), { dtype: "bf16" });
    await saveModel(dir, loaded.model, loaded.tokenizer, { dtype: "bf16" });
    const fromBf16 = await loadModel(dir, { dtype: "bf16" });
    try {
      assert.deepEqual(rawBits(fromF32.model), rawBits(reference));
      assert.deepEqual(rawBits(fromBf16.model), rawBits(reference));
      assert.ok(fromBf16.model.parameters().every((p) => !p.requiresGrad));
      // A model held in bf16 saves (in either type) and loads back unchanged.
      await saveModel(dir, fromBf16.model, fromBf16.tokenizer);
      const again = await loadModel(dir, { dtype: "bf16" });
      assert.deepEqual(rawBits(again.model), rawBits(reference));
      again.model.dispose();
    } finally {
      reference.dispose();
      fromF32.model.dispose();
      fromBf16.model.dispose();
    }
  } finally {
    loaded.model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
