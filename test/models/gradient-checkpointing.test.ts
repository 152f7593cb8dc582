// Activation checkpointing per decoder layer: the same gradients, less memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { addLora, frozenCopy, type DecoderModel } from "../../src/models/index.js";
import { createBuiltinModel } from "../../src/pretrained/index.js";
import { backward, memory, resetPeakMemory, Rng, scope, sum, tensor, tokenLogProbs } from "../../src/tensor/index.js";
import { takeGradients } from "./decoder-fixtures.js";

function randomIds(rows: number, length: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: rows * length }, () => 3 + rng.int(60));
}

/** One training pass (forward, summed next-token log-probs, backward); returns the peak tensor memory above what was live before. */
function trainingPass(model: DecoderModel, rows: number, length: number): number {
  const ids = randomIds(rows, length + 1, 7);
  const live = memory().cpu.live;
  resetPeakMemory();
  scope(() => {
    const inputs = new Int32Array(rows * length), targets = new Int32Array(rows * length);
    for (let r = 0; r < rows; r++) {
      inputs.set(ids.subarray(r * (length + 1), r * (length + 1) + length), r * length);
      targets.set(ids.subarray(r * (length + 1) + 1, (r + 1) * (length + 1)), r * length);
    }
    const logits = model.forward(tensor(inputs, [rows, length]));
    backward(sum(tokenLogProbs(logits, tensor(targets, [rows, length])).logprobs));
  });
  return memory().cpu.peak - live;
}

test("gradient checkpointing gives exactly the gradients of the plain pass: full fine-tuning, and LoRA with dropout on a bf16 base", () => {
  const setups: Array<() => DecoderModel> = [
    () => createBuiltinModel("tiny", 1).model,
    () => {
      const { model } = createBuiltinModel("tiny", 1);
      const half = frozenCopy(model, "bf16");
      model.dispose();
      return addLora(half, { r: 4, dropout: 0.2 }, 5);
    },
  ];
  for (const make of setups) {
    const plain = make(), checkpointed = make();
    try {
      checkpointed.gradientCheckpointing = true;
      trainingPass(plain, 2, 24);
      trainingPass(checkpointed, 2, 24);
      const expected = takeGradients(plain), actual = takeGradients(checkpointed);
      assert.ok(expected.size > 0);
      for (const [name, g] of expected) assert.deepEqual(actual.get(name), g, name);
    } finally {
      plain.dispose();
      checkpointed.dispose();
    }
  }
});

test("gradient checkpointing lowers the peak tensor memory of a training pass over a long sequence", () => {
  const { model } = createBuiltinModel("tiny", 2);
  try {
    const plain = trainingPass(model, 2, 512);
    takeGradients(model);
    model.gradientCheckpointing = true;
    const checkpointed = trainingPass(model, 2, 512);
    takeGradients(model);
    assert.ok(checkpointed < 0.75 * plain, `peak ${checkpointed} bytes with checkpointing, ${plain} without`);
  } finally {
    model.dispose();
  }
});
