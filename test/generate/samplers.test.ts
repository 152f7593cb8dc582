import { test } from "node:test";
import assert from "node:assert/strict";
import { keptTokens, resolveGenerationConfig, sampleToken, sequenceSeed, type SamplingFilters } from "../../src/generate/index.js";
import { cpu, Rng, scope, tensor } from "../../src/tensor/index.js";

/** Normalised probabilities from logits with a given spread (large spread: peaked). */
function distribution(vocab: number, spread: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const logits = Array.from({ length: vocab }, () => spread * rng.normal());
  const max = logits.reduce((m, x) => Math.max(m, x), -Infinity);
  const exps = logits.map((x) => Math.exp(x - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return Float32Array.from(exps, (e) => e / total);
}

/** The filters by definition: sort everything, then top-k, top-p (of what top-k kept), min-p. */
function keptByDefinition(probs: Float32Array, { topK, topP, minP }: SamplingFilters): number[] {
  let ids = [...probs.keys()].sort((a, b) => probs[b] - probs[a] || a - b);
  if (topK > 0) ids = ids.slice(0, topK);
  if (topP < 1) {
    const base = ids.reduce((s, id) => s + probs[id], 0);
    let mass = 0;
    const n = ids.findIndex((id) => (mass += probs[id]) >= topP * base);
    ids = ids.slice(0, n < 0 ? ids.length : n + 1);
  }
  const pmax = probs.reduce((m, p) => Math.max(m, p), 0);
  return ids.filter((id) => probs[id] >= minP * pmax);
}

test("the device sampler takes the first most likely token for a negative uniform, with its log-prob", () => scope(() => {
  const logits = tensor(Float32Array.of(0.1, 0.7, 0.7, 0.2, -3, -1, -5, -2), [2, 4]);
  const tokens = new Int32Array(2), logprobs = new Float32Array(2);
  assert.equal(cpu.sampleRows(logits.addr, 2, 4, 1 / 0.5, Float64Array.of(-1, -1), tokens, logprobs), -1);
  assert.deepEqual([...tokens], [1, 1]);
  const scaled = [0.1, 0.7, 0.7, 0.2].map((z) => z / 0.5);
  const lse = Math.log(scaled.reduce((a, z) => a + Math.exp(z), 0));
  assert.ok(Math.abs(logprobs[0] - (scaled[1] - lse)) < 1e-6);
}));

test("top-k, top-p and min-p keep what their definitions keep, on flat and peaked distributions", () => {
  const cases: SamplingFilters[] = [
    { topK: 1, topP: 1, minP: 0 }, { topK: 50, topP: 1, minP: 0 }, { topK: 0, topP: 0.9, minP: 0 },
    { topK: 0, topP: 0.5, minP: 0 }, { topK: 0, topP: 1, minP: 0.05 }, { topK: 40, topP: 0.8, minP: 0 },
    { topK: 0, topP: 0.95, minP: 0.1 }, { topK: 10, topP: 0.7, minP: 0.2 }, { topK: 2999, topP: 1, minP: 0 },
  ];
  for (const spread of [0.1, 2, 8]) {
    const probs = distribution(3000, spread, Math.round(spread * 10));
    for (const filters of cases) {
      const expected = keptByDefinition(probs, filters);
      const kept = keptTokens(probs, filters);
      assert.ok(kept !== null);
      assert.deepEqual([...kept].sort((a, b) => a - b), expected.sort((a, b) => a - b), `spread ${spread}, ${JSON.stringify(filters)}`);
    }
  }
  assert.equal(keptTokens(distribution(10, 1, 1), { topK: 0, topP: 1, minP: 0 }), null);
  assert.equal(keptTokens(distribution(10, 1, 1), { topK: 10, topP: 1, minP: 0 }), null);
});

test("the filters on a small distribution, by hand", () => {
  const probs = Float32Array.of(0.0625, 0.5, 0.1875, 0.25);
  const kept = (f: Partial<SamplingFilters>) => [...keptTokens(probs, { topK: 0, topP: 1, minP: 0, ...f })!].sort();
  assert.deepEqual(kept({ topP: 0.75 }), [1, 3]);
  assert.deepEqual(kept({ topP: 0.76 }), [1, 2, 3]);
  assert.deepEqual(kept({ topK: 2 }), [1, 3]);
  assert.deepEqual(kept({ topK: 2, topP: 0.66 }), [1]); // 0.5 is 2/3 of the 0.75 top-k kept
  assert.deepEqual(kept({ topK: 2, topP: 0.67 }), [1, 3]);
  assert.deepEqual(kept({ minP: 0.375 }), [1, 2, 3]); // 0.1875 = 0.375 * 0.5
  assert.deepEqual(kept({ minP: 0.38 }), [1, 3]);
});

test("draws follow the renormalised kept distribution and repeat with the seed", () => {
  const probs = Float32Array.of(0.05, 0.5, 0.15, 0.3);
  const filters: SamplingFilters = { topK: 3, topP: 1, minP: 0 };
  const rng = new Rng(11);
  const counts = [0, 0, 0, 0];
  const draws = 40_000;
  const first: number[] = [];
  for (let i = 0; i < draws; i++) {
    const token = sampleToken(probs, filters, rng);
    counts[token]++;
    if (i < 50) first.push(token);
  }
  assert.equal(counts[0], 0);
  for (const [token, p] of [[1, 0.5 / 0.95], [2, 0.15 / 0.95], [3, 0.3 / 0.95]]) {
    assert.ok(Math.abs(counts[token] / draws - p) < 0.01, `token ${token}: ${counts[token] / draws} vs ${p}`);
  }
  const again = new Rng(11);
  assert.deepEqual(Array.from({ length: 50 }, () => sampleToken(probs, filters, again)), first);
  // Unfiltered: every token keeps its probability.
  const all = [0, 0, 0, 0];
  for (let i = 0; i < draws; i++) all[sampleToken(probs, { topK: 0, topP: 1, minP: 0 }, rng)]++;
  probs.forEach((p, token) => assert.ok(Math.abs(all[token] / draws - p) < 0.01, `unfiltered token ${token}`));
});

test("a distribution without finite mass is refused", () => {
  assert.throws(() => sampleToken(Float32Array.of(NaN, NaN), { topK: 0, topP: 1, minP: 0 }, new Rng(1)), /no finite mass/);
});

/** A generator whose every draw is `u`: sampleToken then makes the draw the device sampler makes with u. */
function fixedUniform(u: number): Rng {
  return { uniform: () => u } as unknown as Rng;
}

test("the device sampler draws the token the host sampler draws with the same uniform, and its log-prob", () => scope(() => {
  const rng = new Rng(21);
  const rows = 6, vocab = 5000;
  for (const temperature of [1, 0.7, 1.6]) {
    for (const spread of [0.5, 3, 12]) {
      const logits = Float32Array.from({ length: rows * vocab }, () => spread * rng.normal());
      const device = tensor(logits, [rows, vocab]);
      for (let trial = 0; trial < 12; trial++) {
        const uniforms = Float64Array.from({ length: rows }, () => rng.uniform());
        const tokens = new Int32Array(rows), logprobs = new Float32Array(rows);
        assert.equal(cpu.sampleRows(device.addr, rows, vocab, 1 / temperature, uniforms, tokens, logprobs), -1);
        for (let r = 0; r < rows; r++) {
          const scaled = Array.from(logits.subarray(r * vocab, (r + 1) * vocab), (z) => z / temperature);
          const max = Math.max(...scaled);
          const lse = max + Math.log(scaled.reduce((a, z) => a + Math.exp(z - max), 0));
          const probs = Float32Array.from(scaled, (z) => Math.exp(z - lse));
          const label = `T ${temperature}, spread ${spread}, row ${r}, u ${uniforms[r]}`;
          assert.equal(tokens[r], sampleToken(probs, { topK: 0, topP: 1, minP: 0 }, fixedUniform(uniforms[r])), label);
          assert.ok(Math.abs(logprobs[r] - (scaled[tokens[r]] - lse)) < 1e-5, `${label}: log-prob ${logprobs[r]}`);
        }
      }
    }
  }
}));

test("the device sampler takes the first token with mass at u = 0, the last near u = 1, and names a row without finite mass", () => scope(() => {
  const logits = tensor(Float32Array.of(-200, 0, 1, -200, 0, 0, 0, 0, NaN), [3, 3]);
  const tokens = new Int32Array(3), logprobs = new Float32Array(3);
  const bad = cpu.sampleRows(logits.addr, 3, 3, 1, Float64Array.of(0, 0.9999999, 0.5), tokens, logprobs);
  assert.equal(bad, 2);
  assert.deepEqual([...tokens.subarray(0, 2)], [1, 2]);
}));

test("sequence seeds differ across sequences and runs and do not depend on anything else", () => {
  const seeds = new Set<number>();
  for (const seed of [0, 1, 2 ** 40]) for (let i = 0; i < 100; i++) seeds.add(sequenceSeed(seed, i));
  assert.equal(seeds.size, 300);
  // Pinned after the calls above: a pure function of (seed, index), and a change to it (which would change
  // every seeded run's samples) is noticed.
  assert.deepEqual([sequenceSeed(0, 0), sequenceSeed(7, 3), sequenceSeed(2 ** 40, 99)], [1803768873, 128494448, 150152883]);
});

test("generation settings get TRL's defaults and bad values are named", () => {
  const tokenizer = { vocabSize: 100, eosTokenIds: [2], encode: () => [], decode: () => "" };
  const resolved = resolveGenerationConfig({}, tokenizer, 3);
  assert.equal(resolved.temperature, 1);
  assert.equal(resolved.topP, 1);
  assert.equal(resolved.topK, 0);
  assert.equal(resolved.minP, 0);
  assert.equal(resolved.maxNewTokens, 256);
  assert.equal(resolved.logprobsAtTemperature, true);
  assert.deepEqual(resolved.stopTokenIds, [2]);
  assert.throws(() => resolveGenerationConfig({ topP: 0 }, tokenizer, 1), /topP must be in \(0, 1\], got 0/);
  assert.throws(() => resolveGenerationConfig({ temperature: -1 }, tokenizer, 1), /temperature must be a number > 0/);
  assert.throws(() => resolveGenerationConfig({ maxNewTokens: 1.5 }, tokenizer, 1), /maxNewTokens must be a positive integer/);
  assert.throws(() => resolveGenerationConfig({ stopTokenIds: [100] }, tokenizer, 1), /stopTokenIds must be token ids in \[0, 100\)/);
  assert.throws(() => resolveGenerationConfig({ seeds: [1, 2] }, tokenizer, 3), /seeds must be one seed per prompt \(3\)/);
});
