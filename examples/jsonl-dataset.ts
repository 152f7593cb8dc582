// A JSONL dataset and a model folder: GRPO trains on one file's rows and is
// evaluated on another's, then the trained model is evaluated on its own.
//
//   npx tsx examples/jsonl-dataset.ts           # a few minutes on two cores
//   npx tsx examples/jsonl-dataset.ts --quick   # the seconds-long run the test suite makes
//
// data/arithmetic-train.jsonl and data/arithmetic-test.jsonl hold rows in
// TRL's shape, {"prompt": "4*9-3 = ?\n", "answer": "33"}; the gsm8k task reads
// them as finished prompts and scores answers with the paper's GSM8K check
// (the number after "####"). The model is a Hugging Face folder: here the one
// the package ships (models/arithmetic), in your project the folder of any
// Llama, Qwen2 or Qwen3 checkpoint. The run goes to runs/example-jsonl-dataset/
// (delete it to start again).
import { fileURLToPath } from "node:url";
import { evaluate, train } from "astarpo";

const quick = process.argv.includes("--quick");
const size = quick
  ? { trainSize: 8, evalSize: 8, numGenerations: 2, batchSize: 4, miniBatchSize: 4, maxSteps: 1, evalEvery: 0 }
  : { numGenerations: 8, batchSize: 16, miniBatchSize: 8, maxSteps: 24, evalEvery: 8 };
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const result = await train({
  algo: "grpo",
  model: here("../models/arithmetic"),
  task: "gsm8k",
  data: here("data/arithmetic-train.jsonl"),
  evalData: here("data/arithmetic-test.jsonl"),
  maxNewTokens: 48,
  lr: 1e-4,
  ...size,
  name: quick ? "example-jsonl-dataset-quick" : "example-jsonl-dataset",
}, {
  log: (line) => console.log(line),
});

// The held-out rows again, greedy and with 4 samples each (avg@4, pass@4).
const heldOut = await evaluate({
  model: result.modelDir, task: "gsm8k", data: here("data/arithmetic-test.jsonl"), size: quick ? 4 : 40, k: 4, maxNewTokens: 48,
});
console.log(`${heldOut.prompts} prompts: greedy accuracy ${heldOut.accuracy.toFixed(3)}, avg@4 ${heldOut.avgAtK?.toFixed(3)}, pass@4 ${heldOut.passAtK?.toFixed(3)}`);
