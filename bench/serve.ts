// Sampling through astarpo serve on loopback, in this process:
//   server_tok_s   new tokens/s of the openai sampler through the server (one
//                  request per sequence, twice as many in flight as the batch
//                  holds, as the sampler's default against astarpo serve's)
//                  against the local sampler at the same batch size (the peer)
//   server_process_tok_s  the same with astarpo serve in a process of its own,
//                  as it is deployed
//   clients_*      a bounded crowd of concurrent clients (each sends a few
//                  requests in turn): every request answered exactly once and
//                  with the tokens generate() gives its seed, the 429s the
//                  queue bound sent back (retried by the client), latency
//                  percentiles, and the memory the wave took
//   npm run bench -- serve [--json] [--quick]
// --quick samples fewer, shorter sequences in one round: a smoke run, too short
// for its ratio to mean much.
import OpenAI from "openai";
import { generate, localSampler, type SamplePrompt } from "../src/generate/index.js";
import { resolveModel } from "../src/pretrained/index.js";
import { createServer, openaiSampler } from "../src/serve/index.js";
import { memory, resetPeakMemory, Rng } from "../src/tensor/index.js";
import { startServeProcess } from "./lib/serve-process.js";
import { Report } from "./report.js";

interface Options {
  json: boolean;
  quick: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { json: false, quick: false };
  for (const arg of argv) {
    if (arg === "--json") options.json = true;
    else if (arg === "--quick") options.quick = true;
    else throw new Error(`serve: unknown option ${arg} (expected --json, --quick)`);
  }
  return options;
}

