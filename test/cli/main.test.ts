// The command line through main(): help and version, every kind of bad flag
// (one line naming it, exit status 2, nothing written), flags reaching the
// commands with their values, and failures (status 1, no stack unless
// ASTARPO_DEBUG is set).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeFailure, main } from "../../src/cli/main.js";
import { inScratch, run } from "./run-cli.js";
import { generateText } from "../../src/api/generate.js";
import { addLora, SafetensorsFile, saveAdapters, type DecoderModel } from "../../src/models/index.js";
import { loadModel } from "../../src/pretrained/index.js";
import { cudaUnavailableReason, noGrad, scope, tensor } from "../../src/tensor/index.js";
import { perturbAdapters } from "../models/decoder-fixtures.js";
import { assertClose } from "../tensor/reference.js";

const FIXTURES = join("test", "fixtures", "data");
const STACK_FRAME = /^\s+at /m;

test("--help lists every command and the exit statuses; --version prints the package's", async () => {
  const help = await run("--help");
  assert.equal(help.code, 0);
  assert.equal(help.stderr, "");
  for (const command of ["data", "eval", "generate", "merge", "sft", "train", "values", "verify"]) assert.match(help.stdout, new RegExp(`^  ${command} `, "m"));
  assert.match(help.stdout, /Exit status: 0 done; 1 the command failed .*\n2 the command line is wrong/);
  const sft = await run("sft", "--help");
  assert.equal(sft.code, 0);
  assert.match(sft.stdout, /--log-every <n> +print progress every n steps/);
  const version = await run("--version");
  assert.deepEqual(version, { code: 0, stdout: `${JSON.parse(readFileSync("package.json", "utf8")).version}\n`, stderr: "" });
});

test("without a command the help goes to stderr with status 2", async () => {
  const { code, stdout, stderr } = await run();
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(stderr, /^Usage: astarpo \[options\] \[command\]/);
  assert.match(stderr, /\nastarpo: no command given \(see the usage above\)\n$/);
});

