import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer as LibraryTokenizer } from "@huggingface/tokenizers";
import { CHAR_ALPHABET, CHAR_SPECIAL_TOKENS, createCharTokenizer } from "../../src/tokenize/char-tokenizer.js";
import { loadTokenizer } from "../../src/tokenize/load.js";

const chars = createCharTokenizer();
const SPECIAL_COUNT = Object.keys(CHAR_SPECIAL_TOKENS).length;

/** The documented layout: specials first, then newline, then printable ASCII in code order. */
function expectedId(char: string): number {
  return char === "\n" ? SPECIAL_COUNT : SPECIAL_COUNT + 1 + char.charCodeAt(0) - 0x20;
}

test("the character tokenizer gives one id per character, in the documented layout", () => {
  const text = "Q: 12+3*(4-1)=? {a_b} \\frac!\n~`";
  assert.deepEqual(chars.encode(text), [...text].map(expectedId));
  assert.equal(chars.decode(chars.encode(text)), text);
  assert.equal(chars.vocabSize, SPECIAL_COUNT + CHAR_ALPHABET.length);
  assert.equal(chars.vocabSize, 101);
});

test("the character tokenizer's special tokens are single ids and unknown characters become <unk>", () => {
  assert.deepEqual(chars.encode("<|im_start|>hi<|im_end|>"), [3, expectedId("h"), expectedId("i"), 4]);
  assert.deepEqual(chars.eosTokenIds, [chars.tokenToId(CHAR_SPECIAL_TOKENS.turnEnd)]);
  assert.equal(chars.padTokenId, 0);
  assert.equal(chars.bosTokenId, 2);
  assert.deepEqual(chars.encode("é1"), [1, expectedId("1")]);
  assert.equal(chars.decode([3, expectedId("x"), 4], { skipSpecialTokens: true }), "x");
});

test("the character tokenizer's chat template is ChatML-shaped", () => {
  const prompt = chars.applyChatTemplate(
    [
      { role: "system", content: "Answer with a number." },
      { role: "user", content: "2+2=" },
    ],
    { addGenerationPrompt: true },
  );
  assert.equal(prompt, "<|im_start|>system\nAnswer with a number.<|im_end|>\n<|im_start|>user\n2+2=<|im_end|>\n<|im_start|>assistant\n");
  const ids = chars.encode(prompt);
  assert.equal(ids.filter((id) => id === 3).length, 3);
});

test("the character tokenizer saves as a tokenizer.json that the tokenizers library and loadTokenizer read back identically", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-char-tok-"));
  try {
    writeFileSync(join(dir, "chat_template.jinja"), "stale template from an earlier save");
    await chars.save(dir);
    const tokenizerJson = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
    const configJson = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
    const library = new LibraryTokenizer(tokenizerJson, configJson);
    const reloaded = loadTokenizer(dir);
    const texts = ["", "12*7 = 84\n", "<|im_start|>user\nx^2 - 4 = 0, x = ?<|im_end|>\n", "tabs\tare unknown"];
    for (const text of texts) {
      assert.deepEqual(library.encode(text).ids, chars.encode(text), JSON.stringify(text));
      assert.deepEqual(reloaded.encode(text), chars.encode(text), JSON.stringify(text));
    }
    assert.equal(reloaded.vocabSize, chars.vocabSize);
    assert.deepEqual(reloaded.eosTokenIds, chars.eosTokenIds);
    const conversation = [{ role: "user", content: "1+1=" }];
    assert.equal(reloaded.applyChatTemplate(conversation, { addGenerationPrompt: true }), chars.applyChatTemplate(conversation, { addGenerationPrompt: true }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
