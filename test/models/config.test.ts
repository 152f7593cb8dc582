import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDecoderConfig, parameterCount, parseDecoderConfig, toHfConfig, toHfGenerationConfig, type DecoderConfig } from "../../src/models/config.js";
import { BUILTIN_MODEL_NAMES, builtinDecoderConfig } from "../../src/models/builtin-configs.js";
import { createBuiltinModel } from "../../src/pretrained/index.js";
import { createCharTokenizer } from "../../src/tokenize/char-tokenizer.js";

// config.json files as published with Qwen2.5-0.5B-Instruct, Qwen3-0.6B and Llama-3.2-1B-Instruct.
const QWEN25_05B = {
  architectures: ["Qwen2ForCausalLM"],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  hidden_act: "silu",
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 21,
  model_type: "qwen2",
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  transformers_version: "4.43.1",
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const QWEN3_06B = {
  architectures: ["Qwen3ForCausalLM"],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: "silu",
  hidden_size: 1024,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  model_type: "qwen3",
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  transformers_version: "4.51.0",
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const LLAMA32_1B = {
  architectures: ["LlamaForCausalLM"],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  head_dim: 64,
  hidden_act: "silu",
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: "llama",
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: "llama3" },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  transformers_version: "4.45.0.dev0",
  use_cache: true,
  vocab_size: 128256,
};

/** Everything but the carried-along source object. */
function normalised(config: DecoderConfig): Omit<DecoderConfig, "source"> {
  const { source: _source, ...rest } = config;
  return rest;
}

test("Qwen2.5 config: q/k/v biases, GQA, tied embeddings, derived head_dim", () => {
  const config = parseDecoderConfig(QWEN25_05B);
  assert.deepEqual(normalised(config), {
    architecture: "Qwen2ForCausalLM",
    vocabSize: 151936,
    hiddenSize: 896,
    intermediateSize: 4864,
    numLayers: 24,
    numHeads: 14,
    numKvHeads: 2,
    headDim: 64,
    rmsNormEps: 1e-6,
    ropeTheta: 1e6,
    ropeScaling: null,
    maxPositionEmbeddings: 32768,
    tieWordEmbeddings: true,
    attentionBias: true,
    attentionOutputBias: false,
    mlpBias: false,
    qkNorm: false,
    bosTokenId: 151643,
    eosTokenIds: [151645],
    padTokenId: null,
    torchDtype: "bfloat16",
    initializerRange: 0.02,
  });
  assert.equal(parameterCount(config), 494_032_768);
});

test("Qwen3 config: q/k RMSNorm and an explicit head_dim wider than hidden_size / heads", () => {
  const config = parseDecoderConfig(QWEN3_06B);
  assert.equal(config.architecture, "Qwen3ForCausalLM");
  assert.equal(config.headDim, 128);
  assert.equal(config.numHeads * config.headDim, 2048);
  assert.equal(config.qkNorm, true);
  assert.equal(config.attentionBias, false);
  assert.equal(parameterCount(config), 596_049_920);
});

test("Llama 3.2 config: llama3 RoPE scaling and several EOS ids", () => {
  const config = parseDecoderConfig(LLAMA32_1B);
  assert.equal(config.architecture, "LlamaForCausalLM");
  assert.deepEqual(config.ropeScaling, { type: "llama3", factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
  assert.deepEqual(config.eosTokenIds, [128001, 128008, 128009]);
  assert.equal(config.rmsNormEps, 1e-5);
  assert.equal(config.qkNorm, false);
  assert.equal(parameterCount(config), 1_235_814_400);
});

test("toHfConfig re-saves a loaded config unchanged apart from what the model changed", () => {
  for (const original of [QWEN25_05B, QWEN3_06B, LLAMA32_1B]) {
    const config = parseDecoderConfig(original);
    const saved = toHfConfig(config);
    for (const [key, value] of Object.entries(original)) {
      if (key === "sliding_window" || key === "max_window_layers") continue; // rewritten with sliding windows off
      assert.deepEqual(saved[key], value, `${original.architectures[0]} ${key}`);
    }
    assert.deepEqual(normalised(parseDecoderConfig(saved)), normalised(config));
    const changed = toHfConfig({ ...config, vocabSize: 1000, torchDtype: "float32" });
    assert.equal(changed.vocab_size, 1000);
    assert.equal(changed.torch_dtype, "float32");
    assert.equal(changed.transformers_version, original.transformers_version);
  }
});

test("configs in the newer rope_parameters layout are read and kept in that layout", () => {
  const { rope_theta: _theta, rope_scaling: _scaling, ...rest } = LLAMA32_1B;
  const newer = { ...rest, dtype: "bfloat16", rope_parameters: { ...LLAMA32_1B.rope_scaling, rope_theta: 500000 } };
  const config = parseDecoderConfig(newer);
  assert.equal(config.ropeTheta, 500000);
  assert.equal(config.ropeScaling?.type, "llama3");
  assert.equal(config.torchDtype, "bfloat16");
  const saved = toHfConfig({ ...config, ropeTheta: 10000, torchDtype: "float32" });
  assert.deepEqual(saved.rope_parameters, { ...LLAMA32_1B.rope_scaling, rope_theta: 10000 });
  assert.equal(saved.dtype, "float32");
});

test("bad configs give errors naming the file and key", () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-config-"));
  try {
    const write = (value: unknown) => writeFileSync(join(dir, "config.json"), JSON.stringify(value));
    const { hidden_size: _hidden, ...noHidden } = QWEN25_05B;
    const cases: Array<[unknown, RegExp]> = [
      [{ ...QWEN25_05B, architectures: ["MistralForCausalLM"] }, /config\.json: key "architectures": MistralForCausalLM is not supported/],
      [{ ...QWEN25_05B, architectures: undefined, model_type: "gpt2" }, /config\.json: key "model_type": "gpt2" is not a supported model type/],
      [noHidden, /config\.json: key "hidden_size": /],
      [{ ...QWEN25_05B, num_key_value_heads: 3 }, /key "num_key_value_heads": 3 does not divide num_attention_heads 14/],
      [{ ...QWEN25_05B, use_sliding_window: true }, /key "use_sliding_window": sliding-window attention is not supported/],
      [{ ...QWEN25_05B, hidden_act: "gelu" }, /key "hidden_act": only "silu"/],
      [{ ...QWEN25_05B, vocab_size: "many" }, /key "vocab_size": /],
      [{ ...QWEN25_05B, rope_scaling: { type: "longrope" } }, /key "rope_scaling"\.rope_type: "longrope" is not supported/],
      [{ ...LLAMA32_1B, head_dim: undefined, num_attention_heads: 24 }, /key "head_dim": hidden_size 2048 \/ num_attention_heads 24 = 85\.3+ is not an even integer/],
    ];
    for (const [value, message] of cases) {
      write(value);
      assert.throws(() => loadDecoderConfig(dir), (error: Error) => error.message.startsWith(join(dir, "config.json")) && message.test(error.message), String(message));
    }
    writeFileSync(join(dir, "config.json"), "{");
    assert.throws(() => loadDecoderConfig(dir), /config\.json: not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("toHfConfig refuses what an architecture cannot express", () => {
  const qwen2 = parseDecoderConfig(QWEN25_05B);
  assert.throws(() => toHfConfig({ ...qwen2, attentionBias: false }), /cannot save as Qwen2ForCausalLM: Qwen2 always has q\/k\/v biases/);
  const llama = parseDecoderConfig(LLAMA32_1B);
  assert.throws(() => toHfConfig({ ...llama, qkNorm: true }), /q\/k RMSNorm is exactly what Qwen3 adds/);
  assert.throws(() => toHfConfig({ ...llama, attentionBias: true }), /attention_bias covers q\/k\/v and o_proj together/);
});

test("built-in configs are Llama-shaped, sized for the character tokenizer, and save as loadable config.json", () => {
  const tokenizer = createCharTokenizer();
  const sizes: Record<string, number> = {};
  for (const name of BUILTIN_MODEL_NAMES) {
    const config = builtinDecoderConfig(name, tokenizer);
    assert.equal(config.architecture, "LlamaForCausalLM");
    assert.deepEqual([config.tieWordEmbeddings, config.attentionBias, config.mlpBias, config.qkNorm], [false, false, false, false], name);
    assert.equal(config.vocabSize, tokenizer.vocabSize);
    assert.deepEqual(config.eosTokenIds, tokenizer.eosTokenIds);
    assert.deepEqual(normalised(parseDecoderConfig(toHfConfig(config))), normalised(config), name);
    assert.deepEqual(toHfGenerationConfig(config), { bos_token_id: 2, eos_token_id: [4], pad_token_id: 0 });
    sizes[name] = parameterCount(config);
  }
  // tiny: d 128, ffn 320, 3 layers, 4 heads of 32 (2 for k/v); small: d 256, ffn 768, 4 layers, 4 heads of 64.
  // Per layer: q, k, v and o, three MLP matrices, two norms; then embeddings and head (untied) and the final norm.
  assert.equal(sizes.tiny, 3 * (128 * (128 + 2 * 64) + 128 * 128 + 3 * 128 * 320 + 2 * 128) + 2 * 101 * 128 + 128);
  assert.equal(sizes.small, 4 * (256 * (256 + 2 * 256) + 256 * 256 + 3 * 256 * 768 + 2 * 256) + 2 * 101 * 256 + 256);
  const { model } = createBuiltinModel("tiny", 0);
  assert.equal(model.parameters().reduce((n, p) => n + p.size, 0), sizes.tiny, "the model holds what its config counts");
  model.dispose();
  assert.throws(() => builtinDecoderConfig("huge" as "tiny", tokenizer), /unknown built-in model "huge"/);
});
