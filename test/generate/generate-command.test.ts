import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { formatSamples, sample } from "../../src/cli/generate.js";

test("generate --json prints one object per sample with text, token ids, log-probs and the finish reason", async () => {
  const samples = await sample({ model: "builtin:tiny", prompt: "What is 2+2?", num: 3, maxNewTokens: 8, seed: 1 });
  const lines = formatSamples(samples, true).split("\n").map((line) => JSON.parse(line));
  assert.equal(lines.length, 3);
  for (const line of lines) {
    assert.deepEqual(Object.keys(line), ["text", "token_ids", "logprobs", "finish_reason", "prompt_tokens", "tokens_per_second"]);
    assert.equal(line.logprobs.length, line.token_ids.length);
    assert.ok(["stop", "length"].includes(line.finish_reason));
    assert.equal(line.prompt_tokens, 12);
  }
  assert.notDeepEqual(lines[0].token_ids, lines[1].token_ids, "each sample draws from its own stream");
  const again = await sample({ model: "builtin:tiny", prompt: "What is 2+2?", num: 3, maxNewTokens: 8, seed: 1 });
  assert.deepEqual(again.sequences.map((s) => s.tokenIds), samples.sequences.map((s) => s.tokenIds));
  assert.match(formatSamples(samples, false), /^--- sample 1 \(\d+ tokens, (stop|length)\) ---\n/);
});

test("generate --chat renders the model folder's chat template", async () => {
  const folder = join("test", "fixtures", "models", "qwen3");
  const greedy = { model: folder, prompt: "hi", greedy: true, maxNewTokens: 4 };
  const chat = await sample({ ...greedy, chat: true });
  // The fixture's template: "user: hi\nassistant: "
  assert.equal(chat.sequences[0].promptTokenCount, (await sample(greedy)).sequences[0].promptTokenCount + "user: \nassistant: ".length);
  await assert.rejects(sample({ ...greedy, system: "be brief" }), /--system needs --chat/);
});

test("generate --weights bf16 gives a bf16 checkpoint's own tokens and log-probs exactly, at half the weight memory", async () => {
  // The fixture stores bf16: widening it to f32 adds nothing, and the products are bit-exact either way.
  const folder = join("test", "fixtures", "models", "qwen2");
  const settings = { model: folder, prompt: "hi", num: 2, maxNewTokens: 6, seed: 3, temperature: 0.8 };
  const half = await sample({ ...settings, weights: "bf16" });
  const full = await sample(settings);
  assert.deepEqual(half.sequences.map((s) => s.tokenIds), full.sequences.map((s) => s.tokenIds));
  assert.deepEqual(half.sequences.map((s) => s.logprobs), full.sequences.map((s) => s.logprobs));
  const builtin = await sample({ model: "builtin:tiny", prompt: "2+2=", maxNewTokens: 4, seed: 2, weights: "bf16" });
  assert.equal(builtin.sequences[0].logprobs.length, builtin.sequences[0].tokenIds.length);
});

test("generate names a missing model folder or built-in model", async () => {
  await assert.rejects(sample({ model: join("test", "no-such-model"), prompt: "x" }), /--model test\/no-such-model: no such folder/);
  await assert.rejects(sample({ model: join("test", "fixtures"), prompt: "x" }), /test\/fixtures\/config\.json: cannot read/);
  await assert.rejects(sample({ model: "builtin:huge", prompt: "x" }), /unknown built-in model "huge"/);
});
