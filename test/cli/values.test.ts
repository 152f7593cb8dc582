// Stage 1 from the command line: through astarpo serve (on loopback, in this
// process) it makes the cache the in-process sampler makes, and resumes to
// it; shards of one run merge into that cache; merging refuses caches that
// are not of one run.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError, describeFailure, main } from "../../src/cli/main.js";
import { startServer, type RunningServer } from "../../src/serve/index.js";
import { resolveTokenizer } from "../../src/pretrained/index.js";
import { openaiSampler } from "../../src/serve/index.js";
import { parseRunConfig } from "../../src/train/config.js";
import { loadPromptSets } from "../../src/train/prompts.js";
import { runStageOne } from "../../src/train/stage-one.js";
import { ValuesCache, type ValuesMeta } from "../../src/train/values.js";

const scratch = mkdtempSync(join(tmpdir(), "astarpo-values-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A few prompts of the built-in task, N = 4, short responses; f32 weights on both sides, as the server holds them. */
const RUN = { model: "builtin:arithmetic", knobs: { digits: 1, steps: 1 }, trainSize: 5, numValueSamples: 4, maxNewTokens: 20, referenceWeights: "f32" } as const;
const RUN_FLAGS = ["--model", RUN.model, "--knob", "digits=1", "--knob", "steps=1", "--train-size", "5", "--num-value-samples", "4", "--max-new-tokens", "20", "--reference-weights", "f32", "--quiet"];

async function values(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "", stderr = "";
  try {
    await main(["node", "astarpo", "values", ...args], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    assert.ok(error instanceof CliError, String(error));
    return { code: error.exitCode, stdout, stderr: stderr + describeFailure(error, undefined).text };
  }
}

async function valuesOk(...args: string[]): Promise<string> {
  const result = await values(...args);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

let localCache: ValuesCache | undefined;
/** The in-process sampler's cache of RUN: what every other way of making it must give. */
async function local(): Promise<ValuesCache> {
  if (localCache === undefined) {
    await valuesOk(...RUN_FLAGS, "--out", join(scratch, "local"));
    localCache = ValuesCache.open(join(scratch, "local"));
  }
  return localCache;
}

async function withServer(body: (server: RunningServer) => Promise<void>): Promise<void> {
  const server = await startServer({
    model: RUN.model, port: 0, maxBatch: 8, maxQueue: 64, shutdownGraceMs: 0,
  });
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

function settingsOf(meta: ValuesMeta): Omit<ValuesMeta, "source" | "modelFingerprint"> {
  const { source: _source, modelFingerprint: _fingerprint, ...settings } = meta;
  return settings;
}

test("stage 1 through astarpo serve caches the token ids, text and rewards the in-process sampler caches", async () => {
  const expected = await local();
  await withServer(async (server) => {
    const dir = join(scratch, "remote");
    const printed = await valuesOk(...RUN_FLAGS, "--sampler", "openai", "--base-url", server.baseUrl, "--concurrency", "3", "--out", dir);
    const remote = ValuesCache.open(dir);
    assert.deepEqual(settingsOf(remote.meta), settingsOf(expected.meta));
    assert.equal(remote.meta.source, `${RUN.model} at ${server.baseUrl}`);
    assert.equal(remote.meta.modelFingerprint, null, "a remote model has no fingerprint");
    assert.equal(typeof expected.meta.modelFingerprint, "string");
    assert.deepEqual([...remote.records.keys()].sort(), [...expected.records.keys()].sort());
    for (const [id, record] of expected.records) assert.deepEqual(remote.records.get(id), record, `prompt ${id}`);
    const samples = [...expected.records.values()].flatMap((r) => r.rewards);
    assert.ok(samples.includes(1) && samples.length === 20, "rewards come from the task's checker");
    assert.match(printed, new RegExp(`from ${RUN.model} at http://127\\.0\\.0\\.1:\\d+/v1`));
    assert.equal(JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")).retokenized, 0, "astarpo serve returns the token ids");
  });
});

test("stage 1 through a server stopped after a chunk resumes to the cache of an uninterrupted run", async () => {
  const expected = await local();
  await withServer(async (server) => {
    const config = parseRunConfig({ ...RUN });
    const tokenizer = resolveTokenizer(RUN.model);
    const sets = await loadPromptSets(config, tokenizer);
    // One request in flight: a call carries a few times that many sequences, here one prompt's four.
    const sampler = openaiSampler({ baseUrl: server.baseUrl, model: RUN.model, tokenizer, concurrency: 1 });
    const dir = join(scratch, "resumed");
    let chunks = 0;
    const run = (shouldStop?: () => boolean) => runStageOne(config, { sampler, fingerprint: null, prompts: sets.train, reward: sets.reward, dir, shouldStop });
    const stopped = await run(() => chunks++ >= 2);
    assert.equal(stopped.complete, false);
    assert.equal(stopped.cache.records.size, 2, "two chunks of one prompt each were sampled before the stop");
    const resumed = await run();
    assert.equal(resumed.complete, true);
    const reread = ValuesCache.open(dir);
    assert.equal(reread.records.size, expected.records.size);
    for (const [id, record] of expected.records) assert.deepEqual(reread.records.get(id), record, `prompt ${id}`);
  });
});

test("shards of a run merge into the cache of the whole run, with its summary", async () => {
  const expected = await local();
  const shards = [1, 2].map((i) => join(scratch, `shard-${i}`));
  for (const [i, dir] of shards.entries()) await valuesOk(...RUN_FLAGS, "--shard", `${i + 1}/2`, "--beta1", "0.25", "--out", dir);
  const sizes = shards.map((dir) => ValuesCache.open(dir).records.size);
  assert.deepEqual(sizes, [3, 2], "every other prompt in each");
  const out = join(scratch, "merged");
  const printed = await valuesOk("merge", out, ...shards);
  assert.match(printed, /merged 2 folders: 5 prompts in /);
  const merged = ValuesCache.open(out);
  assert.deepEqual(merged.meta, expected.meta);
  assert.equal(merged.records.size, expected.records.size);
  for (const [id, record] of expected.records) assert.deepEqual(merged.records.get(id), record, `prompt ${id}`);
  const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
  const whole = JSON.parse(readFileSync(join(scratch, "local", "summary.json"), "utf8"));
  assert.equal(summary.beta1, 0.25, "the shards' beta1");
  const shardSeconds = shards.map((dir) => JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")).sampling_seconds as number);
  assert.equal(summary.sampling_seconds, shardSeconds[0] + shardSeconds[1], "the machine time of both shards");
  const beyondValues = (s: Record<string, unknown>) => ({ ...s, beta1: 0, v_hat_mean: 0, v_hat_histogram: [], sampling_seconds: 0 });
  assert.deepEqual(beyondValues(summary), beyondValues(whole));
  // A prompt in both inputs is fine when identical: the merge of the whole cache and a shard is the whole cache.
  const again = join(scratch, "merged-again");
  await valuesOk("merge", again, join(scratch, "local"), shards[0]);
  assert.equal(ValuesCache.open(again).records.size, expected.records.size);
});

test("merging refuses caches of other settings, a prompt with other samples, and a folder that holds a cache", async () => {
  const expected = await local();
  const other = join(scratch, "other-seed");
  await valuesOk(...RUN_FLAGS, "--seed", "1", "--train-size", "1", "--out", other);
  const failed = async (...args: string[]) => {
    const result = await values("merge", ...args);
    assert.equal(result.code, 1, result.stderr);
    return result.stderr;
  };
  assert.match(await failed(join(scratch, "m1"), join(scratch, "local"), other), /other-seed was sampled with other settings than .*local \(seed is 0 there but 1 here\)/);

  // The same prompt, one reward changed: not the same run's samples.
  const tampered = join(scratch, "tampered");
  const [first] = expected.records.values();
  await valuesOk("merge", tampered, join(scratch, "local"));
  const lines = readFileSync(join(tampered, "samples.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
  lines[0].rewards[0] = lines[0].rewards[0] === 1 ? 0 : 1;
  writeFileSync(join(tampered, "samples.jsonl"), lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
  assert.ok(first.id === lines[0].id);
  assert.match(await failed(join(scratch, "m2"), join(scratch, "local"), tampered), new RegExp(`prompt ${first.id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} has other samples or rewards in .*tampered than in .*local`));

  assert.match(await failed(join(scratch, "local"), other), /local already holds a stage-1 cache; merge into a new folder/);
});
