// Peak tensor memory and time of one training step with the memory savers
// off and on: full fine-tuning, full + activation checkpointing, LoRA on a
// frozen bf16 base, LoRA + checkpointing. The step: teacher-forced scoring of
// responses with gradients (scoreResponses, as the policy term of every
// algorithm), the mean negative log-prob as the loss, backward, gradient
// clipping and AdamW. The peak counts everything live: weights, gradients,
// optimizer state and activations.
//   npm run bench -- memory [--json] [--shapes builtin:small,mid-124m,<peer config>] [--r 16]
// Peer configs (e.g. qwen2.5-0.5b-shape) are read from ../shared/bench/configs when present.
import { addLora, createBuiltinModel, frozenCopy, type DecoderModel } from "../src/models/index.js";
import { AdamW } from "../src/nn/index.js";
import { memory, neg, resetPeakMemory, Rng, scale, sum } from "../src/tensor/index.js";
import { idTokenizer, peerModel, readPeerConfig } from "./lib/peer-model.js";
import { policyStep } from "./lib/policy-step.js";
import type { PeerConfig } from "./lib/tiny-decoder.js";
import { Report } from "./report.js";

interface Shape {
  name: string;
  make(): DecoderModel;
  vocabSize: number;
  batch: number;
  prompt: number;
  response: number;
}

/** A Llama-style shape between the built-in models and the 0.5B peer shape (124M parameters). */
const MID: PeerConfig = {
  name: "mid-124m", vocab: 32000, d_model: 768, layers: 12, heads: 12, kv_heads: 4, ffn: 2048, rope_theta: 10000, rms_eps: 1e-6,
  tie_embeddings: false, train: { batch: 4, seq: 256 }, generate: { batch: 8, prompt: 64, new_tokens: 32 },
};

function peerShape(config: PeerConfig): Shape {
  const prompt = Math.floor(config.train.seq / 4);
  return {
    name: config.name, make: () => peerModel(config, 0), vocabSize: config.vocab,
    batch: config.train.batch, prompt, response: config.train.seq - prompt,
  };
}

function shapeNamed(name: string): Shape {
  if (name === "builtin:small") {
    const probe = createBuiltinModel("small", 0);
    probe.model.dispose();
    return { name, make: () => createBuiltinModel("small", 0).model, vocabSize: probe.tokenizer.vocabSize, batch: 8, prompt: 32, response: 96 };
  }
  if (name === MID.name) return peerShape(MID);
  return peerShape(readPeerConfig(name));
}

interface Setup {
  name: string;
  lora: boolean;
  checkpointing: boolean;
}

const SETUPS: Setup[] = [
  { name: "full", lora: false, checkpointing: false },
  { name: "full+ckpt", lora: false, checkpointing: true },
  { name: "lora", lora: true, checkpointing: false },
  { name: "lora+ckpt", lora: true, checkpointing: true },
];

/** The model a setup trains: f32 for full fine-tuning; a bf16 copy with adapters for LoRA. */
function modelFor(shape: Shape, setup: Setup, r: number): DecoderModel {
  let model = shape.make();
  if (setup.lora) {
    const base = frozenCopy(model, "bf16");
    model.dispose();
    model = addLora(base, { r }, 0);
  }
  model.gradientCheckpointing = setup.checkpointing;
  return model;
}

/** Peak bytes over two steps (weights to optimizer state) and the seconds of the second step. */
function measure(shape: Shape, setup: Setup, r: number): { peak: number; seconds: number; trainable: number } {
  resetPeakMemory();
  const model = modelFor(shape, setup, r);
  const tokenizer = idTokenizer(shape.vocabSize);
  const optimizer = new AdamW(model.trainableParameters(), { lr: 1e-5 });
  const rng = new Rng(1);
  const tokens = (n: number) => Array.from({ length: n }, () => 3 + rng.int(shape.vocabSize - 3));
  let seconds = 0;
  try {
    for (let step = 0; step < 2; step++) {
      const batch = Array.from({ length: shape.batch }, () => ({ prompt: tokens(shape.prompt), response: tokens(shape.response) }));
      const times = policyStep(model, tokenizer, optimizer, batch, ({ logprobs }) => scale(neg(sum(logprobs)), 1 / (shape.batch * shape.response)));
      seconds = times.forward + times.backward + times.optimizer;
    }
    return { peak: memory().cpu.peak, seconds, trainable: optimizer.params.reduce((n, p) => n + p.size, 0) };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

function parseOptions(argv: string[]): { json: boolean; shapes: string[]; r: number } {
  const options = { json: false, shapes: ["builtin:small", MID.name], r: 16 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") options.json = true;
    else if (arg === "--shapes") options.shapes = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (arg === "--r") options.r = Number(argv[++i]);
    else throw new Error(`memory: unknown option ${arg} (expected --json, --shapes A,B, --r N)`);
  }
  if (!Number.isInteger(options.r) || options.r <= 0) throw new Error(`memory: --r must be a positive integer, got ${options.r}`);
  if (options.shapes.length === 0) throw new Error("memory: --shapes names no shape");
  return options;
}

export async function run(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const report = new Report("memory", options.json);
  for (const name of options.shapes) {
    const shape = shapeNamed(name);
    for (const setup of SETUPS) {
      const { peak, seconds, trainable } = measure(shape, setup, options.r);
      const config = `${shape.name} ${setup.name} (batch ${shape.batch} x ${shape.prompt}+${shape.response}${setup.lora ? `, r ${options.r}` : ""})`;
      report.add("peak_mib", peak / 2 ** 20, "MiB", null, config);
      report.add("step_s", seconds, "s", null, config);
      report.add("trainable_params", trainable, "", null, config);
    }
  }
  report.finish();
}
