import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { generateText, type GenerateTextOptions } from "../../src/api/generate.js";
import { formatSamples } from "../../src/cli/generate.js";
import { generate } from "../../src/generate/index.js";
import { frozenCopy } from "../../src/models/index.js";
import { createBuiltinModel, resolveModel } from "../../src/pretrained/index.js";
import { memory, resetPeakMemory } from "../../src/tensor/index.js";

test("generate --json prints one object per sample with text, token ids, log-probs and the finish reason", async () => {
  const samples = await generateText({ model: "builtin:tiny", prompt: "What is 2+2?", num: 3, maxNewTokens: 8, seed: 1 });
  const lines = formatSamples(samples, true).split("\n").map((line) => JSON.parse(line));
  assert.equal(lines.length, 3);
  for (const line of lines) {
    assert.deepEqual(Object.keys(line), ["text", "token_ids", "logprobs", "finish_reason", "prompt_tokens", "tokens_per_second"]);
    assert.equal(line.logprobs.length, line.token_ids.length);
    assert.ok(["stop", "length"].includes(line.finish_reason));
    assert.equal(line.prompt_tokens, 12);
  }
  assert.notDeepEqual(lines[0].token_ids, lines[1].token_ids, "each sample draws from its own stream");
  const again = await generateText({ model: "builtin:tiny", prompt: "What is 2+2?", num: 3, maxNewTokens: 8, seed: 1 });
  assert.deepEqual(again.sequences.map((s) => s.tokenIds), samples.sequences.map((s) => s.tokenIds));
  assert.match(formatSamples(samples, false), /^--- sample 1 \(\d+ tokens, (stop|length)\) ---\n/);
});

test("generate --chat renders the model folder's chat template", async () => {
  const folder = join("test", "fixtures", "models", "qwen3");
  const greedy = { model: folder, prompt: "hi", greedy: true, maxNewTokens: 4 };
  const chat = await generateText({ ...greedy, chat: true });
  // The fixture's template: "user: hi\nassistant: "
  assert.equal(chat.sequences[0].promptTokenCount, (await generateText(greedy)).sequences[0].promptTokenCount + "user: \nassistant: ".length);
  await assert.rejects(generateText({ ...greedy, system: "be brief" }), /option "system" needs "chat"/);
});

test("generate --weights bf16 gives a bf16 checkpoint's own tokens and log-probs exactly, at half the weight memory", async () => {
  // The fixture stores bf16: widening it to f32 adds nothing, and the products are bit-exact either way.
  const folder = join("test", "fixtures", "models", "qwen2");
  const settings = { model: folder, prompt: "hi", num: 2, maxNewTokens: 6, seed: 3, temperature: 0.8 };
  const sampleWithPeak = async (options: GenerateTextOptions) => {
    const before = memory().cpu.live;
    resetPeakMemory();
    const samples = await generateText(options);
    return { samples, peak: memory().cpu.peak - before };
  };
  const half = await sampleWithPeak({ ...settings, weights: "bf16" });
  const full = await sampleWithPeak(settings);
  assert.deepEqual(half.samples.sequences.map((s) => s.tokenIds), full.samples.sequences.map((s) => s.tokenIds));
  assert.deepEqual(half.samples.sequences.map((s) => s.logprobs), full.samples.sequences.map((s) => s.logprobs));
  assert.ok(half.peak < full.peak, `peak bytes while sampling: ${half.peak} with bf16 weights, ${full.peak} with f32`);
  // Weight matrices take 2 bytes an element instead of 4; norms stay f32.
  const { model } = await resolveModel(folder, { weights: "bf16" });
  try {
    const bytes = model.parameters().reduce((n, p) => n + p.bytes, 0);
    assert.equal(bytes, model.parameters().reduce((n, p) => n + p.size * (p.rank === 2 ? 2 : 4), 0));
  } finally {
    model.dispose();
  }
});

test("generate --weights bf16 on a built-in model samples with its weights rounded to bf16", async () => {
  const settings = { model: "builtin:tiny", prompt: "2+2=", maxNewTokens: 6, seed: 2 };
  const rounded = await generateText({ ...settings, weights: "bf16" });
  const { model, tokenizer } = createBuiltinModel("tiny", 0);
  const half = frozenCopy(model, "bf16");
  try {
    const [direct] = generate(half, tokenizer, [settings.prompt], { maxNewTokens: 6, seed: 2 });
    assert.deepEqual(rounded.sequences[0].logprobs, direct.logprobs);
    assert.notDeepEqual((await generateText(settings)).sequences[0].logprobs, direct.logprobs, "f32 weights give other log-probs");
  } finally {
    model.dispose();
    half.dispose();
  }
});

test("generate names a missing model folder or built-in model", async () => {
  await assert.rejects(generateText({ model: join("test", "no-such-model"), prompt: "x" }), /--model test\/no-such-model: no such folder/);
  await assert.rejects(generateText({ model: join("test", "fixtures"), prompt: "x" }), /test\/fixtures\/config\.json: cannot read/);
  await assert.rejects(generateText({ model: "builtin:huge", prompt: "x" }), /--model builtin:huge: unknown built-in model \(fresh: tiny, small; warmed up: arithmetic\)/);
});