// Each bad command line, and what its one line of error must say (the flag, the value, what was expected).
const BAD: Array<[string[], RegExp]> = [
  // unknown commands and flags, missing values and options
  [["train-everything"], /^astarpo: unknown command 'train-everything'/],
  [["sft", "--stepz", "3"], /^astarpo sft: unknown option '--stepz' \(Did you mean --steps\?\)/],
  [["sft", "--steps"], /^astarpo sft: option '--steps <n>' argument missing/],
  [["generate", "--prompt", "x"], /^astarpo generate: required option '--model <dir>' not specified/],
  [["data", "inspect", "a.jsonl"], /^astarpo data inspect: required option '--task <name>' not specified/],
  [["data", "tasks", "extra"], /^astarpo data tasks: too many arguments for 'tasks'/],
  // the numeric parsers, each flag that uses one
  [["sft", "--steps", "abc"], /^astarpo sft: --steps abc: expected a non-negative integer/],
  [["sft", "--steps", "-1"], /--steps -1: expected a non-negative integer/],
  [["sft", "--batch-size", "0"], /--batch-size 0: expected a positive integer/],
  [["sft", "--lr", "-1e-3"], /--lr -1e-3: expected a number > 0/],
  [["sft", "--lr", "Infinity"], /--lr Infinity: expected a number > 0/],
  [["sft", "--seed", "1.5"], /--seed 1.5: expected a non-negative integer/],
  [["sft", "--eval", " "], /--eval  : expected a non-negative integer/],
  [["sft", "--log-every", "0"], /--log-every 0: expected a positive integer/],
  [["generate", "--model", "builtin:tiny", "--prompt", "x", "--max-new-tokens", "2.5"], /--max-new-tokens 2\.5: expected a positive integer/],
  [["generate", "--model", "builtin:tiny", "--prompt", "x", "--temperature", "0"], /--temperature 0: expected a number > 0/],
  [["generate", "--model", "builtin:tiny", "--prompt", "x", "--top-p", "0"], /--top-p 0: expected a number in \(0, 1\]/],
  [["generate", "--model", "builtin:tiny", "--prompt", "x", "--top-p", "1.01"], /--top-p 1\.01: expected a number in \(0, 1\]/],
  [["generate", "--model", "builtin:tiny", "--prompt", "x", "--top-k", "-1"], /--top-k -1: expected an integer >= 0/],
  [["generate", "--model", "builtin:tiny", "--prompt", "x", "--min-p", "1"], /--min-p 1: expected a number in \[0, 1\)/],
  [["generate", "--model", "builtin:tiny", "--prompt", "x", "--seed", "0x"], /--seed 0x: expected an integer/],
  [["generate", "--model", "builtin:tiny", "--prompt", "x", "--num", "NaN"], /--num NaN: expected a positive integer/],
  [["generate", "--model", "builtin:tiny", "--prompt", "x", "--batch-size", "-4"], /--batch-size -4: expected a positive integer/],
  [["data", "inspect", "--task", "arithmetic", "--count", "1e400"], /--count 1e400: expected a non-negative integer/],
  [["data", "inspect", "--task", "arithmetic", "--seed", "-2"], /--seed -2: expected a non-negative integer/],
  [["data", "inspect", "--task", "arithmetic", "--show", "two"], /--show two: expected a non-negative integer/],
  [["data", "inspect", join(FIXTURES, "gsm8k.jsonl"), "--task", "gsm8k", "--limit", "-3"], /--limit -3: expected a non-negative integer/],
  [["data", "inspect", join(FIXTURES, "gsm8k.jsonl"), "--task", "gsm8k", "--max-prompt-tokens", "1.5"], /--max-prompt-tokens 1\.5: expected a non-negative integer/],
  // choices
  [["sft", "--task", "gsm8k"], /option '--task <name>' argument 'gsm8k' is invalid\. Allowed choices are arithmetic, countdown/],
  [["generate", "--model", "builtin:tiny", "--prompt", "x", "--weights", "f16"], /option '--weights <type>' argument 'f16' is invalid\. Allowed choices are f32, bf16/],
  [["data", "inspect", "--task", "physics"], /option '--task <name>' argument 'physics' is invalid/],
  [["data", "inspect", join(FIXTURES, "gsm8k.jsonl"), "--task", "gsm8k", "--shape", "csv"], /option '--shape <name>' argument 'csv' is invalid/],
  [["data", "inspect", join(FIXTURES, "gsm8k.jsonl"), "--task", "gsm8k", "--on-bad-row", "ignore"], /option '--on-bad-row <policy>' argument 'ignore' is invalid/],
  [["data", "inspect", "--task", "arithmetic", "--split", "dev"], /option '--split <name>' argument 'dev' is invalid/],
  [["merge", "--model", "builtin:tiny", "--adapter", "a", "--dtype", "f16"], /^astarpo merge: option '--dtype <type>' argument 'f16' is invalid\. Allowed choices are f32, bf16/],
  [["merge", "--adapter", "a"], /^astarpo merge: required option '--model <dir\|builtin:NAME>' not specified/],
  [["merge", "--model", "builtin:tiny", "--adapter", "a", "--seed", "1.5"], /^astarpo merge: --seed 1\.5: expected an integer/],
  [["verify", "--gold", "1", "--pred", "1", "--strictness", "loose"], /^astarpo verify: --strictness loose: expected one of equivalent, hendrycks, gsm8k-paper/],
  [["verify", "--gold", "1", "--pred", "1", "--extract", "boxed,guess"], /--extract guess: expected some of/],
  [["verify", "--gold", "1", "--pred", "1", "--rel-tol", "-0.1"], /--rel-tol -0\.1: expected a number >= 0/],
  // knobs
  [["sft", "--knob", "digits"], /^astarpo sft: --knob digits: expected NAME=VALUE/],
  [["sft", "--knob", "digits=12"], /^astarpo sft: --knob: arithmetic: "digits" must be an integer from 1 to 9, got 12/],
  [["data", "inspect", "--task", "countdown", "--knob", "depth=2"], /--knob: countdown: unknown knob "depth"/],
  // flags that need or exclude each other
  [["generate", "--model", "builtin:tiny", "--prompt", "x", "--system", "be brief"], /^astarpo generate: --system needs --chat/],
  [["data", "inspect", join(FIXTURES, "gsm8k.jsonl"), "--task", "gsm8k", "--max-prompt-tokens", "10"], /--max-prompt-tokens needs --tokenizer/],
  [["data", "inspect", join(FIXTURES, "gsm8k.jsonl"), "--task", "arithmetic"], /task "arithmetic" is built in and reads no file/],
  [["data", "inspect", "--task", "math"], /task "math" reads a data file/],
  [["verify", "--gold", "1"], /^astarpo verify: give --gold and --pred, or --cases FILE\.jsonl/],
  [["verify", "--gold", "1", "--pred", "1", "--cases", "rows.jsonl"], /give either --cases or --gold and --pred, not both/],
  // the run-config commands: flags made from the config schema, and the config they resolve to
  [["train", "--model", "builtin:tiny", "--seed", "x"], /^astarpo train: --seed x: expected a number/],
  [["train", "--model", "builtin:tiny", "--logprobs-at-temperature", "yes"], /--logprobs-at-temperature yes: expected true or false/],
  [["train", "--model", "builtin:tiny", "--algo", "ppo2"], /^astarpo train: option "algo": /],
  [["train", "--model", "builtin:tiny", "--knob", "digits"], /--knob digits: expected name=value/],
  [["values", "--model", "builtin:tiny", "--task", "math"], /^astarpo values: task "math" reads a data file/],
  [["values", "--config", "no-such-config.yaml"], /^astarpo values: no-such-config\.yaml: no such file/],
  [["values", "--model", "builtin:tiny", "--base-url", "http://127.0.0.1:1/v1"], /^astarpo values: --base-url goes with --sampler openai/],
  [["values", "--model", "builtin:tiny", "--sampler", "openai"], /^astarpo values: --sampler openai needs --base-url URL/],
  [["values", "--model", "builtin:tiny", "--sampler", "vllm"], /--sampler.*Allowed choices are local, openai/],
  [["values", "--model", "builtin:tiny", "--sampler", "openai", "--base-url", "host:8000"], /^astarpo values: --base-url: .*"host:8000" is not an http\(s\) URL/],
  [["values", "--model", "builtin:tiny", "--sampler", "openai", "--base-url", "http://127.0.0.1:1/v1", "--concurrency", "0"], /--concurrency 0: expected a positive integer/],
  [["values", "--model", "builtin:tiny", "--sampler", "openai", "--base-url", "http://127.0.0.1:1/v1", "--rescore"], /--rescore samples nothing/],
  [["values", "--model", "builtin:tiny", "--shard", "3/2"], /^astarpo values: --shard 3\/2: expected i\/n with 1 <= i <= n/],
  [["values", "merge", "out"], /missing required argument 'inputs'/],
  [["eval", "--model", "builtin:tiny", "--k", "0"], /^astarpo eval: --k 0: expected a positive integer/],
  [["eval", "--model", "builtin:tiny", "--task", "gsm8k"], /^astarpo eval: --task gsm8k needs --data FILE/],
  [["eval", "--model", "builtin:tiny", "--data", "x.jsonl"], /^astarpo eval: --data: task arithmetic is built in and reads no file/],
];

