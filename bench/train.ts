// The training part of an A*-PO stage-2 step on a peer benchmark shape,
// against PyTorch's training step (../shared/bench/torch_peer.py) measured in
// the same run: the real decoder of the model layer with random weights,
// forward with gradients over the peer's batch (each sequence a prompt and a
// response, seq tokens in all), the A*-PO least-squares loss, backward,
// global-norm clipping and AdamW.
//   train_step_ms            median step time; the peer's train_step_ms beside it
//   train_floor_fraction     the step's compute floor (its FLOPs at the measured
//                            FMA peak of all threads) over its time
//   train_step_cpu_ms        median CPU time of a step, all threads
//   train_floor_fraction_cpu its FLOPs at the FMA peak per CPU second over its
//                            CPU time: on a machine other processes share, the
//                            wall-time peak and step time each depend on what
//                            the scheduler gave this process at that moment
//   train_phase_ms           forward, backward, clip + AdamW
//   reference_ms             the frozen bf16 reference's no-grad pass over the same batch
//   stage2_sample_ms         one response per prompt from the policy (the rollout of a step)
//   peak_memory_bytes        the stage-2 step's peak: policy weights, gradients, AdamW state,
//                            the bf16 reference and activations
//   stage1_responses_per_s   stage 1: N = 8 responses to each of a few prompts from the bf16
//   stage1_tokens_per_s      reference, the prompt prefilled once and shared
//   npm run bench -- train [--json] [--no-peer] [--config NAME] [--steps N] [--prompt N]
import { native } from "../src/tensor/native.js";
import { generate, scoreResponsesNoGrad, type GenerationTokenizer, type ScoredBatch } from "../src/generate/index.js";
import { frozenCopy, type DecoderModel } from "../src/models/index.js";
import { AdamW } from "../src/nn/index.js";
import { maskedSum, mean, memory, resetPeakMemory, Rng, scale, square, sub, tensor, type Tensor } from "../src/tensor/index.js";
import { idTokenizer, peerModel, readPeerConfig } from "./lib/peer-model.js";
import { cpuClock, fmaPeak } from "./lib/timing.js";
import { runTorchPeer } from "./lib/peer.js";
import { policyStep, type PolicyStepTimes } from "./lib/policy-step.js";
import type { PeerConfig } from "./lib/tiny-decoder.js";
import { Report } from "./report.js";