const MODEL = "builtin:small";
/** The whole benchmark must end within this; a hang is a failure, not a slow result. */
const TIME_LIMIT_MS = 10 * 60 * 1000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function run(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const report = new Report("serve", options.json);
  const limit = setTimeout(() => {
    console.error(`serve: the benchmark ran past ${TIME_LIMIT_MS / 60000} minutes`);
    process.exit(1);
  }, TIME_LIMIT_MS);
  const { model, tokenizer } = await resolveModel(MODEL);
  const batch = 16, promptLength = 32, newTokens = options.quick ? 32 : 96, sequences = options.quick ? 32 : 64;
  const clients = 64, requestsPerClient = options.quick ? 2 : 4, clientTokens = 32;
  const server = createServer({ model, tokenizer, name: MODEL, maxBatch: batch, maxQueue: 2 * batch });
  try {
    const url = await server.listen("127.0.0.1", 0);
    const rng = new Rng(1);
    const randomPrompt = (): SamplePrompt => {
      const ids = Array.from({ length: promptLength }, () => 1 + rng.int(tokenizer.vocabSize - 1));
      return { ids, text: tokenizer.decode(ids) };
    };

    // Throughput at one batch size: every sequence runs to maxNewTokens, so both sides sample the same tokens.
    const config = { maxNewTokens: newTokens, batchSize: batch, stopTokenIds: [], seed: 0 };
    const local = localSampler(model, tokenizer, MODEL);
    const remote = openaiSampler({ baseUrl: `${url}/v1`, model: MODEL, tokenizer, concurrency: 2 * batch });
    const served = await startServeProcess(["--model", MODEL, "--max-batch", String(batch), "--max-queue", String(2 * batch)]);
    const apart = openaiSampler({ baseUrl: served.baseUrl, model: MODEL, tokenizer, concurrency: 2 * batch });
    for (const sampler of [local, remote, apart]) await sampler.sample([randomPrompt()], { ...config, maxNewTokens: 2 });
    // Best of a few rounds, the two samplers taking turns within each, so that a busy spell of the
    // machine's other work falls on both rather than on one.
    const rate = async (sampler: typeof local) => {
      const prompts = Array.from({ length: sequences }, randomPrompt);
      const started = performance.now();
      await sampler.sample(prompts, config);
      return (sequences * newTokens) / ((performance.now() - started) / 1000);
    };
    let localRate = 0, serverRate = 0, apartRate = 0;
    try {
      for (let round = 0; round < (options.quick ? 1 : 3); round++) {
        localRate = Math.max(localRate, await rate(local));
        serverRate = Math.max(serverRate, await rate(remote));
        apartRate = Math.max(apartRate, await rate(apart));
      }
    } finally {
      await served.stop();
    }
    const shape = `${MODEL}, batch ${batch}, ${sequences} sequences, prompt ${promptLength}, ${newTokens} new`;
    report.add("local_tok_s", localRate, "tok/s", null, shape);
    report.add("server_tok_s", serverRate, "tok/s", localRate, `${shape}, one request per sequence, server in this process (peer: local sampler)`);
    report.add("server_process_tok_s", apartRate, "tok/s", localRate, `${shape}, one request per sequence, astarpo serve in its own process (peer: local sampler)`);

    // A crowd of clients, each sending its requests in turn; every request has its own seed.
    let refused = 0;
    const countingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (response.status === 429) refused++;
      return response;
    };
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "none", maxRetries: 50, fetch: countingFetch });
    const asked = Array.from({ length: clients * requestsPerClient }, (_, seed) => ({ prompt: randomPrompt().ids, seed }));
    const answers: Array<Array<{ id: string; tokens: number[]; prompt: number[] }>> = asked.map(() => []);
    const latencies: number[] = [];
    resetPeakMemory();
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    await Promise.all(Array.from({ length: clients }, async (_, c) => {
      for (let r = 0; r < requestsPerClient; r++) {
        const index = c * requestsPerClient + r;
        const sent = performance.now();
        const answer = await client.completions.create({
          model: MODEL, prompt: [...asked[index].prompt], seed: asked[index].seed, max_tokens: clientTokens, ignore_eos: true, return_token_ids: true,
        } as OpenAI.CompletionCreateParamsNonStreaming);
        latencies.push(performance.now() - sent);
        const choice = answer.choices[0] as (typeof answer.choices)[0] & { token_ids: number[]; prompt_token_ids: number[] };
        answers[index].push({ id: answer.id, tokens: choice.token_ids, prompt: choice.prompt_token_ids });
      }
    }));
    const wallSeconds = (performance.now() - started) / 1000;
    const peak = memory().cpu.peak;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    const expected = generate(model, tokenizer, asked.map((a) => a.prompt), {
      maxNewTokens: clientTokens, stopTokenIds: [], seeds: asked.map((a) => a.seed), batchSize: batch,
    });
    const lost = answers.filter((a) => a.length === 0).length;
    const twice = answers.filter((a) => a.length > 1).length + (asked.length - new Set(answers.flat().map((a) => a.id)).size - lost);
    const wrong = answers.filter((a, i) => a.length === 1 && (a[0].tokens.join() !== expected[i].tokenIds.join() || a[0].prompt.join() !== asked[i].prompt.join())).length;
    const crowd = `${clients} clients x ${requestsPerClient} requests, ${clientTokens} tokens each, batch ${batch}, queue ${2 * batch}`;
    report.add("clients_answered", asked.length - lost, "requests", null, crowd);
    report.add("clients_lost", lost, "requests", null, crowd);
    report.add("clients_answered_twice", twice, "requests", null, crowd);
    report.add("clients_wrong_tokens", wrong, "requests", null, `${crowd}; against generate() with each request's seed`);
    report.add("clients_refused_429", refused, "responses", null, `${crowd}; retried by the openai client after Retry-After`);
    report.add("clients_tok_s", (asked.length * clientTokens) / wallSeconds, "tok/s", null, crowd);
    latencies.sort((a, b) => a - b);
    for (const p of [50, 90, 99]) report.add(`clients_latency_p${p}`, percentile(latencies, p), "ms", null, crowd);
    report.add("clients_peak_tensor_bytes", peak, "B", null, `${crowd}; weights included`);
    report.add("clients_rss_growth_bytes", rssGrowth, "B", null, crowd);
  } finally {
    await server.shutdown(0);
    model.dispose();
    clearTimeout(limit);
  }
  report.finish();
}
