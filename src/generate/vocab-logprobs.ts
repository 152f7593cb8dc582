// The vocabulary a model samples and scores over. Checkpoints often pad the
// embedding to a round number of rows (Qwen2.5: 151936 rows for 151665
// tokens); those rows are no tokens, so sampling and scoring both project onto
// the first `vocabSize` rows only, which also keeps them in agreement.
import type { DecoderModel } from "../models/index.js";
import { sliceRows, type Tensor } from "../tensor/index.js";

/** The vocabulary sampled and scored over: the tokenizer's, within the model's (possibly padded) one. */
export function realVocabSize(model: DecoderModel, tokenizerVocabSize: number): number {
  if (tokenizerVocabSize > model.config.vocabSize) {
    throw new Error(`the tokenizer has ${tokenizerVocabSize} tokens but the model only ${model.config.vocabSize} output rows`);
  }
  return tokenizerVocabSize;
}

/** The output projection's first `vocabSize` rows [vocabSize, hidden] (a view; gradients reach the full matrix). */
export function vocabWeight(model: DecoderModel, vocabSize: number): Tensor {
  const weight = model.outputWeight;
  return vocabSize === weight.shape[0] ? weight : sliceRows(weight, 0, vocabSize);
}
