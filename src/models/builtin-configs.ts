// Small Llama-style models for the built-in tasks, trained from scratch on a
// character vocabulary. `small` has the shape of the PyTorch peer benchmark's
// ref-tiny model (../shared/bench/configs/ref-tiny.json) so their speeds compare.
import type { DecoderConfig } from "./config.js";

/** What a built-in model takes from its tokenizer. */
export interface BuiltinVocabulary {
  /** Number of token ids. */
  vocabSize: number;
  /** Beginning-of-sequence token, or null for none. */
  bosTokenId: number | null;
  /** Tokens that end generation. */
  eosTokenIds: readonly number[];
  /** Padding token, or null for none. */
  padTokenId: number | null;
}

interface BuiltinShape {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
}

const BUILTIN_SHAPES = {
  /** ~0.5M parameters: a quick model for tests and smoke runs. */
  tiny: { hiddenSize: 128, intermediateSize: 320, numLayers: 3, numHeads: 4, numKvHeads: 2 },
  /** ~3.4M parameters: the ref-tiny shape of the peer benchmark. */
  small: { hiddenSize: 256, intermediateSize: 768, numLayers: 4, numHeads: 4, numKvHeads: 4 },
} satisfies Record<string, BuiltinShape>;

/** A built-in model shape: "tiny" (~0.5M parameters) or "small" (~3.4M). */
export type BuiltinModelName = keyof typeof BUILTIN_SHAPES;
/** The built-in model shapes, as `builtin:<name>` specs name them. */
export const BUILTIN_MODEL_NAMES = Object.keys(BUILTIN_SHAPES) as BuiltinModelName[];

/** The named built-in configuration, sized for `vocabulary` (the character tokenizer's, normally). */
export function builtinDecoderConfig(name: BuiltinModelName, vocabulary: BuiltinVocabulary): DecoderConfig {
  const shape: BuiltinShape | undefined = BUILTIN_SHAPES[name];
  if (shape === undefined) throw new Error(`unknown built-in model "${name}" (have ${BUILTIN_MODEL_NAMES.join(", ")})`);
  return {
    architecture: "LlamaForCausalLM",
    vocabSize: vocabulary.vocabSize,
    ...shape,
    headDim: shape.hiddenSize / shape.numHeads,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    ropeScaling: null,
    maxPositionEmbeddings: 1024,
    tieWordEmbeddings: false,
    attentionBias: false,
    attentionOutputBias: false,
    mlpBias: false,
    qkNorm: false,
    bosTokenId: vocabulary.bosTokenId,
    eosTokenIds: [...vocabulary.eosTokenIds],
    padTokenId: vocabulary.padTokenId,
    torchDtype: "float32",
    initializerRange: 0.02,
    source: null,
  };
}
