// Everything a run makes follows the model's device. A second binding of the
// CPU addon stands in for another device: it computes exactly what `cpu`
// does, but any tensor made on the CPU by default would meet the model's in
// an op and be refused. So a model built on it samples, scores, trains with
// A*-PO, PPO and SFT without an error, every tensor it keeps is on it, and
// every number equals the same run's on `cpu`, bit for bit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { astar, ppo, type RolloutBatch } from "../../src/algos/index.js";
import { arithmeticTask, builtinExamples } from "../../src/data/index.js";
import { GenerationEngine, resolveGenerationConfig, SamplingPlan, scoreResponsesNoGrad, type GenerationTokenizer } from "../../src/generate/index.js";
import { frozenCopy, KVCache, type DecoderModel } from "../../src/models/index.js";
import { AdamW } from "../../src/nn/index.js";
import { createBuiltinModel } from "../../src/pretrained/index.js";
import { bindBackend } from "../../src/tensor/backend.js";
import { native } from "../../src/tensor/native.js";
import { backward, cpu, memory, noGrad, scope, sum, tensor, type Backend, type Tensor } from "../../src/tensor/index.js";
import { parseRunConfig } from "../../src/train/config.js";
import { supervisedFineTune } from "../../src/train/sft.js";
import { updatePolicy } from "../../src/train/update.js";

const other = bindBackend("cpu", native);

function assertOn(backend: Backend, tensors: Iterable<Tensor | null>, what: string): void {
  let count = 0;
  for (const t of tensors) {
    assert.ok(t, `${what}: a tensor is missing`);
    assert.equal(t.backend, backend, `${what}: ${t.toString()} is on another backend`);
    count++;
  }
  assert.ok(count > 0, `${what}: nothing to check`);
}

function parametersOf(model: DecoderModel): Float32Array[] {
  return model.parameters().map((p) => p.toFloat32Array());
}

/** Three prompts through one engine: two sharing a prompt, one joining the running batch, prefilled a row per pass. */
function sample(model: DecoderModel, tokenizer: GenerationTokenizer): Array<{ prompt: number[]; tokens: number[]; logprobs: number[] }> {
  const plan = new SamplingPlan(resolveGenerationConfig({ maxNewTokens: 6, temperature: 0.9, topP: 0.95, stopTokenIds: [] }, tokenizer, 1), tokenizer);
  const prompts = ["1+2=", "1+2=", "what is 7*8?"].map((text) => tokenizer.encode(text));
  const engine = new GenerationEngine(model, tokenizer, { maxBatch: 4, prefillTokens: 4 });
  try {
    const first = [engine.submit({ prompt: prompts[0], plan, seed: 1, label: "a" }), engine.submit({ prompt: prompts[1], plan, seed: 2, label: "b" })];
    engine.step();
    const joined = engine.submit({ prompt: prompts[2], plan, seed: 3, label: "c" });
    while (!engine.idle) engine.step();
    return [...first, joined].map((s) => ({ prompt: [...s.prompt], tokens: s.tokens, logprobs: s.logprobs }));
  } finally {
    engine.dispose();
  }
}

/** A rollout batch of the sampled responses, with rewards and the reference's log-probs. */
function rollout(sampled: ReturnType<typeof sample>, reference: DecoderModel, tokenizer: GenerationTokenizer): RolloutBatch {
  const ref = scoreResponsesNoGrad(reference, tokenizer, sampled.map((s) => ({ prompt: s.prompt, response: s.tokens }))).logprobs;
  return {
    groups: 2,
    sequences: sampled.map((s, i) => ({
      group: i < 2 ? 0 : 1, promptId: `p${i < 2 ? 0 : 1}`, promptIds: s.prompt, responseIds: s.tokens, finished: false, text: "",
      sampledLogprobs: Float32Array.from(s.logprobs), reward: i % 2, rawReward: i % 2, refLogprobs: ref[i], vHat: 0.5, fixed: {}, perToken: {},
    })),
  };
}

