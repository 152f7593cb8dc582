import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeSampleStore } from "../train/stored-rollouts.js";
import { inScratch, run } from "./run-cli.js";

test("astarpo rollouts: a step's best and worst samples with what the reward read, filters, JSON, and a prompt's history", () => inScratch(async (dir) => {
  writeSampleStore(join(dir, "rollouts.sqlite"), 3);
  const best = await run("rollouts", dir, "--limit", "1");
  assert.equal(best.code, 0, best.stderr);
  assert.match(best.stdout, /step 3 \(stored: 1-3\), 1 sample shown \(best\)\nstep 3: 4 samples, mean reward 0\.5, mean length 3\.25 tokens, 25% cut at the length limit/);
  assert.match(best.stdout, /#1 {2}step 3 {2}arithmetic:0:aaa {2}response 1 {2}\| {2}reward 1 {2}\| {2}advantage 2\.5 .*3 tokens, ended\n {4}prompt: {6}2\+3 = \?\n {4}reward read: answer=5\n {4}completion: {2}#### 5/);
  const worst = await run("rollouts", dir, "--step", "1", "--sort", "worst", "--finish", "length");
  assert.match(worst.stdout, /reward 0 \(undecided\) .*6 tokens, cut at the limit/);
  assert.equal(worst.stdout.match(/^#\d/gm)?.length, 1);
  const json = await run("rollouts", dir, "--step", "all", "--min-reward", "1", "--max-tokens", "2", "--json");
  const rows = json.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(rows.map((r) => [r.step, r.completion, r.reward_inputs.answer]), [[3, "#### 6", "6"], [2, "#### 6", "6"], [1, "#### 6", "6"]]);
  const history = await run("rollouts", dir, "--prompt", "arithmetic:1");
  assert.deepEqual([...history.stdout.matchAll(/^#\d+ {2}step (\d)/gm)].map((m) => Number(m[1])), [1, 1, 2, 2, 3, 3]);
}));

test("astarpo rollouts names what is wrong: no folder, a comparison's folder, a bad flag", () => inScratch(async (dir) => {
  const missing = await run("rollouts", join(dir, "nothing"));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nothing: no such run folder/);
  for (const algo of ["astar", "grpo"]) {
    mkdirSync(join(dir, algo));
    writeSampleStore(join(dir, algo, "rollouts.sqlite"), 1, algo, algo);
  }
  const comparison = await run("rollouts", dir);
  assert.match(comparison.stderr, new RegExp(`holds several runs: give one of ${join(dir, "astar")}, ${join(dir, "grpo")}`));
  const bad = await run("rollouts", join(dir, "grpo"), "--step", "0");
  assert.match(bad.stderr, /--step 0: expected a step number or all/);
  const sort = await run("rollouts", join(dir, "grpo"), "--sort", "random");
  assert.equal(sort.code, 2);
}));
