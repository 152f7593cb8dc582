import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { assertClose } from "../tensor/reference.js";
import { parseRopeScaling, ropeDependsOnSequenceLength, ropeInverseFrequencies, ropeScalingToHf, type RopeConfig } from "../../src/models/rope-scaling.js";

// Produced with PyTorch by scripts/gen-rope-fixture.py, in float32 as transformers computes them.
const reference = JSON.parse(readFileSync("test/fixtures/hf/rope-reference.json", "utf8")) as Array<{
  name: string;
  headDim: number;
  ropeTheta: number;
  maxPositionEmbeddings: number;
  seqLen: number | null;
  rope_scaling: Record<string, unknown> | null;
  invFreq: number[];
  attentionScaling: number;
}>;

test("inverse frequencies match PyTorch's for default, linear, dynamic, llama3 and yarn RoPE", () => {
  assert.equal(reference.length, 8);
  for (const case_ of reference) {
    const config: RopeConfig = {
      headDim: case_.headDim,
      ropeTheta: case_.ropeTheta,
      maxPositionEmbeddings: case_.maxPositionEmbeddings,
      ropeScaling: parseRopeScaling(case_.rope_scaling, case_.name),
    };
    const { invFreq, attentionScaling } = ropeInverseFrequencies(config, { seqLen: case_.seqLen ?? undefined });
    // PyTorch rounds each float32 step; these values are rounded once, so a few ulps apart at most.
    assertClose(invFreq, case_.invFreq, 1e-6, 0, case_.name);
    assert.ok(Math.abs(attentionScaling - case_.attentionScaling) < 1e-12, case_.name);
  }
});

const llama3: RopeConfig = {
  headDim: 64,
  ropeTheta: 500000,
  maxPositionEmbeddings: 131072,
  ropeScaling: { type: "llama3", factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
};

test("llama3 keeps high frequencies, divides low ones by the factor and blends the band between", () => {
  const plain = ropeInverseFrequencies({ ...llama3, ropeScaling: null }).invFreq;
  const scaled = ropeInverseFrequencies(llama3).invFreq;
  for (let i = 0; i < plain.length; i++) {
    const wavelength = (2 * Math.PI) / plain[i];
    if (wavelength < 8192 / 4) assert.equal(scaled[i], plain[i]);
    else if (wavelength > 8192) assert.equal(scaled[i], Math.fround(plain[i] / 32));
    else assert.ok(scaled[i] < plain[i] && scaled[i] > plain[i] / 32, `pair ${i} lies in the blended band`);
  }
  assert.equal(scaled[0], 1);
});

test("dynamic RoPE depends on the sequence length only beyond the trained length", () => {
  const dynamic: RopeConfig = { headDim: 32, ropeTheta: 10000, maxPositionEmbeddings: 2048, ropeScaling: { type: "dynamic", factor: 2 } };
  const plain = ropeInverseFrequencies({ ...dynamic, ropeScaling: null }).invFreq;
  assert.ok(ropeDependsOnSequenceLength(dynamic));
  assert.ok(!ropeDependsOnSequenceLength(llama3));
  assert.deepEqual(ropeInverseFrequencies(dynamic).invFreq, plain);
  assert.deepEqual(ropeInverseFrequencies(dynamic, { seqLen: 2048 }).invFreq, plain);
  const longer = ropeInverseFrequencies(dynamic, { seqLen: 4096 }).invFreq;
  // base' = base * (2 * 4096 / 2048 - 1)^(32 / 30), computed here in float64.
  const grownBase = 10000 * 3 ** (32 / 30);
  assertClose(longer, Array.from({ length: 16 }, (_, i) => grownBase ** (-(2 * i) / 32)), 1e-7, 0, "dynamic 4096");
});

test("yarn's default attention scaling is 0.1 ln(factor) + 1 and the factor may come from the context lengths", () => {
  const yarn = parseRopeScaling({ type: "yarn", original_max_position_embeddings: 32768 }, "config.json: rope_scaling");
  const frequencies = ropeInverseFrequencies({ headDim: 128, ropeTheta: 1e6, maxPositionEmbeddings: 131072, ropeScaling: yarn });
  assert.ok(Math.abs(frequencies.attentionScaling - (0.1 * Math.log(4) + 1)) < 1e-15);
  assert.equal(frequencies.invFreq[0], 1, "the fastest pair is extrapolated unchanged");
  assert.equal(frequencies.invFreq[63], Math.fround(1e6 ** (-126 / 128) / 4), "the slowest pair is interpolated by the factor");
});

test("rope_scaling parsing: old and new spellings, round trip, errors naming the key", () => {
  const where = "config.json: rope_scaling";
  assert.deepEqual(parseRopeScaling({ type: "linear", factor: 2 }, where), { type: "linear", factor: 2 });
  assert.equal(parseRopeScaling({ rope_type: "default" }, where), null);
  assert.equal(parseRopeScaling(null, where), null);
  for (const raw of [
    { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    { rope_type: "yarn", factor: 4, original_max_position_embeddings: 32768, truncate: false },
    { rope_type: "dynamic", factor: 2 },
  ]) {
    assert.deepEqual(ropeScalingToHf(parseRopeScaling(raw, where)), raw);
  }
  assert.throws(() => parseRopeScaling({ rope_type: "longrope" }, where), /config\.json: rope_scaling\.rope_type: "longrope" is not supported/);
  assert.throws(() => parseRopeScaling({ rope_type: "linear" }, where), /config\.json: rope_scaling\.factor: /);
  assert.throws(() => parseRopeScaling({ rope_type: "llama3", factor: 8, low_freq_factor: 4, high_freq_factor: 1, original_max_position_embeddings: 8192 }, where), /high_freq_factor: must be greater/);
  assert.throws(() => ropeInverseFrequencies({ ...llama3, headDim: 63 }), /even head dimension/);
});
