// astarpo serve through the official openai client over loopback: the
// endpoints and their fields, streaming, the token-id extension, health
// answered while a batch decodes, bad requests, a full queue, the request
// timeout, and shutting down with requests in flight.
import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { generate } from "../../src/generate/index.js";
import { createBuiltinModel } from "../../src/pretrained/index.js";
import { createServer, type ServerOptions } from "../../src/serve/index.js";

const NAME = "builtin:tiny";

async function withServer(options: Partial<ServerOptions>, body: (url: string, client: OpenAI, server: ReturnType<typeof createServer>) => Promise<void>): Promise<void> {
  const { model, tokenizer } = createBuiltinModel("tiny", 0);
  const server = createServer({ model, tokenizer, name: NAME, ...options });
  try {
    const url = await server.listen("127.0.0.1", 0);
    await body(url, new OpenAI({ baseURL: `${url}/v1`, apiKey: options.apiKey ?? "none", maxRetries: 0 }), server);
  } finally {
    await server.shutdown(0);
    model.dispose();
  }
}

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
}

/** Waits (a turn of the event loop at a time) until `ready` holds. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setTimeout(resolve, 5));
}

test("completions, chat completions and the model list through the openai client; a stream adds up to the whole answer", async () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 0);
  await withServer({}, async (_url, client) => {
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), [NAME]);

    const request = { model: NAME, prompt: "2+2=", max_tokens: 12, n: 3, seed: 7, temperature: 0.9, top_p: 0.95, logprobs: 2 };
    const whole = await client.completions.create({ ...request, return_token_ids: true } as OpenAI.CompletionCreateParamsNonStreaming);
    assert.equal(whole.choices.length, 3);
    // Choice j draws from seed + j, as generate() does for a sequence with that seed.
    const local = generate(model, tokenizer, ["2+2=", "2+2=", "2+2="], { maxNewTokens: 12, temperature: 0.9, topP: 0.95, seeds: [7, 8, 9] });
    whole.choices.forEach((choice, j) => {
      const extended = choice as typeof choice & { token_ids: number[]; prompt_token_ids: number[] };
      assert.deepEqual(extended.token_ids, local[j].tokenIds);
      assert.deepEqual(extended.prompt_token_ids, tokenizer.encode("2+2="));
      assert.equal(choice.text, local[j].text);
      assert.deepEqual(choice.logprobs!.token_logprobs, local[j].logprobs);
      assert.equal(choice.logprobs!.tokens!.length, local[j].tokenIds.length);
      choice.logprobs!.top_logprobs!.forEach((top) => assert.ok(Object.keys(top).length >= 2));
    });
    assert.equal(whole.usage!.completion_tokens, local.reduce((n, s) => n + s.tokenIds.length, 0));

    const stream = await client.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    const texts = ["", "", ""];
    let usage = null;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) texts[choice.index] += choice.text;
      usage = chunk.usage ?? usage;
    }
    assert.deepEqual(texts, whole.choices.map((c) => c.text));
    assert.deepEqual(usage, whole.usage);

    const chat = await client.chat.completions.create({ model: NAME, messages: [{ role: "user", content: "What is 2+2?" }], max_tokens: 10, seed: 3, logprobs: true, top_logprobs: 3 });
    const rendered = tokenizer.encode(tokenizer.applyChatTemplate([{ role: "user", content: "What is 2+2?" }], { addGenerationPrompt: true }), { addSpecialTokens: false });
    const [expected] = generate(model, tokenizer, [rendered], { maxNewTokens: 10, seeds: [3] });
    assert.equal(chat.choices[0].message.content, expected.text);
    assert.equal(chat.choices[0].finish_reason, expected.finishReason);
    assert.deepEqual(chat.choices[0].logprobs!.content!.map((c) => c.logprob), expected.logprobs);
    assert.ok(chat.choices[0].logprobs!.content!.every((c) => c.top_logprobs.length === 3));

    const chatStream = await client.chat.completions.create({ model: NAME, messages: [{ role: "user", content: "What is 2+2?" }], max_tokens: 10, seed: 3, stream: true });
    let streamed = "";
    for await (const chunk of chatStream) streamed += chunk.choices[0]?.delta.content ?? "";
    assert.equal(streamed, expected.text);
  });
  model.dispose();
});

test("a stop string ends the text before it, or after it with include_stop_str_in_output", async () => {
  await withServer({}, async (_url, client) => {
    const free = await client.completions.create({ model: NAME, prompt: "x", max_tokens: 16, seed: 1, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
    const stop = free.choices[0].text.slice(5, 7);
    const cut = free.choices[0].text.indexOf(stop);
    const before = await client.completions.create({ model: NAME, prompt: "x", max_tokens: 16, seed: 1, ignore_eos: true, stop } as OpenAI.CompletionCreateParamsNonStreaming);
    assert.equal(before.choices[0].finish_reason, "stop");
    assert.equal(before.choices[0].text, free.choices[0].text.slice(0, cut));
    const kept = await client.completions.create({ model: NAME, prompt: "x", max_tokens: 16, seed: 1, ignore_eos: true, stop, include_stop_str_in_output: true } as OpenAI.CompletionCreateParamsNonStreaming);
    assert.equal(kept.choices[0].text, free.choices[0].text.slice(0, cut + stop.length));
    const streamed = await client.completions.create({ model: NAME, prompt: "x", max_tokens: 16, seed: 1, ignore_eos: true, stop, stream: true } as OpenAI.CompletionCreateParamsStreaming);
    let text = "";
    for await (const chunk of streamed) text += chunk.choices[0]?.text ?? "";
    assert.equal(text, before.choices[0].text, "no part of the stop string is streamed");
  });
});

test("health is answered and a new request joins while a long batch decodes; a client that leaves frees its row", async () => {
  await withServer({}, async (url, client, server) => {
    const abort = new AbortController();
    const long = client.completions.create({ model: NAME, prompt: "x", max_tokens: 1000, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming, { signal: abort.signal });
    long.catch(() => {});
    await until(() => server.scheduler.load.live === 1);
    const health = await (await fetch(`${url}/health`)).json() as { status: string; live: number };
    assert.equal(health.status, "ok");
    assert.equal(health.live, 1, "answered mid-batch");
    const short = await client.completions.create({ model: NAME, prompt: "y", max_tokens: 3, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
    assert.equal(short.choices[0].finish_reason, "length");
    assert.equal(server.scheduler.load.live, 1, "the long request is still decoding");
    abort.abort();
    await until(() => server.scheduler.load.live === 0 && server.scheduler.load.requests === 0);
  });
});

test("bad requests get 4xx answers in OpenAI's error shape", async () => {
  await withServer({ apiKey: "secret" }, async (url) => {
    const auth = { authorization: "Bearer secret" };
    const cases: Array<[unknown, Record<string, string>, number, RegExp, string | null]> = [
      [{ model: NAME, prompt: "x" }, {}, 401, /API key/, null],
      [{ model: NAME, prompt: "x", temperature: -1 }, auth, 400, /temperature: must be >= 0/, "temperature"],
      [{ model: NAME, prompt: "x", top_p: 1.5 }, auth, 400, /top_p/, "top_p"],
      [{ model: NAME, prompt: "x", presence_penalty: 1 }, auth, 400, /presence_penalty: is not supported/, "presence_penalty"],
      [{ model: NAME, prompt: [1, 99999] }, auth, 400, /prompt 0 has token id 99999, outside the vocabulary/, "prompt"],
      [{ model: NAME, prompt: "x", max_tokens: 5000 }, auth, 400, /context holds 1024 tokens/, "max_tokens"],
      [{ model: NAME, prompt: "x", n: 500 }, auth, 400, /n: must be <= 128/, "n"],
      [{ model: "other", prompt: "x" }, auth, 404, /does not exist/, "model"],
      ["{not json", auth, 400, /JSON/, null],
    ];
    for (const [body, headers, status, message, param] of cases) {
      const response = await post(url, "/v1/completions", body, headers);
      assert.equal(response.status, status, JSON.stringify(body));
      const { error } = await response.json() as { error: { message: string; type: string; param: string | null } };
      assert.match(error.message, message);
      assert.equal(error.param, param);
      assert.equal(typeof error.type, "string");
    }
    const chat = await post(url, "/v1/chat/completions", { model: NAME, messages: [] }, auth);
    assert.equal(chat.status, 400);
    assert.equal((await fetch(`${url}/health`)).status, 200, "health needs no key");
  });
});

test("a full queue answers 429 with Retry-After; a request past its timeout fails with 504", async () => {
  await withServer({ maxBatch: 1, maxQueue: 1, requestTimeoutMs: 60_000 }, async (url, _client, server) => {
    const long = { model: NAME, prompt: "x", max_tokens: 1000, ignore_eos: true };
    const running = [post(url, "/v1/completions", long), post(url, "/v1/completions", long)];
    await until(() => server.scheduler.load.live === 1 && server.scheduler.load.waiting === 1);
    const refused = await post(url, "/v1/completions", long);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.match((await refused.json() as { error: { message: string } }).error.message, /queue is full/);
    await server.shutdown(0);
    for (const response of await Promise.all(running)) assert.equal(response.status, 503);
  });
  await withServer({ requestTimeoutMs: 50 }, async (url) => {
    const response = await post(url, "/v1/completions", { model: NAME, prompt: "x", max_tokens: 1000, ignore_eos: true });
    assert.equal(response.status, 504);
    assert.match((await response.json() as { error: { message: string } }).error.message, /--request-timeout/);
  });
});

test("shutting down lets requests in flight finish within the grace period, then refuses connections", async () => {
  await withServer({}, async (url, client, server) => {
    const inFlight = client.completions.create({ model: NAME, prompt: "x", max_tokens: 40, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
    const streamed = client.completions.create({ model: NAME, prompt: "y", max_tokens: 40, ignore_eos: true, stream: true } as OpenAI.CompletionCreateParamsStreaming);
    await until(() => server.scheduler.load.live === 2);
    await server.shutdown(60_000);
    assert.equal((await inFlight).choices[0].finish_reason, "length");
    let text = "";
    for await (const chunk of await streamed) text += chunk.choices[0]?.text ?? "";
    assert.ok(text.length > 0);
    await assert.rejects(fetch(`${url}/health`));
  });
});
