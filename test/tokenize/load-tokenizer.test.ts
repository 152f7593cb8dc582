import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCharTokenizer } from "../../src/tokenize/char-tokenizer.js";
import { loadTokenizer } from "../../src/tokenize/load.js";

async function withModelFolder(body: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-load-tok-"));
  try {
    await createCharTokenizer().save(dir);
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const USER_TURN = [{ role: "user", content: "hi" }];

test("a chat template in chat_template.jinja wins over chat_template.json, which wins over tokenizer_config.json", () =>
  withModelFolder((dir) => {
    writeFileSync(join(dir, "chat_template.json"), JSON.stringify({ chat_template: "json:{{ messages[0].content }}" }));
    assert.equal(loadTokenizer(dir).applyChatTemplate(USER_TURN), "json:hi");
    writeFileSync(join(dir, "chat_template.jinja"), "jinja:{{ messages[0].content }}{{ eos_token }}");
    assert.equal(loadTokenizer(dir).applyChatTemplate(USER_TURN), "jinja:hi<|im_end|>");
  }));

test("named chat templates: tool_use is chosen when tools are given", () =>
  withModelFolder((dir) => {
    const templates = [
      { name: "default", template: "plain" },
      { name: "tool_use", template: "tools:{{ tools | length }}" },
    ];
    writeFileSync(join(dir, "chat_template.json"), JSON.stringify({ chat_template: templates }));
    const tokenizer = loadTokenizer(dir);
    assert.equal(tokenizer.applyChatTemplate(USER_TURN), "plain");
    assert.equal(tokenizer.applyChatTemplate(USER_TURN, { tools: [{}, {}] }), "tools:2");
  }));

test("EOS ids gather the tokenizer's eos_token, generation_config.json and config.json", () =>
  withModelFolder((dir) => {
    writeFileSync(join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: [4, 2] }));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ eos_token_id: 1 }));
    assert.deepEqual(loadTokenizer(dir).eosTokenIds, [4, 2, 1]);
  }));

test("bad tokenizer folders give errors naming the file and key", () =>
  withModelFolder((dir) => {
    assert.throws(() => loadTokenizer(join(dir, "missing")), /missing: no tokenizer\.json/);
    writeFileSync(join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: "x" }));
    assert.throws(() => loadTokenizer(dir), /generation_config\.json: "eos_token_id"/);
    writeFileSync(join(dir, "generation_config.json"), "{ not json");
    assert.throws(() => loadTokenizer(dir), /generation_config\.json: not valid JSON/);
    rmSync(join(dir, "generation_config.json"));
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ eos_token: "<nope>" }));
    assert.throws(() => loadTokenizer(dir), /tokenizer_config\.json eos_token "<nope>" is not in the vocabulary/);
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ chat_template: "{% for %}" }));
    assert.throws(() => loadTokenizer(dir), /chat template "default" does not parse/);
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({}));
    assert.equal(loadTokenizer(dir).hasChatTemplate, false);
    assert.throws(() => loadTokenizer(dir).applyChatTemplate(USER_TURN), /has no chat template/);
  }));