test("every bad flag gets one line on stderr naming it, exit status 2, no stack and nothing written", async () => {
  await inScratch(async (dir) => {
    for (const [args, message] of BAD) {
      // The commands that write are pointed into the scratch folder: a bad flag must stop them before anything.
      const into = {
        sft: ["--out", join(dir, "model")], train: ["--output-dir", join(dir, "runs")], values: ["--out", join(dir, "values")], merge: ["--out", join(dir, "merged")],
      }[args[0]] ?? [];
      const full = [args[0], ...into, ...args.slice(1)];
      const { code, stdout, stderr } = await run(...full);
      const label = full.join(" ");
      assert.equal(code, 2, `${label}: status ${code}, stderr ${stderr}`);
      assert.match(stderr, message, label);
      assert.match(stderr, /^astarpo[a-z ]*: [^\n]+ \(see astarpo[a-z ]* --help\)\n$/, `${label}: one line, ending with where to look`);
      assert.doesNotMatch(stderr, STACK_FRAME, label);
      assert.equal(stdout, "", label);
      assert.deepEqual(readdirSync(dir), [], `${label}: nothing written`);
    }
  });
});

test("generate's flags reach sampling with their values: the same samples as the settings given directly", async () => {
  const { code, stdout, stderr } = await run("generate", "--model", "builtin:tiny", "--prompt", "12+7=", "--num", "3", "--max-new-tokens", "5",
    "--temperature", "0.7", "--top-p", "0.9", "--top-k", "20", "--min-p", "0.05", "--seed", "-4", "--batch-size", "2", "--stop", "9", "--stop", "=", "--json");
  assert.equal(code, 0, stderr);
  assert.match(stderr, /^\d+ tokens, [\d.]+ tokens\/s\n$/);
  const lines = stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as { token_ids: number[]; logprobs: number[] });
  const direct = await generateText({ model: "builtin:tiny", prompt: "12+7=", num: 3, maxNewTokens: 5, temperature: 0.7, topP: 0.9, topK: 20, minP: 0.05,
    seed: -4, batchSize: 2, stop: ["9", "="] });
  assert.deepEqual(lines.map((l) => [l.token_ids, l.logprobs]), direct.sequences.map((s) => [s.tokenIds, s.logprobs]));
  assert.ok(lines.every((l) => l.token_ids.length <= 5));
});

