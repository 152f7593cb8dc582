// The generation engine step by step: sequences join a running batch and
// sample what they would alone, rows free up as sequences finish or are
// cancelled, the batch never passes its bound, the most likely tokens are
// kept on request, a prefill in several passes samples what one pass does,
// and everything is freed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GenerationEngine, resolveGenerationConfig, SamplingPlan, type GenerationConfig, type GenerationTokenizer } from "../../src/generate/index.js";
import { createBuiltinModel } from "../../src/pretrained/index.js";
import { memory, resetPeakMemory } from "../../src/tensor/index.js";

function plan(config: GenerationConfig, tokenizer: GenerationTokenizer): SamplingPlan {
  return new SamplingPlan(resolveGenerationConfig(config, tokenizer, 1), tokenizer);
}

function runToEnd(engine: GenerationEngine): number {
  let steps = 0;
  for (; !engine.idle; steps++) engine.step();
  return steps;
}

test("a sequence samples the same tokens and log-probs alone or joined to a running batch of other settings", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 4);
  const live = memory().cpu.live;
  try {
    const mine = plan({ maxNewTokens: 16, temperature: 0.8, topP: 0.9, stopTokenIds: [] }, tokenizer);
    const others = [plan({ maxNewTokens: 30, stopTokenIds: [] }, tokenizer), plan({ maxNewTokens: 9, greedy: true, stopTokenIds: [] }, tokenizer)];
    const request = { prompt: tokenizer.encode("What is 12*7?"), plan: mine, seed: 11, topLogprobs: 3, label: "mine" };

    const aloneEngine = new GenerationEngine(model, tokenizer, { maxBatch: 4 });
    const alone = aloneEngine.submit(request);
    runToEnd(aloneEngine);
    aloneEngine.dispose();

    const engine = new GenerationEngine(model, tokenizer, { maxBatch: 4 });
    const first = engine.submit({ prompt: tokenizer.encode("a longer prompt than the others"), plan: others[0], seed: 1, label: "first" });
    engine.submit({ prompt: tokenizer.encode("2+2="), plan: others[1], seed: 2, label: "second" });
    for (let i = 0; i < 5; i++) engine.step();
    const joined = engine.submit(request);
    const stepped = engine.step();
    assert.ok(stepped.includes(first) && stepped.includes(joined), "the running sequences and the one that joined each sampled a token");
    assert.equal(engine.liveCount, 3);
    runToEnd(engine);
    engine.dispose();

    assert.equal(alone.tokens.length, 16);
    assert.deepEqual(joined.tokens, alone.tokens);
    assert.deepEqual(joined.logprobs, alone.logprobs);
    assert.deepEqual(joined.topLogprobs, alone.topLogprobs);
    assert.equal(memory().cpu.live, live, "the engine frees everything it allocates");
  } finally {
    model.dispose();
  }
});

test("prompts prefilled a few at a time sample what one pass samples, and a pass holds fewer activations", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 6);
  const live = memory().cpu.live;
  try {
    const sampling = plan({ maxNewTokens: 8, temperature: 0.9, stopTokenIds: [] }, tokenizer);
    const prompts = ["What is 12*7?", "2+2=", "a longer prompt than the others, padded", "x", "Name a prime.", "7-3="].map((t) => tokenizer.encode(t));
    const run = (prefillTokens: number) => {
      const engine = new GenerationEngine(model, tokenizer, { maxBatch: 8, prefillTokens });
      // Two rows share a prompt: their shared prefill is split like the others.
      const sequences = [...prompts, prompts[1]].map((prompt, i) => engine.submit({ prompt, plan: sampling, seed: 100 + i, topLogprobs: 2, label: `p${i}` }));
      resetPeakMemory();
      runToEnd(engine);
      const peak = memory().cpu.peak - live;
      engine.dispose();
      return { sequences, peak };
    };
    const onePass = run(4096);
    const width = Math.max(...prompts.map((p) => p.length));
    const split = run(2 * width);
    assert.ok(onePass.sequences.every((s) => s.tokens.length === 8));
    split.sequences.forEach((s, i) => {
      assert.deepEqual(s.tokens, onePass.sequences[i].tokens, `tokens of ${s.label}`);
      assert.deepEqual(s.logprobs, onePass.sequences[i].logprobs, `log-probs of ${s.label}`);
      assert.deepEqual(s.topLogprobs, onePass.sequences[i].topLogprobs, `top tokens of ${s.label}`);
    });
    assert.ok(split.peak < onePass.peak, `peak ${split.peak} B in passes of two prompts against ${onePass.peak} B in one`);
    assert.equal(memory().cpu.live, live, "the engine frees everything it allocates");
    assert.throws(() => new GenerationEngine(model, tokenizer, { maxBatch: 2, prefillTokens: 0 }), /prefillTokens must be a positive integer, got 0/);
  } finally {
    model.dispose();
  }
});

