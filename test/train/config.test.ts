import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { addRunConfigOptions, flagOf, configFromFlags } from "../../src/cli/run-config.js";
import { ConfigError, parseRunConfig, readConfigFile, runConfigSchema } from "../../src/train/config.js";
import { learningRate } from "../../src/train/schedule.js";

test("defaults are the paper's: N = 8, beta1 = 0.5, beta2 = 1e-3, lr 1e-6, 256 prompts in 2 updates, clipping at 1", () => {
  const c = parseRunConfig({ model: "builtin:tiny" });
  assert.deepEqual(
    [c.algo, c.numValueSamples, c.beta1, c.valueMode, c.beta2, c.lr, c.batchSize, c.miniBatchSize, c.maxGradNorm, c.temperature, c.topP, c.entropyCoef],
    ["astar", 8, 0.5, "lse", 1e-3, 1e-6, 256, 128, 1, 1, 1, 0],
  );
});

test("a wrong key names itself and the closest valid key; a wrong value names its key", () => {
  assert.throws(() => parseRunConfig({ model: "m", lerning_rate: 1 }), (e: Error) => e instanceof ConfigError && /unknown option "lerning_rate"/.test(e.message));
  assert.throws(() => parseRunConfig({ model: "m", beta3: 1 }), /unknown option "beta3" \(did you mean "beta1"\?\)/);
  assert.throws(() => parseRunConfig({ model: "m", batchSise: 4 }), /did you mean "batchSize"/);
  assert.throws(() => parseRunConfig({ model: "m", lr: -1 }), /option "lr"/);
  assert.throws(() => parseRunConfig({ model: "m", valueMode: "max" }), /option "valueMode"/);
  assert.throws(() => parseRunConfig({}), /option "model"/);
  assert.throws(() => parseRunConfig({ model: "m", task: "gsm9k" }), /unknown task "gsm9k" \(did you mean "gsm8k"\?\)/);
  assert.throws(() => parseRunConfig({ model: "m", task: "gsm8k" }), /reads a data file: set option "data"/);
  assert.throws(() => parseRunConfig({ model: "m", batchSize: 10, miniBatchSize: 4 }), /multiple of "miniBatchSize"/);
});

test("config files are YAML or JSON; errors name the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-config-"));
  try {
    writeFileSync(join(dir, "run.yaml"), "model: builtin:tiny\nlr: 0.001\nknobs:\n  digits: 1\n");
    writeFileSync(join(dir, "run.json"), JSON.stringify({ model: "builtin:tiny", lr: 0.001 }));
    writeFileSync(join(dir, "bad.yaml"), "model: [unclosed\n");
    assert.deepEqual(readConfigFile(join(dir, "run.yaml")), { model: "builtin:tiny", lr: 0.001, knobs: { digits: 1 } });
    assert.deepEqual(readConfigFile(join(dir, "run.json")), { model: "builtin:tiny", lr: 0.001 });
    assert.throws(() => readConfigFile(join(dir, "bad.yaml")), /bad\.yaml: not valid YAML or JSON/);
    assert.throws(() => readConfigFile(join(dir, "none.yaml")), /none\.yaml: no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function parseFlags(argv: string[]) {
  const command = addRunConfigOptions(new Command("train").exitOverride());
  command.parse(argv, { from: "user" });
  return configFromFlags(command.opts(), command);
}

test("every option is a flag, and flags override the config file, which overrides the defaults", () => {
  const flags = addRunConfigOptions(new Command("train")).options.map((o) => o.long);
  for (const key of Object.keys(runConfigSchema.shape)) assert.ok(flags.includes(key === "knobs" ? "--knob" : flagOf(key)), `no flag for ${key}`);
  const dir = mkdtempSync(join(tmpdir(), "astarpo-config-"));
  try {
    const file = join(dir, "run.yaml");
    writeFileSync(file, "model: builtin:tiny\nlr: 0.001\nbeta2: 0.01\nknobs:\n  digits: 1\n  steps: 2\n");
    const c = parseFlags(["--config", file, "--lr", "0.002", "--filter-all-wrong", "false", "--knob", "steps=3", "--report-to", "tensorboard"]);
    assert.equal(c.lr, 0.002, "the flag wins over the file");
    assert.equal(c.beta2, 0.01, "the file wins over the default");
    assert.equal(c.filterAllWrong, false);
    assert.deepEqual(c.knobs, { digits: 1, steps: "3" });
    assert.deepEqual(c.reportTo, ["tensorboard"]);
    assert.throws(() => parseFlags(["--model", "m", "--lr", "fast"]), /--lr fast: expected a number/);
    assert.throws(() => parseFlags(["--model", "m", "--filter-all-wrong", "maybe"]), /--filter-all-wrong maybe: expected true or false/);
    writeFileSync(file, "model: m\nlearning_rate: 1\n");
    assert.throws(() => parseFlags(["--config", file]), (e: Error) => e.message.startsWith(`${file}: unknown option "learning_rate"`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("memory options: LoRA and gradient checkpointing off by default, PEFT's usual adapter settings, flags with or without a value", () => {
  const c = parseRunConfig({ model: "builtin:tiny" });
  assert.deepEqual([c.lora, c.loraR, c.loraAlpha, c.loraDropout, c.loraTargetModules, c.gradientCheckpointing],
    [false, 16, 32, 0.05, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], false]);
  const flagged = parseFlags(["--model", "m", "--lora", "--lora-r", "8", "--lora-target-modules", "q_proj,v_proj", "--gradient-checkpointing", "--eval-kl", "false"]);
  assert.deepEqual([flagged.lora, flagged.loraR, flagged.loraTargetModules, flagged.gradientCheckpointing, flagged.evalKl], [true, 8, ["q_proj", "v_proj"], true, false]);
  assert.throws(() => parseFlags(["--model", "m", "--lora-target-modules", "qproj"]), /option "loraTargetModules.0"/);
  assert.throws(() => parseRunConfig({ model: "m", loraTargetModules: [] }), /option "loraTargetModules": name at least one projection/);
  assert.throws(() => parseRunConfig({ model: "m", loraDropout: 1 }), /option "loraDropout"/);
  assert.throws(() => parseRunConfig({ model: "m", loraR: 0 }), /option "loraR"/);
});

test("learning-rate schedules: linear warm-up, then constant, linear or cosine decay to 0", () => {
  const base = { lr: 1, warmupSteps: 4 };
  assert.deepEqual([0, 1, 2, 3].map((k) => learningRate({ ...base, lrScheduler: "constant" }, k, 14)), [0.25, 0.5, 0.75, 1]);
  assert.equal(learningRate({ ...base, lrScheduler: "constant" }, 13, 14), 1);
  assert.equal(learningRate({ ...base, lrScheduler: "linear" }, 9, 14), 0.5);
  assert.ok(Math.abs(learningRate({ ...base, lrScheduler: "cosine" }, 9, 14) - 0.5) < 1e-12);
  assert.ok(Math.abs(learningRate({ ...base, lrScheduler: "cosine" }, 14, 14)) < 1e-12);
});