test("data inspect's flags reach the report with their values", async () => {
  const file = await run("data", "inspect", join(FIXTURES, "gsm8k-bad.jsonl"), "--task", "gsm8k", "--on-bad-row", "skip", "--limit", "5", "--show", "1");
  assert.equal(file.code, 0, file.stderr);
  assert.match(file.stdout, /^rows {6}5 read, 2 examples, 3 skipped$/m);
  assert.equal(file.stdout.match(/^example /gm)?.length, 1);
  const builtin = await run("data", "inspect", "--task", "arithmetic", "--knob", "digits=1", "--knob", "operators=+", "--count", "7", "--seed", "3", "--split", "test", "--show", "0");
  assert.equal(builtin.code, 0, builtin.stderr);
  assert.match(builtin.stdout, /^config {4}digits=1 steps=2 operators="\+"$/m);
  assert.match(builtin.stdout, /^sample {4}7 examples \(seed 3, test split\)/m);
  assert.doesNotMatch(builtin.stdout, /^example /m);
  const tasks = await run("data", "tasks");
  assert.equal(tasks.code, 0);
  assert.match(tasks.stdout, /^  countdown /m);
});

test("verify's flags reach the verifier: strictness, extraction, tolerance, explanation and case files", async () => {
  assert.deepEqual(await run("verify", "--gold", "\\frac{1}{2}", "--pred", "so \\boxed{0.5}."), { code: 0, stdout: "true\n", stderr: "" });
  assert.equal((await run("verify", "--gold", "\\frac{1}{2}", "--pred", "so \\boxed{0.5}.", "--extract", "gsm8k")).stdout, "false\n");
  assert.equal((await run("verify", "--gold", "\\pi", "--pred", "3.1416")).stdout, "false\n");
  assert.equal((await run("verify", "--gold", "\\pi", "--pred", "3.1416", "--rel-tol", "0.001")).stdout, "true\n");
  const explained = await run("verify", "--gold", "0.5", "--pred", "1/2", "--strictness", "hendrycks", "--explain");
  assert.equal(JSON.parse(explained.stdout).verdict, true);
  await inScratch(async (dir) => {
    const cases = join(dir, "cases.jsonl");
    writeFileSync(cases, [{ gold: "2", pred: "2", expected: true }, { gold: "2", pred: "3", expected: true }].map((row) => JSON.stringify(row)).join("\n"));
    const { code, stdout } = await run("verify", "--cases", cases);
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(lines.slice(0, 2).map((l) => [l.verdict, l.agrees]), [[true, true], [false, false]]);
    assert.deepEqual(lines[2].summary.expected, { rows: 2, accuracy: 0.5, false_positives: 0, false_negatives: 1, precision: 1, recall: 0.5 });
  });
});

