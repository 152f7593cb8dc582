import { test } from "node:test";
import assert from "node:assert/strict";
import { RunControls } from "../../src/train/controls.js";

test("run controls: go when running, hold while paused until resumed or stopped, one checkpoint per request even while paused", async () => {
  const controls = new RunControls();
  assert.equal(await controls.next(), "go");

  controls.pause();
  let answered: string | null = null;
  const held = controls.next().then((a) => { answered = a; });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(answered, null, "a paused run waits");
  controls.requestCheckpoint();
  await held;
  assert.equal(answered, "checkpoint", "a checkpoint is saved while paused");
  const afterCheckpoint = controls.next();
  setTimeout(() => controls.resume(), 20);
  assert.equal(await afterCheckpoint, "go", "resuming lets the run go on");

  controls.pause();
  const stop = new AbortController();
  const stopped = controls.next(stop.signal);
  setTimeout(() => stop.abort(), 20);
  assert.equal(await stopped, "go", "stopping wakes a paused run, which then stops");
});