test("waiting sequences take the rows that finished or cancelled ones free; the batch never passes its bound", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 5);
  const live = memory().cpu.live;
  try {
    const engine = new GenerationEngine(model, tokenizer, { maxBatch: 2 });
    const short = plan({ maxNewTokens: 2, stopTokenIds: [] }, tokenizer), long = plan({ maxNewTokens: 6, stopTokenIds: [] }, tokenizer);
    const a = engine.submit({ prompt: [1, 40], plan: short, seed: 1, label: "a" });
    const b = engine.submit({ prompt: [1, 41], plan: long, seed: 2, label: "b" });
    const c = engine.submit({ prompt: [1, 42], plan: long, seed: 3, label: "c" });
    const d = engine.submit({ prompt: [1, 43], plan: long, seed: 4, label: "d" });
    assert.deepEqual(engine.step(), [a, b]);
    assert.equal(engine.waitingCount, 2);
    assert.deepEqual(engine.step(), [a, b, c], "a takes its last token and c joins in the row it freed");
    assert.equal(a.finish, "length");
    assert.equal(engine.liveCount, 2);
    engine.cancel(b);
    assert.deepEqual(engine.step(), [c, d], "d joins in the row b freed");
    assert.equal(b.finish, null);
    engine.cancel(d);
    runToEnd(engine);
    assert.deepEqual([a, b, c, d].map((s) => s.tokens.length), [2, 2, 6, 1]);
    assert.equal(c.finish, "length");
    engine.dispose();
    assert.equal(memory().cpu.live, live);
  } finally {
    model.dispose();
  }
});

test("the most likely tokens come most likely first; greedy draws the first of them with its log-prob", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 6);
  try {
    const engine = new GenerationEngine(model, tokenizer, { maxBatch: 1 });
    const s = engine.submit({ prompt: tokenizer.encode("x"), plan: plan({ maxNewTokens: 5, greedy: true, stopTokenIds: [] }, tokenizer), seed: 0, topLogprobs: 4, label: "s" });
    runToEnd(engine);
    engine.dispose();
    assert.equal(s.topLogprobs.length, 5);
    s.topLogprobs.forEach((top, i) => {
      assert.equal(top.length, 4);
      for (let k = 1; k < top.length; k++) assert.ok(top[k - 1].logprob >= top[k].logprob);
      assert.equal(top[0].id, s.tokens[i]);
      assert.ok(Math.abs(top[0].logprob - s.logprobs[i]) < 1e-5, `${top[0].logprob} vs ${s.logprobs[i]}`);
    });
  } finally {
    model.dispose();
  }
});

test("a response's text keeps its stop string, or ends before it as servers return it", () => {
  const { tokenizer } = createBuiltinModel("tiny", 0);
  const stops = plan({ stopStrings: ["=", "2+"], stopTokenIds: [] }, tokenizer);
  const tokens = tokenizer.encode("12+2=5", { addSpecialTokens: false });
  assert.equal(stops.responseText(tokens, "stop"), "12+");
  assert.equal(stops.responseText(tokens, "stop", false), "1");
  assert.equal(plan({ stopTokenIds: [] }, tokenizer).responseText(tokens, "length", false), "12+2=5");
});