test("sft's flags reach training: steps, batch, evaluation, logging, knobs and the output folder", async () => {
  await inScratch(async (dir) => {
    const out = join(dir, "warm");
    const { code, stdout, stderr } = await run("sft", "--task", "countdown", "--knob", "count=2", "--steps", "2", "--batch-size", "2", "--lr", "1e-3",
      "--seed", "3", "--eval", "2", "--log-every", "1", "--json", "--out", out);
    assert.equal(code, 0, stderr);
    const events = stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(events.map((e) => [e.event, e.step]), [["start", undefined], ["eval", 0], ["step", 1], ["step", 2], ["eval", 2], ["saved", undefined]]);
    assert.equal(events[0].task, "countdown");
    assert.equal(events[0].config.count, 2);
    assert.ok(existsSync(join(out, "model.safetensors")));
  });
});

test("eval's flags reach the evaluation: task, knobs, size, k and the reference", async () => {
  const { code, stdout } = await run("eval", "--model", "builtin:arithmetic", "--knob", "digits=1", "--knob", "steps=2", "--size", "12", "--k", "2",
    "--reference", "builtin:arithmetic", "--samples", "12", "--json");
  assert.equal(code, 0);
  const result = JSON.parse(stdout);
  assert.equal(result.prompts, 12);
  assert.equal(result.samples.length, 12);
  assert.match(result.samples[0].prompt, /^\d[-+*]\d[-+*]\d = \?$/, "one-digit, two-operation problems");
  const rewards: number[] = result.samples.map((x: { reward: number | null }) => x.reward ?? 0);
  assert.equal(result.accuracy, rewards.reduce((a, b) => a + b, 0) / 12, "greedy accuracy is the mean reward of the greedy responses");
  assert.ok(result.avgAtK !== null && result.passAtK !== null && result.passAtK >= result.avgAtK);
  assert.ok(Math.abs(result.kl) < 1e-5, `KL of a model to itself: ${result.kl}`);
});

test("merge's flags reach the merge: the saved folder computes what the base with its adapters did, in the stored type asked for", async () => {
  await inScratch(async (dir) => {
    const base = join("test", "fixtures", "models", "qwen3");
    const { model } = await loadModel(base);
    try {
      addLora(model, { r: 3, targetModules: ["k_proj", "o_proj", "gate_proj"] }, 4);
      perturbAdapters(model, 5);
      await saveAdapters(join(dir, "adapter"), model, { baseModel: base });
      const merged = join(dir, "merged");
      const { code, stdout, stderr } = await run("merge", "--model", base, "--adapter", join(dir, "adapter"), "--out", merged);
      assert.equal(code, 0, stderr);
      assert.equal(stdout, `merged the adapters of ${3 * model.config.numLayers} projections into ${base}; saved f32 weights to ${merged}\n`);
      const logits = (m: DecoderModel) => noGrad(() => scope(() => m.forward(tensor(Int32Array.from([1, 40, 41, 20, 77, 7]), [1, 6])).toFloat32Array()));
      const saved = (await loadModel(merged)).model;
      try {
        assertClose(logits(saved), logits(model), 1e-4, 1e-5, "merged model");
      } finally {
        saved.dispose();
      }
      const half = await run("merge", "--model", base, "--adapter", join(dir, "adapter"), "--out", join(dir, "half"), "--dtype", "bf16");
      assert.equal(half.code, 0, half.stderr);
      const file = SafetensorsFile.open(join(dir, "half", "model.safetensors"));
      try {
        assert.ok([...file.tensors.values()].every((t) => t.dtype === "BF16"));
      } finally {
        file.close();
      }
      const missing = await run("merge", "--model", base, "--adapter", join(dir, "nowhere"), "--out", join(dir, "x"));
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^astarpo merge: \S+nowhere\/adapter_config\.json: cannot read/);
      assert.equal(existsSync(join(dir, "x")), false);
    } finally {
      model.dispose();
    }
  });
});