interface Options {
  json: boolean;
  peer: boolean;
  config: string;
  /** Timed steps (after two untimed): ours, and the peer's --steps. */
  steps: number;
  /** Prompt tokens of each sequence; the response has the rest of the peer's seq. */
  prompt: number | null;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { json: false, peer: true, config: "qwen2.5-0.5b-shape", steps: 3, prompt: null };
  const count = (flag: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`train: ${flag} takes an integer >= ${min}, got ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") options.json = true;
    else if (arg === "--no-peer") options.peer = false;
    else if (arg === "--config") options.config = argv[++i] ?? "";
    else if (arg === "--steps") options.steps = count(arg, argv[++i], 1);
    else if (arg === "--prompt") options.prompt = count(arg, argv[++i], 1);
    else throw new Error(`train: unknown option ${arg} (expected --json, --no-peer, --config NAME, --steps N, --prompt N)`);
  }
  return options;
}

// A*-PO's KL weight (docs/astar-po.md) and the step's constants: what the
// reference pass and stage 1 would have produced.
const beta2 = 1e-3;
const rewardOf = (i: number) => i % 2;
const vStar = 0.5;
const refLogprob = -11;

/** mean over sequences of (beta2 * (sum_t logp - sum_t ref_logp) - (r - V*))^2. */
function aStarLoss(scored: ScoredBatch): Tensor {
  const [B] = scored.logprobs.shape;
  const refSums = scored.responseLengths.map((n) => n * refLogprob);
  const logRatio = sub(maskedSum(scored.logprobs, scored.mask), tensor(refSums, [B]));
  const advantage = tensor(Array.from({ length: B }, (_, i) => rewardOf(i) - vStar), [B]);
  return mean(square(sub(scale(logRatio, beta2), advantage)));
}

/**
 * Multiply-adds x 2 of the step's products, forward and backward (6 FLOPs per
 * weight and token, as the usual estimate), attention included: `rows` token
 * positions through the layers, `scored` of them through the vocabulary.
 */
function stepFlops(c: PeerConfig, rows: number, scored: number, seqLen: number, sequences: number): number {
  const headDim = c.d_model / c.heads;
  const layerWeights = c.d_model * (c.heads + 2 * c.kv_heads) * headDim + c.heads * headDim * c.d_model + 3 * c.d_model * c.ffn;
  // causal scores and weighted values: seqLen^2 / 2 pairs per head, 2 products, 3x for backward
  const attention = 3 * 2 * 2 * (seqLen * (seqLen + 1) / 2) * headDim * c.heads * sequences * c.layers;
  return 6 * rows * layerWeights * c.layers + 6 * scored * c.vocab * c.d_model + attention;
}

/** Stage 1's workload: N = 8 responses to each prompt from the frozen reference, sharing each prompt's prefill. */
function benchStageOne(report: Report, reference: DecoderModel, tokenizer: GenerationTokenizer, c: PeerConfig, promptLength: number): void {
  const N = 8, prompts = 2, newTokens = 32;
  const rng = new Rng(2);
  const ids = Array.from({ length: prompts }, () => Array.from({ length: promptLength }, () => rng.int(c.vocab)));
  const started = performance.now();
  const sequences = generate(reference, tokenizer, ids.flatMap((p) => Array.from({ length: N }, () => p)), { maxNewTokens: newTokens, batchSize: N * prompts });
  const seconds = (performance.now() - started) / 1000;
  const label = `${c.name}, bf16, ${prompts} prompts x N = ${N}, ${promptLength} + ${newTokens} tokens`;
  report.add("stage1_responses_per_s", sequences.length / seconds, "responses/s", null, label);
  report.add("stage1_tokens_per_s", sequences.reduce((n, s) => n + s.tokenIds.length, 0) / seconds, "tokens/s", null, label);
}

export async function run(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const report = new Report("train", options.json);
  const c = readPeerConfig(options.config);
  const { batch: sequences, seq } = c.train;
  const promptLength = options.prompt ?? seq / 2;
  if (promptLength >= seq) throw new Error(`train: --prompt ${promptLength} leaves no response in a sequence of ${seq}`);
  const responseLength = seq - promptLength;
  const label = `${c.name}, ${sequences} x (${promptLength} prompt + ${responseLength} response)`;

  // The peer first, so that two models are never held at once.
  const peer = options.peer ? runTorchPeer(c.name, ["--steps", String(options.steps)]) : null;
  // The wall-time peak is the best of three bursts (others' processes only lower it);
  // per CPU second, the median (a burst that straddles a descheduling can overstate it).
  const peaks = [0, 1, 2].map(() => fmaPeak());
  const peak = Math.max(...peaks.map((p) => p.perWallSecond));
  const cpuPeak = peaks.map((p) => p.perCpuSecond).sort((a, b) => a - b)[1];
  const threads = `${native.isaName()}, ${native.threads()} threads`;
  report.add("peak_gflops", peak, "GFLOP/s", null, threads);
  report.add("peak_gflops", cpuPeak, "GFLOP/s", null, `${threads}, per CPU second`);

  const rng = new Rng(1);
  const batch = Array.from({ length: sequences }, () => ({
    prompt: Array.from({ length: promptLength }, () => rng.int(c.vocab)),
    response: Array.from({ length: responseLength }, () => rng.int(c.vocab)),
  }));
  const model = peerModel(c, 0);
  const tokenizer = idTokenizer(c.vocab);
  const optimizer = new AdamW(model.parameters(), { lr: 1e-6 });
  // A*-PO's reference: a frozen copy in bf16, as a bf16 release is held.
  const reference = frozenCopy(model, "bf16");
  try {
    // Untimed: the first step creates the AdamW state, the second is the first
    // to reuse the allocator's cached blocks (its first touch of them is slow).
    for (let i = 0; i < 2; i++) policyStep(model, tokenizer, optimizer, batch, aStarLoss);
    resetPeakMemory();
    const steps: Array<PolicyStepTimes & { cpu: number; reference: number; sample: number }> = [];
    for (let i = 0; i < options.steps; i++) {
      const sampleStart = performance.now();
      generate(model, tokenizer, batch.map((b) => b.prompt), { maxNewTokens: responseLength, seeds: batch.map((_, j) => i * sequences + j) });
      const referenceStart = performance.now();
      scoreResponsesNoGrad(reference, tokenizer, batch, { batchSize: sequences });
      const referenceEnd = performance.now();
      const cpu = cpuClock();
      const times = policyStep(model, tokenizer, optimizer, batch, aStarLoss);
      steps.push({ ...times, cpu: cpuClock() - cpu, reference: (referenceEnd - referenceStart) / 1000, sample: (referenceStart - sampleStart) / 1000 });
    }
    const median = (pick: (s: (typeof steps)[number]) => number) => steps.map(pick).sort((a, b) => a - b)[steps.length >> 1];
    const total = median((s) => s.forward + s.backward + s.optimizer), cpu = median((s) => s.cpu);
    report.add("train_step_ms", total * 1e3, "ms", peer?.train_step_ms ?? null, label);
    const flops = stepFlops(c, sequences * (seq - 1), sequences * responseLength, seq - 1, sequences);
    const tflop = `${(flops / 1e12).toFixed(3)} TFLOP`;
    report.add("train_floor_fraction", flops / (peak * 1e9) / total, "", null, `${label}: ${tflop} at ${peak.toFixed(0)} GFLOP/s`);
    report.add("train_step_cpu_ms", cpu * 1e3, "ms", null, label);
    report.add("train_floor_fraction_cpu", flops / (cpuPeak * 1e9) / cpu, "", null, `${label}: ${tflop} at ${cpuPeak.toFixed(0)} GFLOP/s per CPU second`);
    for (const phase of ["forward", "backward", "optimizer"] as const) {
      report.add("train_phase_ms", median((s) => s[phase]) * 1e3, "ms", null, `${c.name}, ${phase}${phase === "optimizer" ? " (clip + AdamW)" : ""}`);
    }
    report.add("reference_ms", median((s) => s.reference) * 1e3, "ms", null, `${label}, bf16 weights`);
    report.add("stage2_sample_ms", median((s) => s.sample) * 1e3, "ms", null, `${c.name}, ${sequences} x ${responseLength} new tokens`);
    report.add("peak_memory_bytes", memory().cpu.peak, "B", null, `${c.name}, a stage-2 step: policy, gradients, AdamW state and the bf16 reference`);
    benchStageOne(report, reference, tokenizer, c, promptLength);
  } finally {
    model.dispose();
    reference.dispose();
    optimizer.dispose();
  }
  report.finish();
}
