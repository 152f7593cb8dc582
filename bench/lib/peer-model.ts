// The peer benchmark's model shapes (../shared/bench/configs/*.json) as
// decoders of the model layer with random weights, and a stand-in tokenizer
// for their vocabularies, so generation and scoring run on exactly the shapes
// PyTorch runs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { GenerationTokenizer } from "../../src/generate/index.js";
import { DecoderModel, type DecoderConfig, type ParameterFactory } from "../../src/models/index.js";
import { parameter } from "../../src/nn/index.js";
import { cpu, empty, Rng, zeros } from "../../src/tensor/index.js";
import { sharedBench } from "./peer.js";
import type { PeerConfig } from "./tiny-decoder.js";

export function readPeerConfig(name: string): PeerConfig {
  const path = join(sharedBench, "configs", `${name}.json`);
  return JSON.parse(readFileSync(path, "utf8")) as PeerConfig;
}

/** The decoder config of a peer shape: Qwen2 when it has q/k/v biases, Llama otherwise. */
export function peerDecoderConfig(c: PeerConfig): DecoderConfig {
  const qwen2 = c.qkv_bias ?? false;
  return {
    architecture: qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM",
    vocabSize: c.vocab,
    hiddenSize: c.d_model,
    intermediateSize: c.ffn,
    numLayers: c.layers,
    numHeads: c.heads,
    numKvHeads: c.kv_heads,
    headDim: c.d_model / c.heads,
    rmsNormEps: c.rms_eps,
    ropeTheta: c.rope_theta,
    ropeScaling: null,
    maxPositionEmbeddings: 32768,
    tieWordEmbeddings: c.tie_embeddings,
    attentionBias: qwen2,
    attentionOutputBias: false,
    mlpBias: false,
    qkNorm: false,
    bosTokenId: null,
    eosTokenIds: [],
    padTokenId: null,
    torchDtype: "float32",
    initializerRange: 0.02,
    source: null,
  };
}

/**
 * Weights ~ N(0, std) without drawing half a billion normals in JavaScript
 * (a minute for the 0.5B shape): one block of normals, written over each
 * weight at a shifting offset. Only speed is measured on these weights.
 */
function tiledNormalParameters(seed: number, std: number): ParameterFactory {
  const rng = new Rng(seed);
  const block = Float32Array.from({ length: (1 << 20) + 4099 }, () => std * rng.normal());
  const chunk = 1 << 20;
  return {
    backend: cpu,
    weight: (shape, name) => {
      const t = parameter(empty(shape), name);
      for (let at = 0; at < t.size; at += chunk) {
        const n = Math.min(chunk, t.size - at), shift = rng.int(block.length - chunk);
        t.backend.write(t.addr, at * 4, block.subarray(shift, shift + n));
      }
      return t;
    },
    bias: (shape, name) => parameter(zeros(shape), name),
  };
}

export function peerModel(c: PeerConfig, seed: number): DecoderModel {
  const config = peerDecoderConfig(c);
  return new DecoderModel(config, tiledNormalParameters(seed, config.initializerRange));
}

/** A tokenizer over `vocabSize` ids with no EOS (every sequence runs its full length, as the peer's do); text is the ids. */
export function idTokenizer(vocabSize: number): GenerationTokenizer {
  return {
    vocabSize,
    eosTokenIds: [],
    encode: (text) => text.split(" ").map(Number),
    decode: (ids) => ids.join(" "),
  };
}