function run(backend: Backend) {
  const { model, tokenizer } = createBuiltinModel("tiny", 5, backend);
  const reference = frozenCopy(model, "bf16");
  const config = parseRunConfig({ model: "builtin:tiny", batchSize: 2, miniBatchSize: 2, microBatchSize: 2, lr: 1e-3 });
  try {
    assertOn(backend, model.parameters(), "the model's parameters");
    assertOn(backend, reference.parameters(), "the reference's parameters");

    const cache = KVCache.create(model.config, 1, 8, model.backend);
    noGrad(() => scope(() => void model.hidden(tensor(Int32Array.of(3, 4, 5), [1, 3], { backend }), { cache })));
    const joining = KVCache.create(model.config, 2, 6, model.backend);
    cache.append(joining);
    joining.dispose();
    cache.selectRows([2, 0]);
    assertOn(backend, Array.from({ length: model.config.numLayers }, (_, l) => [cache.keys(l), cache.values(l)]).flat(), "the KV cache's buffers");
    cache.dispose();

    const sampled = sample(model, tokenizer);
    const batch = rollout(sampled, reference, tokenizer);

    const policyOptimizer = new AdamW(model.trainableParameters(), { lr: config.lr });
    astar.prepare(batch, config, null);
    const astarStep = updatePolicy(model, tokenizer, policyOptimizer, astar, null, config, batch, 0, 1, () => config.lr);
    assertOn(backend, policyOptimizer.stateDict().tensors.values(), "A*-PO's AdamW moments");
    policyOptimizer.dispose();

    const critic = ppo.createState(model, config, 0);
    const criticGradients = scope(() => {
      backward(sum(critic.values(batch.sequences.map((s) => ({ prompt: s.promptIds, response: s.responseIds })))));
      // The body's lm_head takes no gradient: values read the last hidden state, never the logits.
      assert.ok(critic.head.grad && critic.headBias.grad, "the value head has its gradients");
      const grads = [...critic.namedParameters().values()].flatMap((p) => (p.grad ? [p.grad] : []));
      assertOn(backend, grads, "the critic's gradients");
      return grads.map((g) => g.toFloat32Array());
    });
    const ppoOptimizer = new AdamW([...model.trainableParameters(), ...critic.namedParameters().values()], { lr: config.lr });
    ppoOptimizer.zeroGrad();
    ppo.prepare(batch, config, critic);
    const ppoStep = updatePolicy(model, tokenizer, ppoOptimizer, ppo, critic, config, batch, 1, 1, () => config.lr);
    assertOn(backend, ppoOptimizer.stateDict().tensors.values(), "PPO's AdamW moments");
    ppoOptimizer.dispose();
    critic.dispose();

    const sftLosses: number[] = [];
    const sftOptimizer = supervisedFineTune(model, tokenizer, builtinExamples(arithmeticTask, { config: { digits: 1, steps: 1 }, seed: 2 }),
      { steps: 1, batchSize: 2 }, (s) => sftLosses.push(s.loss));
    assertOn(backend, sftOptimizer.stateDict().tensors.values(), "SFT's AdamW moments");
    sftOptimizer.dispose();

    return { sampled, astarStep, criticGradients, ppoStep, sftLosses, parameters: parametersOf(model) };
  } finally {
    reference.dispose();
    model.dispose();
  }
}

test("a model on a second backend samples, trains with A*-PO, PPO and SFT as on cpu, bit for bit, keeping everything on its backend", () => {
  const live = memory().cpu.live;
  const elsewhere = run(other);
  assert.equal(memory().cpu.live, live, "the run on the second binding freed everything (it shares the addon's counters)");
  const onCpu = run(cpu);
  assert.equal(memory().cpu.live, live, "the run on cpu freed everything");
  assert.ok(elsewhere.sampled.every((s) => s.tokens.length === 6));
  assert.deepEqual(elsewhere, onCpu);
});
