// Peak tensor memory and time of one A*-PO stage-2 step with the memory
// savers off and on: full fine-tuning, full + activation checkpointing, LoRA
// on a frozen bf16 base, LoRA + checkpointing. The step is the trainer's own:
// collectRollouts (one response sampled per prompt, the reward, the
// reference pass), then updatePolicy with the A*-PO loss (forward, backward,
// clipping, AdamW). The reference is held as for a bf16 release: a bf16 copy
// beside the f32 policy in full fine-tuning, the base itself (adapters off)
// with LoRA. The peak counts everything live during the step: weights,
// reference, gradients, optimizer state, the rollout's KV cache, activations.
// A setup whose weights, gradients, AdamW moments and reference alone exceed
// the machine's memory is not run, and is reported with that floor.
//   npm run bench -- memory [--json] [--shapes builtin:small,mid-124m,<peer config>] [--r 16] [--memory-gib N]
// Peer configs (e.g. qwen2.5-0.5b-shape) are read from ../shared/bench/configs when present.
import { existsSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { astar } from "../src/algos/index.js";
import type { PromptItem } from "../src/train/prompts.js";
import { addLora, frozenCopy, parameterCount, type DecoderConfig, type DecoderModel } from "../src/models/index.js";
import { createBuiltinModel } from "../src/pretrained/index.js";
import { AdamW } from "../src/nn/index.js";
import type { RewardFn } from "../src/rewards/index.js";
import { memory, resetPeakMemory, Rng } from "../src/tensor/index.js";
import { parseRunConfig, type RunConfig } from "../src/train/config.js";
import { collectRollouts } from "../src/train/rollout.js";
import { updatePolicy } from "../src/train/update.js";
import { sharedBench } from "./lib/peer.js";
import { idTokenizer, peerDecoderConfig, peerModel, readPeerConfig } from "./lib/peer-model.js";
import type { PeerConfig } from "./lib/tiny-decoder.js";
import { Report } from "./report.js";

/** A model shape to train. */
interface Shape {
  name: string;
  config: DecoderConfig;
  make(): DecoderModel;
}

/**
 * The step's workload, the same for every shape: 4 prompts of 64 tokens, one
 * response of 192 tokens each (no end-of-sequence token, so every response
 * runs its full length), all four in one micro-batch of 1024 tokens.
 * Activation memory grows with a micro-batch's tokens; the rest does not.
 */
const WORKLOAD = { prompts: 4, prompt: 64, response: 192, microBatch: 4 };

/** A Llama-style shape between the built-in models and the 0.5B peer shape (124M parameters). */
const MID: PeerConfig = {
  name: "mid-124m", vocab: 32000, d_model: 768, layers: 12, heads: 12, kv_heads: 4, ffn: 2048, rope_theta: 10000, rms_eps: 1e-6,
  tie_embeddings: false, train: { batch: 4, seq: 256 }, generate: { batch: 8, prompt: 64, new_tokens: 32 },
};

function shapeNamed(name: string): Shape {
  if (name === "builtin:small") {
    const probe = createBuiltinModel("small", 0);
    probe.model.dispose();
    return { name, config: probe.config, make: () => createBuiltinModel("small", 0).model };
  }
  const peer = name === MID.name ? MID : readPeerConfig(name);
  return { name, config: peerDecoderConfig(peer), make: () => peerModel(peer, 0) };
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

/** Bytes no step can go below: f32 weights, gradients and two AdamW moments of what trains (16 a parameter), and the bf16 frozen weights. */
function floorBytes(shape: Shape, setup: Setup): number {
  const n = parameterCount(shape.config);
  return setup.lora ? 2 * n : 16 * n + 2 * n;
}

/** The policy a setup trains and its reference: an f32 model and a bf16 copy; or adapters on a bf16 base, and the base. */
function modelsFor(shape: Shape, setup: Setup, r: number): { policy: DecoderModel; reference: DecoderModel } {
  const model = shape.make();
  const base = frozenCopy(model, "bf16");
  if (setup.lora) model.dispose();
  const policy = setup.lora ? addLora(base, { r }, 0) : model;
  policy.gradientCheckpointing = setup.checkpointing;
  return { policy, reference: setup.lora ? policy.withoutAdapters() : base };
}

function promptItem(id: string, ids: number[]): PromptItem {
  return { ids, text: ids.join(" "), example: { id, prompt: "", answer: "", columns: {}, reward: "bench", source: { file: "bench", row: 0 } } };
}

/** Any deterministic reward will do: the step's cost does not depend on it. */
const parityReward: RewardFn = ({ completions }) => completions.map((c) => (c.tokenIds[0] ?? 0) % 2);

interface Measured {
  peak: number;
  trainable: number;
  rollout: number;
  update: number;
}

/** One step to create gradients and AdamW's moments, then the measured step: its peak (everything live counted) and times. */
async function measure(shape: Shape, setup: Setup, r: number): Promise<Measured> {
  const { policy, reference } = modelsFor(shape, setup, r);
  const tokenizer = idTokenizer(shape.config.vocabSize);
  const config: RunConfig = parseRunConfig({
    model: shape.name, batchSize: WORKLOAD.prompts, miniBatchSize: WORKLOAD.prompts, microBatchSize: WORKLOAD.microBatch, lr: 1e-5, maxNewTokens: WORKLOAD.response,
  });
  const optimizer = new AdamW(policy.trainableParameters(), { lr: config.lr, weightDecay: config.weightDecay });
  const rng = new Rng(1);
  const prompts = (count: number, length: number) =>
    Array.from({ length: count }, (_, i) => promptItem(`p${i}`, Array.from({ length }, () => rng.int(shape.config.vocabSize))));
  const step = async (index: number, items: PromptItem[], maxNewTokens: number) => {
    const vHat = new Map(items.map((p) => [p.example.id, 0.5]));
    const start = performance.now();
    const { batch } = await collectRollouts(policy, reference, tokenizer, parityReward, items, vHat, index, {
      samplesPerPrompt: 1, maxNewTokens, temperature: 1, topP: 1, logprobsAtTemperature: true,
      generationBatchSize: items.length, referenceBatchSize: WORKLOAD.microBatch, seed: 0,
    });
    const rolled = performance.now();
    astar.prepare(batch, config, null);
    updatePolicy(policy, tokenizer, optimizer, astar, null, config, batch, index, 1, () => config.lr);
    return { rollout: (rolled - start) / 1000, update: (performance.now() - rolled) / 1000 };
  };
  try {
    await step(0, prompts(1, 4), 2);
    resetPeakMemory();
    const seconds = await step(1, prompts(WORKLOAD.prompts, WORKLOAD.prompt), WORKLOAD.response);
    return { peak: memory().cpu.peak, trainable: optimizer.params.reduce((n, p) => n + p.size, 0), ...seconds };
  } finally {
    optimizer.dispose();
    policy.dispose();
    if (!setup.lora) reference.dispose();
  }
}

interface Options {
  json: boolean;
  shapes: string[];
  r: number;
  memoryBytes: number;
}

function parseOptions(argv: string[]): Options {
  const peers = ["qwen2.5-0.5b-shape", "qwen2.5-1.5b-shape"].filter((name) => existsSync(join(sharedBench, "configs", `${name}.json`)));
  const options: Options = { json: false, shapes: ["builtin:small", ...peers], r: 16, memoryBytes: totalmem() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") options.json = true;
    else if (arg === "--shapes") options.shapes = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (arg === "--r") options.r = Number(argv[++i]);
    else if (arg === "--memory-gib") options.memoryBytes = Number(argv[++i]) * 2 ** 30;
    else throw new Error(`memory: unknown option ${arg} (expected --json, --shapes A,B, --r N, --memory-gib N)`);
  }
  if (!Number.isInteger(options.r) || options.r <= 0) throw new Error(`memory: --r must be a positive integer, got ${options.r}`);
  if (!(options.memoryBytes > 0)) throw new Error("memory: --memory-gib must be a positive number");
  if (options.shapes.length === 0) throw new Error("memory: --shapes names no shape");
  return options;
}

export async function run(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const report = new Report("memory", options.json);
  const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
  for (const name of options.shapes) {
    const shape = shapeNamed(name);
    const workload = `${WORKLOAD.prompts} x ${WORKLOAD.prompt}+${WORKLOAD.response}`;
    const fitting: string[] = [];
    for (const setup of SETUPS) {
      const config = `${shape.name} ${setup.name} (${workload}${setup.lora ? `, r ${options.r}` : ""})`;
      const floor = floorBytes(shape, setup);
      if (floor > options.memoryBytes) {
        // Not run: allocating past the machine's memory would take it from everyone on it.
        report.add("floor_gib", floor / 2 ** 30, "GiB", null, `${config}: does not fit in ${gib(options.memoryBytes)} GiB, not run`);
        continue;
      }
      const m = await measure(shape, setup, options.r);
      report.add("peak_mib", m.peak / 2 ** 20, "MiB", null, config);
      report.add("step_s", m.rollout + m.update, "s", null, config);
      report.add("rollout_s", m.rollout, "s", null, config);
      report.add("update_s", m.update, "s", null, config);
      report.add("trainable_params", m.trainable, "", null, config);
      if (m.peak <= options.memoryBytes) fitting.push(setup.name);
    }
    report.add("setups_that_fit", fitting.length, "", null, `${shape.name} in ${gib(options.memoryBytes)} GiB: ${fitting.join(", ") || "none"}`);
  }
  report.finish();
}