test("a command that fails prints its message with status 1, without a stack unless ASTARPO_DEBUG is set", async () => {
  await inScratch(async (dir) => {
    const out = join(dir, "model");
    const missingModel = await run("sft", "--model", join(dir, "no-such-model"), "--out", out);
    assert.equal(missingModel.code, 1);
    assert.match(missingModel.stderr, /^astarpo sft: --model \S+no-such-model: no such folder/);
    assert.doesNotMatch(missingModel.stderr, STACK_FRAME);
    assert.equal(existsSync(out), false, "nothing written");

    const missingFile = ["data", "inspect", join(dir, "missing.jsonl"), "--task", "gsm8k"];
    const plain = await run(...missingFile);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /^astarpo data inspect: \S+missing\.jsonl: cannot read: ENOENT[^\n]*\n$/);

    const error = await main(["node", "astarpo", ...missingFile], { stdout: () => {}, stderr: () => {} }).catch((e: unknown) => e);
    for (const debug of ["1", "yes"]) {
      const traced = describeFailure(error, debug);
      assert.equal(traced.exitCode, 1);
      assert.match(traced.text, /^astarpo data inspect: \S+missing\.jsonl: cannot read[^\n]*\n\w*Error: \S+missing\.jsonl: cannot read/);
      assert.match(traced.text, STACK_FRAME);
    }
    for (const debug of [undefined, "", "0"]) assert.equal(describeFailure(error, debug).text, plain.stderr);
    // Anything but a CliError is a defect in the command line itself: its stack is shown.
    assert.match(describeFailure(new TypeError("oops")).text, /^TypeError: oops\n\s+at /);
  });
});

test("--device cuda where CUDA cannot run stops train, eval, generate and serve with the reason and status 1", { skip: cudaUnavailableReason() === null ? "CUDA runs here: test/tensor/cuda.test.ts covers the device" : false }, async () => {
  await inScratch(async (dir) => {
    const commands = [
      ["train", "--model", "builtin:arithmetic", "--max-steps", "1", "--output-dir", dir, "--name", "gpu"],
      ["eval", "--model", "builtin:arithmetic", "--size", "2"],
      ["generate", "--model", "builtin:tiny", "--prompt", "2+2="],
      ["serve", "--model", "builtin:tiny", "--port", "0"],
    ];
    for (const args of commands) {
      const result = await run(...args, "--device", "cuda");
      assert.equal(result.code, 1, args[0]);
      // Why it cannot: the CUDA addon is not built, or it is and finds no usable device.
      assert.equal(result.stderr, `astarpo ${args[0]}: ${cudaUnavailableReason()}\n`);
      assert.match(result.stderr, /CUDA/);
      assert.equal(result.stdout, "");
    }
    assert.equal(existsSync(join(dir, "gpu", "checkpoints")), false, "no training step was taken");
  });
  const bad = await run("train", "--model", "builtin:arithmetic", "--device", "gpu");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"device": .*"cpu"\|"cuda"/);
  const badFlag = await run("generate", "--model", "builtin:tiny", "--prompt", "x", "--device", "gpu");
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /--device.*gpu.*cpu, cuda/);
});
