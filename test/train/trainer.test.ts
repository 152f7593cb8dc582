import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { astar, type Algorithm } from "../../src/algos/index.js";
import { loadAdapters, modelFingerprint, readAdapterConfig, SafetensorsFile, type DecoderModel } from "../../src/models/index.js";
import { createBuiltinModel, loadModel, resolveModel } from "../../src/pretrained/index.js";
import { AdamW } from "../../src/nn/index.js";
import { noGrad, scale, scope, sqrt, sum, tensor } from "../../src/tensor/index.js";
import { parseRunConfig, type RunConfig } from "../../src/train/config.js";
import { readMetrics } from "../../src/train/metrics.js";
import { train, TrainingError } from "../../src/train/trainer.js";
import { updatePolicy } from "../../src/train/update.js";
import { rolloutSequence } from "../algos/sequences.js";
import { assertClose } from "../tensor/reference.js";

function logitsOf(model: DecoderModel): Float32Array {
  return noGrad(() => scope(() => model.forward(tensor(Int32Array.from([2, 17, 30, 21, 40, 9]), [1, 6])).toFloat32Array()));
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "astarpo-train-"));
}

/** The shipped arithmetic model on its own task: about half the held-out problems right at the start. */
function config(outputDir: string, overrides: Record<string, unknown>): RunConfig {
  return parseRunConfig({
    model: "builtin:arithmetic", knobs: { digits: 1, steps: 2 }, outputDir, name: "run", evalEvery: 0, saveEvery: 0, ...overrides,
  });
}

