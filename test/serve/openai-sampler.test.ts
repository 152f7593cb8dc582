// Sampling through an OpenAI-compatible server: through astarpo serve it
// gives exactly what the local sampler gives, and against a server that
// fails for a while and returns no token ids it retries, then re-encodes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { localSampler, type SamplePrompt } from "../../src/generate/index.js";
import { createBuiltinModel } from "../../src/pretrained/index.js";
import { createServer, openaiSampler } from "../../src/serve/index.js";

test("stage 1 through astarpo serve samples the same tokens and text as the local sampler, and its log-probs", async () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 0);
  const server = createServer({ model, tokenizer, name: "builtin:tiny", maxBatch: 8 });
  try {
    const url = await server.listen("127.0.0.1", 0);
    // Four samples of each of three prompts, as stage 1 asks; four requests in flight batch together on the server.
    const prompts: SamplePrompt[] = ["2+2=", "What is 12*7?", "Count: 1 2 3"].flatMap((text) => new Array(4).fill({ text, ids: tokenizer.encode(text) }));
    const config = { maxNewTokens: 24, temperature: 0.9, topP: 0.95, seed: 5, stopStrings: ["7"] };
    const progress: number[] = [];
    const remote = await openaiSampler({ baseUrl: `${url}/v1`, model: "builtin:tiny", tokenizer, concurrency: 4 })
      .sample(prompts, { ...config, onProgress: (p) => progress.push(p.finishedSequences) });
    const local = await localSampler(model, tokenizer, "builtin:tiny").sample(prompts, config);
    // Tokens exactly; log-probs to rounding, since left padding to another batch's width moves the kernels' sums.
    const withoutLogprobs = (s: { logprobs: number[] }) => ({ ...s, logprobs: s.logprobs.length });
    assert.deepEqual(remote.map(withoutLogprobs), local.map(withoutLogprobs));
    remote.forEach((s, i) => s.logprobs.forEach((lp, t) => assert.ok(Math.abs(lp - local[i].logprobs[t]) < 1e-5, `sequence ${i} token ${t}: ${lp} vs ${local[i].logprobs[t]}`)));
    assert.ok(local.some((s) => s.finishReason === "stop") && local.some((s) => s.finishReason === "length"), "both ends are exercised");
    assert.deepEqual(progress, prompts.map((_, i) => i + 1));
  } finally {
    await server.shutdown(0);
    model.dispose();
  }
});

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of request) text += chunk;
  return JSON.parse(text);
}

test("answers of 429 and 503 are retried with backoff; text without token ids is re-encoded and marked", async () => {
  const { tokenizer } = createBuiltinModel("tiny", 0);
  const bodies: Array<Record<string, unknown>> = [];
  let calls = 0;
  const fake = createHttpServer(async (request, response) => {
    const body = await readBody(request);
    calls++;
    if (calls <= 2) {
      response.writeHead(calls === 1 ? 429 : 503, { "content-type": "application/json", "retry-after-ms": "10" });
      response.end(JSON.stringify({ error: { message: "busy", type: "server_error", param: null, code: null } }));
      return;
    }
    bodies.push(body);
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({
      id: "cmpl-1", object: "text_completion", created: 0, model: "m",
      choices: [{ index: 0, text: "abc", finish_reason: "length", logprobs: { tokens: ["a", "b", "c"], token_logprobs: [-1, -2, -3] } }],
    }));
  });
  await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = fake.address() as AddressInfo;
    const sampler = openaiSampler({ baseUrl: `http://127.0.0.1:${port}/v1`, model: "m", tokenizer, maxRetries: 3 });
    const [sequence] = await sampler.sample([{ text: "q", ids: [1, 2] }], { maxNewTokens: 3, seeds: [42], stopTokenIds: [5] });
    assert.equal(calls, 3);
    assert.deepEqual(sequence.tokenIds, tokenizer.encode("abc", { addSpecialTokens: false }));
    assert.equal(sequence.retokenized, true);
    assert.deepEqual(sequence.logprobs, [-1, -2, -3]);
    assert.equal(sequence.finishReason, "length");
    assert.deepEqual(sequence.promptTokenIds, [1, 2]);
    assert.deepEqual(
      [bodies[0].prompt, bodies[0].seed, bodies[0].n, bodies[0].max_tokens, bodies[0].stop_token_ids, bodies[0].ignore_eos, bodies[0].return_token_ids],
      [[1, 2], 42, 1, 3, [5], true, true],
    );
    // Filters that are off are sent as off, so a server's own defaults (vLLM reads the model's generation_config.json) cannot turn them on.
    assert.deepEqual([bodies[0].top_k, bodies[0].min_p, bodies[0].repetition_penalty], [-1, 0, 1]);
    // Caches record the server a sampler draws from, without credentials.
    assert.equal(sampler.source, `m at http://127.0.0.1:${port}/v1`);
    assert.equal(openaiSampler({ baseUrl: `http://user:secret@127.0.0.1:${port}/v1/`, model: "m", tokenizer }).source, `m at http://127.0.0.1:${port}/v1`);

    const failing = openaiSampler({ baseUrl: `http://127.0.0.1:${port}/v1`, model: "m", tokenizer, maxRetries: 1 });
    calls = 0;
    await assert.rejects(failing.sample([{ text: "q", ids: [1] }], {}), /openai sampler: http:\/\/127\.0\.0\.1:\d+\/v1, sequence 0: 503/);
  } finally {
    await new Promise((resolve) => fake.close(resolve));
  }
});