test("A*-PO end to end: stage 1, then a short stage 2 raises held-out accuracy", async () => {
  const dir = tempDir();
  try {
    const c = config(dir, { trainSize: 384, evalSize: 200, numValueSamples: 4, batchSize: 64, miniBatchSize: 64, epochs: 3, lr: 1e-4 });
    const result = await train(c);
    const before = result.evals[0].result.accuracy, after = result.evals.at(-1)!.result.accuracy;
    // A wrong sign or a broken gradient drives accuracy down; learning lifts it by about 5 points here.
    // Counted in problems, since 0.59 - 0.56 falls a hair short of 0.03 in floating point.
    assert.ok(Math.round((after - before) * 200) >= 6, `held-out accuracy ${before} -> ${after}: fewer than 6 of 200 problems gained`);
    assert.equal(result.steps, 12);

    const records = readMetrics(join(result.runDir, "metrics.jsonl"));
    assert.deepEqual(records.map((r) => r.step), [0, ...Array.from({ length: 12 }, (_, i) => i + 1)]);
    for (const key of ["reward", "v_star", "advantage", "implicit_reward", "loss", "kl", "entropy", "grad_norm", "lr", "completions/mean_length",
      "completions/max_length", "completions/clipped_ratio", "rewards/arithmetic/mean", "rewards/arithmetic/std", "rollouts_s", "sample_s", "reward_s", "reference_s", "train_s", "tokens_per_s", "peak_memory_bytes",
      "logprob_diff_max", "logprob_diff_mean", "wall_s", "cost_s"]) {
      assert.equal(typeof records[1][key], "number", `metrics lack ${key}`);
    }
    // Training's cost starts at stage 1's, grows with every step and leaves evaluation out, which wall_s counts.
    assert.ok((records[0].cost_s as number) > 0, `stage 1 cost ${records[0].cost_s}`);
    for (let i = 1; i < records.length; i++) assert.ok((records[i].cost_s as number) > (records[i - 1].cost_s as number), `cost_s at step ${i}`);
    assert.ok((records.at(-1)!.cost_s as number) < (records.at(-1)!.wall_s as number), "cost_s counts evaluation");
    // The reference is a bf16 copy of a bf16 checkpoint: before the first update the policy's training forward and the
    // reference pass compute the same log-probs bit for bit (one update per step here, so step 1's ratios are all pre-update).
    assert.equal(records[1].implicit_reward, 0);
    assert.ok(Math.abs(records[1].kl as number) < 1e-5, `KL at the first step: ${records[1].kl}`);
    assert.ok((records[1].logprob_diff_max as number) < 1e-4, `sampler and trainer disagree by ${records[1].logprob_diff_max}`);
    assert.ok((records.at(-1)!.kl as number) > 0, "training moved the policy away from the reference");

    assert.ok(existsSync(join(result.runDir, "values", "samples.jsonl")), "stage 1 ran into the run folder");
    // As TRL's A*-PO trainer, stage 1 also gave the held-out prompts a V-hat, and evaluations report the regression's terms.
    assert.ok(existsSync(join(result.runDir, "values-held-out", "samples.jsonl")), "stage 1 for the held-out prompts");
    for (const record of [records[0], records.at(-1)!]) {
      for (const key of ["eval_reward", "eval_v_star", "eval_advantage", "eval_implicit_reward", "eval_loss"]) assert.equal(typeof record[key], "number", `step ${record.step} lacks ${key}`);
    }
    assert.ok(Math.abs(records[0].eval_implicit_reward as number) < 1e-6, `the starting policy is the reference: ${records[0].eval_implicit_reward}`);
    assert.ok(Math.abs((records[0].eval_advantage as number) - ((records[0].eval_reward as number) - (records[0].eval_v_star as number))) < 1e-9);
    assert.deepEqual(readdirSync(join(result.runDir, "checkpoints")), ["step-000012"]);
    const saved = await loadModel(result.modelDir);
    assert.equal(saved.config.architecture, "LlamaForCausalLM");
    saved.model.dispose();
    await assert.rejects(train(c), /already holds a run; resume it with --resume/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("A*-PO with LoRA: stage 1 from the base, adapters on it raise held-out accuracy; the run saves the adapters and the merged model", async () => {
  const dir = tempDir();
  try {
    // LoRA wants a learning rate about 10x that of full fine-tuning.
    const c = config(dir, { lora: true, trainSize: 384, evalSize: 200, numValueSamples: 4, batchSize: 64, miniBatchSize: 64, epochs: 2, lr: 2e-3 });
    const result = await train(c);
    const before = result.evals[0].result.accuracy, after = result.evals.at(-1)!.result.accuracy;
    // Learning lifts it by about 4 points here.
    assert.ok(after >= before + 0.03, `held-out accuracy ${before} -> ${after}`);
    const records = readMetrics(join(result.runDir, "metrics.jsonl"));
    assert.ok(Math.abs(records[1].kl as number) < 1e-5, `the reference is the policy with its fresh adapters off: KL ${records[1].kl}`);

    // Stage 1 sampled from the base: its fingerprint is the one `astarpo values` without LoRA records.
    const base = await resolveModel("builtin:arithmetic");
    try {
      assert.equal(JSON.parse(readFileSync(join(result.runDir, "values", "meta.json"), "utf8")).modelFingerprint, modelFingerprint(base.model));
      // Checkpoints hold the adapters alone; the run's model folder is the base with them folded in.
      assert.deepEqual(readdirSync(join(result.runDir, "checkpoints", "step-000008")).sort(), ["adapter", "optimizer.safetensors", "trainer_state.json"]);
      assert.equal(result.adapterDir, join(result.runDir, "adapter"));
      assert.equal(readAdapterConfig(result.adapterDir!).r, 16);
      const merged = (await loadModel(result.modelDir)).model;
      try {
        loadAdapters(result.adapterDir!, base.model);
        assertClose(logitsOf(merged), logitsOf(base.model), 1e-4, 1e-5, "the merged model against the base with the adapters");
      } finally {
        merged.dispose();
      }
    } finally {
      base.model.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Stops a run after step 3 and resumes it (with gradient checkpointing
 * on for the first part only); returns the losses of every step of both runs.
 */
async function interruptedAndWhole(dir: string, overrides: Record<string, unknown>): Promise<{ whole: unknown[]; parts: unknown[]; partsDir: string }> {
  const base = { trainSize: 64, evalSize: 8, evalKl: false, numValueSamples: 2, batchSize: 16, miniBatchSize: 8, microBatchSize: 4, epochs: 2, lr: 1e-4, ...overrides };
  const losses = (runDir: string) => readMetrics(join(runDir, "metrics.jsonl")).filter((r) => (r.step as number) > 0).map((r) => r.loss);
  const whole = await train(config(dir, { ...base, name: "whole" }));
  const values = join(whole.runDir, "values");
  const stopper = new AbortController();
  const parts = config(dir, { ...base, name: "parts", values: existsSync(values) ? values : undefined, gradientCheckpointing: true });
  const first = await train(parts, { signal: stopper.signal, onStep: (r) => { if (r.step === 3) stopper.abort(); } });
  assert.equal(first.stopped, true);
  assert.equal(first.steps, 3);
  assert.deepEqual(readdirSync(join(first.runDir, "checkpoints")), ["step-000003"]);
  await assert.rejects(train({ ...parts, lr: 0.5 }, { resume: true }), new RegExp(`started with lr = ${parts.lr}, not 0.5`));
  // Checkpointing changes memory, not results: a resumed run may switch it.
  const rest = await train({ ...parts, gradientCheckpointing: false }, { resume: true });
  assert.equal(rest.steps, whole.steps);
  return { whole: losses(whole.runDir), parts: losses(rest.runDir), partsDir: rest.runDir };
}

test("gradient checkpointing and a stop and resume leave every loss of an uninterrupted run unchanged", async () => {
  const dir = tempDir();
  try {
    const { whole, parts } = await interruptedAndWhole(dir, {});
    assert.deepEqual(parts, whole);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("with LoRA (dropout on), gradient checkpointing and a stop and resume leave every loss unchanged: A*-PO, and PPO with its LoRA critic", async () => {
  for (const [algo, extra] of [["astar", {}], ["ppo", { trainSize: 32, numPpoEpochs: 2 }]] as const) {
    const dir = tempDir();
    try {
      const { whole, parts, partsDir } = await interruptedAndWhole(dir, { algo, lora: true, loraR: 4, loraDropout: 0.1, lr: 1e-3, ...extra });
      assert.deepEqual(parts, whole, algo);
      if (algo === "ppo") {
        // The critic's checkpoint holds what trains, its adapters and head, not a copy of the frozen base.
        const file = SafetensorsFile.open(join(partsDir, "checkpoints", "step-000004", "algorithm", "critic.safetensors"));
        try {
          assert.ok([...file.tensors.keys()].every((name) => /lora_[AB]\.weight$|^critic\.score\./.test(name)), [...file.tensors.keys()].join(", "));
        } finally {
          file.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("GRPO (with its KL term) and REBEL train with LoRA too, and save their adapters", async () => {
  const dir = tempDir();
  try {
    for (const [algo, extra] of [["grpo", { beta: 0.01, numGenerations: 2 }], ["rebel", {}]] as const) {
      const result = await train(config(dir, { name: algo, algo, lora: true, trainSize: 16, evalSize: 8, batchSize: 8, miniBatchSize: 8, maxSteps: 2, lr: 1e-3, ...extra }));
      const records = readMetrics(join(result.runDir, "metrics.jsonl"));
      assert.ok(records.slice(1).every((r) => Number.isFinite(r.loss) && (r.grad_norm as number) > 0), algo);
      assert.ok(existsSync(join(result.adapterDir!, "adapter_model.safetensors")), algo);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad input stops a run with an error that names it: a dataset without answers, values from another model", async () => {
  const dir = tempDir();
  try {
    const data = join(dir, "questions.jsonl");
    writeFileSync(data, `${JSON.stringify({ question: "What is 2 + 3?" })}\n`);
    await assert.rejects(train(parseRunConfig({ model: "builtin:tiny", task: "gsm8k", data, outputDir: dir, name: "noanswers" })),
      /questions\.jsonl:1.*answer/);
    const small = await train(config(dir, { name: "small", trainSize: 16, evalSize: 0, numValueSamples: 2, batchSize: 8, miniBatchSize: 8, maxSteps: 1 }));
    await assert.rejects(train(parseRunConfig({ model: "builtin:tiny", outputDir: dir, name: "other", values: join(small.runDir, "values") })),
      (e: Error) => /sampled from builtin:arithmetic \(fingerprint [0-9a-f]{16}\), not from this run's reference builtin:tiny/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** An algorithm whose loss is broken on purpose, to check what the update does with it. */
function brokenAlgorithm(loss: Algorithm["loss"]): Algorithm {
  return { ...astar, name: "broken", options: z.object({}), prepare: () => ({}), loss } as unknown as Algorithm;
}

test("a loss or gradient that is not finite stops the update before any weight changes, saying where", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 0);
  const optimizer = new AdamW(model.parameters(), { lr: 1 });
  const before = model.namedParameters().get("lm_head.weight")!.toFloat32Array();
  const c = parseRunConfig({ model: "builtin:tiny", miniBatchSize: 1, batchSize: 2, microBatchSize: 1 });
  const sequence = (group: number) => rolloutSequence({ group, promptId: `p${group}`, promptIds: [5, 6], responseIds: [7, 8] });
  const batch = { sequences: [sequence(0), sequence(1)], groups: 2 };
  try {
    const nanLoss = brokenAlgorithm(({ logprobs }) => ({ loss: scale(sum(logprobs), Number.NaN), metrics: {} }));
    assert.throws(() => updatePolicy(model, tokenizer, optimizer, nanLoss, null, c, batch, 4, 1, () => 1),
      (e: Error) => e instanceof TrainingError && e.message === "step 5, update 1, micro-batch 1: the loss is NaN");
    // sqrt at 0 has an infinite slope: a finite loss whose gradient is not.
    const infiniteGradient = brokenAlgorithm(({ logprobs }) => ({ loss: sum(sqrt(scale(logprobs, 0))), metrics: {} }));
    assert.throws(() => updatePolicy(model, tokenizer, optimizer, infiniteGradient, null, c, batch, 0, 1, () => 1),
      /step 1, update 1: the gradient of model\.\S+ is not finite/);
    assert.equal(optimizer.step, 0);
    assert.deepEqual(model.namedParameters().get("lm_head.weight")!.toFloat32Array(), before);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
});
